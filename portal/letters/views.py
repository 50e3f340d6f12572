"""Program office: letter templates with live preview, issuing letters one by one or in batch, revoking."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..accounts.models import Role
from ..applications.models import Application
from ..auth import roles_required
from ..database import after_commit, commit, rollback
from ..extensions import db
from ..i18n import current_locale
from ..pdf.sandbox import TemplateError
from ..programs.access import managed, managed_or_404
from ..programs.models import Call, Program
from ..storage import document_path
from ..views_support import commit_or_refuse
from . import rendering, services
from .models import LETTER_STATUS_LABELS, OUTCOMES, Letter, LetterJob, LetterTemplate

bp = Blueprint("letters", __name__, url_prefix="/office/letters")

#: Applications per page of a call's letters.
PAGE_SIZE = 50

MAX_SOURCE_CHARS = 200_000


def _refusal(exc: TemplateError) -> str:
    return exc.message(current_locale())


#: The program each kind of object belongs to, for the one scoping check below.
_PROGRAM_OF = {
    Program: lambda p: p.id,
    Call: lambda c: c.program_id,
    Application: lambda a: a.call.program_id,
    Letter: lambda letter: letter.program_id,
    LetterJob: lambda job: db.session.get(Call, job.call_id).program_id,
}


def _get(model, object_id: int):
    """The object, if it belongs to a program this person runs; another program's objects answer 404."""
    found = db.get_or_404(model, object_id)
    managed_or_404(current_user, _PROGRAM_OF[model](found))
    return found


def _program_outcome(program_id: int, outcome: str) -> Program:
    if outcome not in OUTCOMES:
        abort(404)
    return _get(Program, program_id)


@bp.get("/")
@roles_required(Role.PROGRAM_ADMIN)
def index():
    """The programs this person runs with the latest template version per outcome, and their calls."""
    programs = (
        db.session.execute(select(Program).where(managed(Program.id, current_user)).order_by(Program.code))
        .scalars()
        .all()
    )
    versions = {
        (pid, outcome): n
        for pid, outcome, n in db.session.execute(
            select(LetterTemplate.program_id, LetterTemplate.outcome, func.max(LetterTemplate.version))
            .where(managed(LetterTemplate.program_id, current_user))
            .group_by(LetterTemplate.program_id, LetterTemplate.outcome)
        ).all()
    }
    calls = (
        db.session.execute(
            select(Call)
            .join(Program)
            .where(managed(Call.program_id, current_user))
            .order_by(Call.year.desc(), Program.code)
        )
        .scalars()
        .all()
    )
    return render_template(
        "letters/index.html",
        programs=programs,
        versions=versions,
        calls=calls,
        outcomes=OUTCOMES,
        labels=services.OUTCOME_LABELS,
    )


@bp.get("/programs/<int:program_id>/<outcome>")
@roles_required(Role.PROGRAM_ADMIN)
def edit_template(program_id: int, outcome: str):
    """The template editor: the latest version (or ?version=n to start from an older one) and the history."""
    program = _program_outcome(program_id, outcome)
    current = services.template_for(program, outcome)
    commit()  # keeps a seeded version 1
    history = services.template_versions(program, outcome)
    source = current.source
    wanted = request.args.get("version", type=int)
    if wanted:
        source = next((t.source for t in history if t.version == wanted), source)
    return render_template(
        "letters/template_edit.html",
        program=program,
        outcome=outcome,
        current=current,
        history=history,
        source=source,
        note="",
        errors=[],
        labels=services.OUTCOME_LABELS,
    )


@bp.post("/programs/<int:program_id>/<outcome>")
@roles_required(Role.PROGRAM_ADMIN)
def save_template(program_id: int, outcome: str):
    """Save the edited template as a new version, or show why the sandbox refuses it."""
    program = _program_outcome(program_id, outcome)
    source = request.form.get("source", "")[:MAX_SOURCE_CHARS]
    note = request.form.get("note", "")[:500]
    try:
        version = services.save_template(program, outcome, source, current_user, note)
    except TemplateError as exc:
        rollback()
        current = services.template_for(program, outcome)
        return render_template(
            "letters/template_edit.html",
            program=program,
            outcome=outcome,
            current=current,
            history=services.template_versions(program, outcome),
            source=source,
            note=note,
            errors=[_refusal(exc)],
            labels=services.OUTCOME_LABELS,
        ), 422
    commit()
    flash(_("Template saved as version %(n)s.", n=version.version), "success")
    return redirect(url_for("letters.edit_template", program_id=program.id, outcome=outcome))


@bp.post("/programs/<int:program_id>/<outcome>/preview")
@roles_required(Role.PROGRAM_ADMIN)
def preview(program_id: int, outcome: str):
    """The posted template rendered on sample data, as an inline PDF (the editor opens it in a new tab)."""
    program = _program_outcome(program_id, outcome)
    source = request.form.get("source", "")[:MAX_SOURCE_CHARS]
    try:
        pdf = rendering.render_letter_pdf(source, services.sample_context(program, outcome))
    except TemplateError as exc:
        return render_template(
            "letters/preview_refused.html",
            program=program,
            outcome=outcome,
            message=_refusal(exc),
            labels=services.OUTCOME_LABELS,
        ), 422
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = "inline; filename=preview.pdf"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/calls/<int:call_id>")
@roles_required(Role.PROGRAM_ADMIN)
def call_letters(call_id: int):
    """The decided applications of a call with their letters; issue one, issue all, revoke."""
    call = _get(Call, call_id)
    page = db.paginate(
        select(Application)
        .where(Application.call_id == call.id, Application.state.in_(services.OUTCOME_FOR_STATE))
        .options(joinedload(Application.applicant), joinedload(Application.unit))
        .order_by(Application.id),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    applications = page.items
    letters: dict[int, list[Letter]] = {}
    for letter in db.session.execute(
        select(Letter).where(Letter.application_id.in_([a.id for a in applications])).order_by(Letter.version.desc())
    ).scalars():
        letters.setdefault(letter.application_id, []).append(letter)
    jobs = (
        db.session.execute(select(LetterJob).where(LetterJob.call_id == call.id).order_by(LetterJob.id.desc()).limit(5))
        .scalars()
        .all()
    )
    return render_template(
        "letters/call.html",
        call=call,
        applications=applications,
        page=page,
        letters=letters,
        jobs=jobs,
        needing=services.count_needing_letters(call.id),
        outcome_for=services.OUTCOME_FOR_STATE,
        labels=services.OUTCOME_LABELS,
        status_labels=LETTER_STATUS_LABELS,
    )


@bp.post("/applications/<int:application_id>/issue")
@roles_required(Role.PROGRAM_ADMIN)
def issue(application_id: int):
    """Issue the application's letter now; a letter in force is revoked and replaced by a new version."""
    application = _get(Application, application_id)
    reason = request.form.get("reason", "")[:500]
    try:
        letter = services.issue_letter(application, current_user, reason)
    except (services.LetterError, TemplateError) as exc:
        rollback()
        message = exc.message(current_locale()) if isinstance(exc, TemplateError) else exc.message
        flash(_("The letter was not issued: %(reason)s", reason=message), "danger")
        return redirect(url_for("letters.call_letters", call_id=application.call_id))
    commit()
    flash(_("Letter %(serial)s issued.", serial=letter.serial), "success")
    return redirect(url_for("letters.call_letters", call_id=application.call_id))


@bp.post("/<int:letter_id>/revoke")
@roles_required(Role.PROGRAM_ADMIN)
def revoke(letter_id: int):
    """Revoke a letter without replacing it (its PDF stays archived unchanged)."""
    letter = _get(Letter, letter_id)
    call_id = letter.application.call_id
    if not commit_or_refuse(services.revoke_letter, letter, current_user, request.form.get("reason", "")[:500]):
        return redirect(url_for("letters.call_letters", call_id=call_id))
    flash(_("Letter %(serial)s revoked.", serial=letter.serial), "success")
    return redirect(url_for("letters.call_letters", call_id=call_id))


@bp.get("/<int:letter_id>/pdf")
@roles_required(Role.PROGRAM_ADMIN)
def pdf(letter_id: int):
    """Any issued letter, valid or revoked, exactly as stored."""
    letter = _get(Letter, letter_id)
    response = send_file(
        document_path(letter.document),
        mimetype="application/pdf",
        download_name=letter.document.original_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/calls/<int:call_id>/batch")
@roles_required(Role.PROGRAM_ADMIN)
def start_batch(call_id: int):
    """Queue a background job issuing every letter the call still needs."""
    call = _get(Call, call_id)
    try:
        job = services.start_batch(call, current_user)
    except services.LetterError as exc:
        rollback()
        flash(exc.message, "danger")
        return redirect(url_for("letters.call_letters", call_id=call.id))
    job_id = job.id
    # In-process (no Redis) the job runs inside this commit; with RQ a worker picks it up.
    after_commit(services.run_batch, job_id)
    commit()
    return redirect(url_for("letters.job", job_id=job_id))


@bp.get("/jobs/<int:job_id>")
@roles_required(Role.PROGRAM_ADMIN)
def job(job_id: int):
    """A batch's progress; the page reloads itself (meta refresh) until the job ends."""
    found = _get(LetterJob, job_id)
    return render_template("letters/job.html", job=found, call=_get(Call, found.call_id))
