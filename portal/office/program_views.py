"""The program office's own programs: create, edit and archive them, with their documents, questions and rules."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import Role, User
from ..accounts.services import find_user
from ..applications.access import office_may_see_person
from ..auth import roles_required
from ..extensions import db
from ..forms import ConfirmForm
from ..i18n import current_locale as _locale
from ..i18n import pick
from ..programs import rules_editor as editor
from ..programs.access import managed
from ..programs.access import managed_program_or_404 as _program
from ..programs.eligibility import DEGREES, POST_LEVELS, RULE_PARAMS
from ..programs.eligibility_messages import DEGREE_LABELS, POST_LEVEL_LABELS
from ..programs.errors import ProgramError, run_locked
from ..programs.models import Program, ProgramRules
from ..programs.rule_text import describe
from . import editor_messages as wording
from . import program_admin as services
from .program_forms import program_form

bp = Blueprint("program_office", __name__, url_prefix="/office/programs")


def _actor() -> User:
    return current_user._get_current_object()


def _flash_refusal(refusal: ProgramError) -> None:
    for message in refusal.messages:
        flash(message, "danger")


# ---------------------------------------------------------------- list, create, overview, settings


@bp.get("/")
@roles_required(Role.PROGRAM_ADMIN)
def index():
    """The programs this person runs (archived ones behind a filter), with their calls."""
    archived = request.args.get("archived") == "1"
    stmt = (
        select(Program)
        .where(managed(Program.id, current_user))
        .where(Program.archived_at.is_not(None) if archived else Program.archived_at.is_(None))
        .options(selectinload(Program.calls))
        .order_by(Program.code)
    )
    programs = db.session.execute(stmt).scalars().all()
    archived_count = len(
        db.session.execute(
            select(Program.id).where(managed(Program.id, current_user), Program.archived_at.is_not(None))
        ).all()
    )
    return render_template(
        "programs/office/index.html",
        programs=programs,
        archived=archived,
        archived_count=archived_count,
        level_labels=wording.LEVEL_LABELS,
        category_labels=wording.CATEGORY_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def create():
    form = program_form(_locale(), creating=True)
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            ok, program, refusal, status = run_locked(
                None, services.create_program, _actor(), code=form.code.data, **form.settings()
            )
            if ok:
                flash(
                    _("The program %(name)s has been created (rules version 1).", name=program.name(_locale())),
                    "success",
                )
                return redirect(url_for("program_office.program", program_id=program.id))
            _form_refusal(form, refusal)
            status = 400
    return render_template("programs/office/form.html", form=form, program=None), status


def _form_refusal(form, refusal: ProgramError) -> None:
    field = getattr(form, refusal.field, None) if refusal.field and refusal.field != "version" else None
    if field is not None:
        field.errors = list(field.errors) + refusal.messages
    else:
        _flash_refusal(refusal)


@bp.get("/<int:program_id>")
@roles_required(Role.PROGRAM_ADMIN)
def program(program_id: int):
    """One program: its settings, its versions of documents, questions and rules, and which calls use which."""
    found = _program(program_id)
    author_ids = {v.created_by_id for v in found.rule_versions if v.created_by_id}
    authors = (
        dict(db.session.execute(select(User.id, User.name).where(User.id.in_(author_ids))).all()) if author_ids else {}
    )
    return render_template(
        "programs/office/program.html",
        program=found,
        form=ConfirmForm(),
        calls_by_version=services.calls_by_version(found),
        version_authors=authors,
        applications=services.application_count(found),
        **_labels(),
    )


def _labels() -> dict:
    return {
        "level_labels": wording.LEVEL_LABELS,
        "category_labels": wording.CATEGORY_LABELS,
        "kind_labels": wording.KIND_LABELS,
        "type_label": wording.type_label,
    }


@bp.route("/<int:program_id>/edit", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def edit(program_id: int):
    found = _program(program_id)
    form = program_form(_locale(), found, creating=False)
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            ok, changed, refusal, status = run_locked(
                found, services.update_program, found, _actor(), version=form.version.data, **form.settings()
            )
            if ok:
                flash(_("The program has been saved.") if changed else _("Nothing had changed."), "success")
                return redirect(url_for("program_office.program", program_id=found.id))
            _form_refusal(form, refusal)
    return render_template("programs/office/form.html", form=form, program=found), status


def _verb_button(program_id: int, verb, done: str):
    found = _program(program_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        ok, _result, refusal, _status = run_locked(found, verb, found, _actor(), version=request.form.get("version"))
        if ok:
            flash(done, "success")
        else:
            _flash_refusal(refusal)
    return found


@bp.post("/<int:program_id>/archive")
@roles_required(Role.PROGRAM_ADMIN)
def archive(program_id: int):
    _verb_button(program_id, services.archive_program, _("The program has been archived: it takes no new calls."))
    return redirect(url_for("program_office.program", program_id=program_id))


@bp.post("/<int:program_id>/restore")
@roles_required(Role.PROGRAM_ADMIN)
def restore(program_id: int):
    _verb_button(program_id, services.restore_program, _("The program has been restored."))
    return redirect(url_for("program_office.program", program_id=program_id))


@bp.post("/<int:program_id>/delete")
@roles_required(Role.PROGRAM_ADMIN)
def delete(program_id: int):
    found = _program(program_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = found.name(_locale())
        ok, _result, refusal, _status = run_locked(
            found,
            services.delete_program,
            found,
            _actor(),
            version=request.form.get("version"),
            confirmed=request.form.get("confirm") == "yes",
        )
        if ok:
            flash(_("The program %(name)s has been deleted.", name=name), "success")
            return redirect(url_for("program_office.index"))
        _flash_refusal(refusal)
    return redirect(url_for("program_office.program", program_id=program_id))


@bp.get("/<int:program_id>/versions/<int:number>")
@roles_required(Role.PROGRAM_ADMIN)
def rules_version(program_id: int, number: int):
    """One saved version of the program's documents, questions and rules (what a call pinned to it applies)."""
    found = _program(program_id)
    saved = db.session.execute(
        select(ProgramRules).where(ProgramRules.program_id == found.id, ProgramRules.number == number)
    ).scalar_one_or_none()
    if saved is None:
        abort(404)
    facts, _call = services.call_facts(found)
    cutoff = facts.cutoff_date.isoformat()
    return render_template(
        "programs/office/version.html",
        program=found,
        saved=saved,
        cutoff=cutoff,
        reasons=[describe(rule, cutoff) for rule in saved.eligibility_rules or []],
        calls=services.calls_by_version(found).get(saved.id, []),
        **_labels(),
    )


# ---------------------------------------------------------------- the three row editors


def _editor_page(template: str, found: Program, rows: list, problems: list, status: int, **context):
    general, per_row = editor.problems_by_row(problems)
    kinds = [r.get("kind") for r in rows]
    row_messages = {
        i: [(p.field, wording.problem_message(p, kinds[i] if i < len(kinds) else None)) for p in found_]
        for i, found_ in per_row.items()
    }
    return render_template(
        template,
        program=found,
        rows=rows,
        form=ConfirmForm(),
        general=[wording.problem_message(p) for p in general],
        row_messages=row_messages,
        version=context.pop("version", found.version),
        **_labels(),
        **context,
    ), status


def _editor(program_id: int, *, template: str, stored_rows, form_rows, blank_row, parse, save, context):
    """GET shows the stored rows; a POST either moves rows ("add", "remove:i", "up:i", "down:i"), checks them
    ("check") or saves them ("save"); every answer but a successful save shows the rows as typed."""
    found = _program(program_id)
    if request.method == "GET":
        rows = stored_rows(found)
        return _editor_page(template, found, rows, [], 200, **context(found, rows))
    form = ConfirmForm()
    rows = form_rows(request.form)
    version = request.form.get("version")
    if not form.validate_on_submit():
        flash(_("The form has expired: please submit it again."), "danger")
        return _editor_page(template, found, rows, [], 400, version=version, **context(found, rows))
    op = request.form.get("op", "check")
    moved = editor.apply_op(rows, op, blank_row(request.form))
    if moved is not None:
        return _editor_page(template, found, moved, [], 200, version=version, **context(found, moved))
    items, problems = parse(found, rows)
    if op != "save" or problems:
        extra = context(found, rows, items=items, problems=problems, op=op)
        return _editor_page(
            template, found, rows, problems, 400 if problems and op == "save" else 200, version=version, **extra
        )
    ok, saved, refusal, status = run_locked(found, save, found, items, _actor(), version=version)
    if ok:
        flash(_("Saved as version %(n)s.", n=saved.number) if saved else _("Nothing had changed."), "success")
        return redirect(request.path)
    _flash_refusal(refusal)
    return _editor_page(template, found, rows, [], status, version=version, **context(found, rows))


def _no_context(found, rows, **_kw):
    return {}


@bp.route("/<int:program_id>/documents", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def documents(program_id: int):
    """The required documents: code, names in both languages, required or optional, how many files."""
    return _editor(
        program_id,
        template="programs/office/documents.html",
        stored_rows=lambda p: editor.document_rows(p.required_documents or []),
        form_rows=editor.document_rows_from_form,
        blank_row=lambda f: editor.blank_document_row(),
        parse=lambda p, rows: editor.documents_from_rows(rows),
        save=services.save_documents,
        context=_no_context,
    )


@bp.route("/<int:program_id>/questions", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def questions(program_id: int):
    """The extra questions of the application form: typed, labelled in both languages, required or not."""

    def context(found, rows, **_kw):
        return {"types": [(t, wording.type_label(t)) for t in editor.QUESTION_TYPES]}

    return _editor(
        program_id,
        template="programs/office/questions.html",
        stored_rows=lambda p: editor.question_rows(p.extra_fields or []),
        form_rows=editor.question_rows_from_form,
        blank_row=lambda f: editor.blank_question_row(),
        parse=lambda p, rows: editor.questions_from_rows(rows),
        save=services.save_questions,
        context=context,
    )


def _rule_inputs() -> dict:
    """Per kind, its parameters as the form shows them: (name, kind of input, optional, label)."""
    return {
        kind: [
            (param, spec.rstrip("?"), spec.endswith("?"), wording.param_label(kind, param))
            for param, spec in params.items()
        ]
        for kind, params in RULE_PARAMS.items()
    }


def _may_try_on(email: str) -> None:
    """The panel reads a person's profile and their applications to every program: an office of some programs
    tries rules only on people who applied to one of them (or on itself). Anyone else gets the answer an unknown
    address gets, so the panel tells nothing about who has an account or a profile."""

    person = find_user(email) if email else None
    if person is not None and not office_may_see_person(current_user, person.id):
        raise ProgramError(_("No one with a profile has this email address."), field="try_email")


def _rules_context(found: Program, rows, *, items=None, problems=(), op=None) -> dict:
    locale = _locale()
    facts, call = services.call_facts(found)
    cutoff = facts.cutoff_date.isoformat()
    if items is None:
        items, problems = editor.rules_from_rows(rows or [], found.extra_fields or [])
    bad_rows = {p.row for p in problems if p.row is not None}
    reasons = {i: describe(rule, cutoff) for i, rule in enumerate(items) if i not in bad_rows}
    trial, trial_error = None, None
    email = (request.form.get("try_email") or "").strip() if request.method == "POST" else ""
    if op == "try":
        try:
            _may_try_on(email)
            trial = services.try_rules(found, items, email)
        except ProgramError as exc:
            trial_error = exc.message
    return {
        "kinds": [(k, pick(wording.KIND_LABELS.get(k, (k, k)), locale)) for k in RULE_PARAMS],
        "inputs": _rule_inputs(),
        "degrees": [(d, pick(DEGREE_LABELS[d], locale)) for d in DEGREES],
        "post_levels": [(p, pick(POST_LEVEL_LABELS[p], locale)) for p in reversed(POST_LEVELS)],
        "program_questions": found.extra_fields or [],
        "reasons": reasons,
        "cutoff": cutoff,
        "cutoff_call": call,
        "trial": trial,
        "trial_error": trial_error,
        "try_email": email,
        "bad_rows": bad_rows,
    }


@bp.route("/<int:program_id>/rules", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def rules(program_id: int):
    """The eligibility rules: a row per rule with an input per parameter, each rule's reason in both languages,
    and a panel that tries the rules as typed (unsaved) on one person's profile."""
    return _editor(
        program_id,
        template="programs/office/rules.html",
        stored_rows=lambda p: editor.rule_rows(p.eligibility_rules or []),
        form_rows=editor.rule_rows_from_form,
        blank_row=lambda f: (
            editor.blank_rule_row(f.get("new_kind") or "") if (f.get("new_kind") or "") in RULE_PARAMS else None
        ),
        parse=lambda p, rows: editor.rules_from_rows(rows, p.extra_fields or []),
        save=services.save_rules,
        context=_rules_context,
    )
