"""The program office's calls: create or copy, edit while a draft, unit quotas, the guide, and the call's life."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import Role
from ..auth import roles_required
from ..database import commit, rollback, to_local, utcnow
from ..extensions import db
from ..forms import ConfirmForm
from ..programs import call_admin as services
from ..programs import call_workflow as wf
from ..programs.access import managed
from ..programs.access import managed_call_or_404 as _call
from ..programs.access import managed_program_or_404 as _program
from ..programs.call_workflow import CallAction
from ..programs.errors import ProgramError, run_locked
from ..programs.models import Call, CallAttachment, Program
from . import call_life as life
from .call_forms import AttachmentForm, CallForm, CopyForm, ExtendForm, StartReviewForm, quota_form_class

bp = Blueprint("call_office", __name__, url_prefix="/office")


def _back(call: Call):
    return redirect(url_for("office.call", call_id=call.id))


# ---------------------------------------------------------------- creating and editing


@bp.route("/calls/new/<int:program_id>", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def new_call(program_id: int):
    """A new draft call of the program, or (button) a copy of its last call with the dates a year later."""
    program = _program(program_id)
    form = CallForm()
    source = services.last_call(program)
    if request.method == "GET":
        form.unit_quota.data = program.unit_quota
        form.year.data = source.year + 1 if source is not None else to_local(utcnow()).year
        if program.is_archived:
            return _render_form(
                form, program, None, source, errors=[_("The program is archived: it takes no new calls.")]
            )
    if form.validate_on_submit():
        try:
            call = services.create_call(program, actor=current_user, **form.values())
        except services.CallInvalid as exc:
            rollback()
            form.show_problems(exc.problems)
        except ProgramError as exc:
            rollback()
            return _render_form(form, program, None, source, errors=exc.messages, status=409)
        else:
            commit()
            flash(
                _(
                    "The draft call %(title)s has been created. Check the unit quotas and the guide, then publish it.",
                    title=call.title_zh,
                ),
                "success",
            )
            return _back(call)
    return _render_form(form, program, None, source, status=400 if request.method == "POST" else 200)


@bp.post("/calls/copy/<int:program_id>")
@roles_required(Role.PROGRAM_ADMIN)
def copy_last(program_id: int):
    """Next year's draft from the program's last call: dates a year later, quotas and guide text copied.

    The button names the call it copies: a retried click (or a colleague's) finds next year's call made and opens
    it, instead of copying the fresh copy into the year after."""
    program = _program(program_id)
    form = CopyForm()
    if not form.validate_on_submit():
        abort(400)
    source = _copy_source(program, form.source_id.data)
    if source is None:
        flash(_("This program has no call to copy yet."), "danger")
        return redirect(url_for("call_office.new_call", program_id=program.id))
    try:
        call = services.copy_call(source, actor=current_user)
    except ProgramError as exc:
        rollback()
        made = services.call_of_year(program, source.year + 1)
        if made is not None:
            flash(_("The %(year)s call has already been created: here it is.", year=made.year), "info")
            return _edit_or_back(made)
        for message in exc.messages:
            flash(message, "danger")
        return redirect(url_for("call_office.new_call", program_id=program.id))
    commit()
    flash(
        _(
            "%(title)s has been created from last year's call, with every date a year later. Check it before "
            "publishing.",
            title=call.title_zh,
        ),
        "success",
    )
    return _edit_or_back(call)


def _copy_source(program: Program, source_id: str | None) -> Call | None:
    """The call the copy button names (one of this program's, else 404), or the program's last call."""
    if not source_id:
        return services.last_call(program)
    if not (source_id.isascii() and source_id.isdigit() and len(source_id) <= 9):
        abort(404)
    source = db.get_or_404(Call, int(source_id))
    if source.program_id != program.id:
        abort(404)
    return source


def _edit_or_back(call: Call):
    if call.status == wf.CallState.DRAFT.value:
        return redirect(url_for("call_office.edit_call", call_id=call.id))
    return _back(call)


@bp.route("/calls/<int:call_id>/edit", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def edit_call(call_id: int):
    """Edit a draft call; a published call keeps its figures (its deadline can be extended)."""
    call = _call(call_id)
    form = CallForm()
    if request.method == "GET":
        if call.status != wf.CallState.DRAFT.value:
            flash(
                _(
                    "Only a draft call can be edited; this call is “%(state)s”.",
                    state=services.state_label(call.effective_status()),
                ),
                "warning",
            )
            return _back(call)
        form.fill_from(call)
        return _render_form(form, call.program, call, None)
    if form.validate_on_submit():
        ok, _result, refusal, status = run_locked(
            call, services.update_call, call, actor=current_user, version=form.version.data, **form.values()
        )
        if ok:
            flash(_("The call has been saved."), "success")
            return _back(call)
        if not isinstance(refusal, services.CallInvalid):
            return _render_form(form, call.program, call, None, errors=refusal.messages, status=status)
        form.show_problems(refusal.problems)
    return _render_form(form, call.program, call, None, status=400)


def _render_form(form, program, call, source, errors=(), status=200):
    copy_form = CopyForm(formdata=None, source_id=str(source.id) if source is not None else "")
    return render_template(
        "programs/call_form.html",
        form=form,
        program=program,
        call=call,
        source=source,
        errors=list(errors),
        copy_form=copy_form,
    ), status


# ---------------------------------------------------------------- unit quotas


@bp.route("/calls/<int:call_id>/quotas", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def quotas(call_id: int):
    """A quota per unit (the program's unit subtree when it has one); blank means the call's default."""
    call = _call(call_id)
    units = services.quota_units(call)
    form = quota_form_class(units)()
    if request.method == "GET":
        form.version.data = str(call.version)
        for row in call.unit_quotas:
            field = getattr(form, f"quota_{row.unit_id}", None)
            if field is not None:
                field.data = row.quota
    errors, status = [], 200
    if form.validate_on_submit():
        figures = {unit.id: getattr(form, f"quota_{unit.id}").data for unit, _depth in units}
        ok, _result, refusal, status = run_locked(
            call, services.set_unit_quotas, call, figures, actor=current_user, version=form.version.data
        )
        if ok:
            flash(_("The unit quotas have been saved."), "success")
            return redirect(url_for("call_office.quotas", call_id=call.id))
        errors = refusal.messages
    elif request.method == "POST":
        status = 400
    return render_template(
        "programs/call_quotas.html",
        call=call,
        units=units,
        form=form,
        errors=errors,
        editable=call.status in (wf.CallState.DRAFT, wf.CallState.OPEN),
    ), status


# ---------------------------------------------------------------- the guide's attachments


@bp.route("/calls/<int:call_id>/attachments", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def attachments(call_id: int):
    """The PDFs shown with the guide on the public call page: add one, or remove one."""
    call = _call(call_id)
    form = AttachmentForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            attachment = services.add_attachment(
                call,
                upload.read(),
                filename=upload.filename,
                label_zh=form.label_zh.data,
                label_en=form.label_en.data or "",
                actor=current_user,
            )
        except ProgramError as exc:
            rollback()
            target = getattr(form, exc.field or "file", form.file)
            target.errors = list(target.errors or []) + [
                _("“%(name)s” was not saved: %(reason)s", name=upload.filename, reason=exc.message)
            ]
            status = 400
        else:
            commit()
            flash(
                _(
                    "“%(name)s” added (%(pages)s pages).",
                    name=attachment.label_zh,
                    pages=attachment.document.page_count,
                ),
                "success",
            )
            return redirect(url_for("call_office.attachments", call_id=call.id))
    elif request.method == "POST":
        status = 400
    return render_template("programs/call_attachments.html", call=call, form=form, remove_form=ConfirmForm()), status


@bp.post("/calls/<int:call_id>/attachments/<int:attachment_id>/delete")
@roles_required(Role.PROGRAM_ADMIN)
def remove_attachment(call_id: int, attachment_id: int):
    call = _call(call_id)
    attachment = db.get_or_404(CallAttachment, attachment_id)
    if attachment.call_id != call.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.remove_attachment(call, attachment, actor=current_user)
    except ProgramError as exc:
        rollback()
        for message in exc.messages:
            flash(message, "danger")
    else:
        commit()
        flash(_("The attachment has been removed."), "success")
    return redirect(url_for("call_office.attachments", call_id=call.id))


# ---------------------------------------------------------------- the call's life


def _life_step(call_id: int, action: CallAction, run, done, form_class=ConfirmForm):
    """One step of the call's life: `run(call, form)`, commit and flash `done(call, result)`; a refusal (or bad
    input) shows its reasons on a page with the form kept."""
    call = _call(call_id)
    form = form_class()
    if not form.validate_on_submit():
        if not form.errors.keys() - {"csrf_token"} and "csrf_token" in form.errors:
            abort(400)
        return _action_page(call, action, form, [], 400)
    ok, result, refusal, status = run_locked(call, run, call, form)
    if not ok:
        return _action_page(call, action, form, refusal.messages, status)
    flash(done(call, result), "success")
    return _back(call)


def _action_page(call, action, form, errors, status):
    # Offer to try again only where the step is still one of the call's next steps (not after "not in this state").
    retry = action in wf.next_steps(call.status, call.closes_at, utcnow())
    return render_template(
        "programs/call_action.html",
        call=call,
        action=action,
        form=form,
        errors=errors,
        label=services.action_label(action),
        retry=retry,
    ), status


@bp.post("/calls/<int:call_id>/publish")
@roles_required(Role.PROGRAM_ADMIN)
def publish(call_id: int):
    return _life_step(
        call_id,
        CallAction.PUBLISH,
        lambda call, _form: life.publish(call, actor=current_user),
        lambda call, _result: _(
            "The call is published (rules version %(n)s). Applicants see it from %(time)s (Beijing time).",
            n=call.rules.number,
            time=services.beijing(call.opens_at),
        ),
    )


@bp.post("/calls/<int:call_id>/unpublish")
@roles_required(Role.PROGRAM_ADMIN)
def unpublish(call_id: int):
    return _life_step(
        call_id,
        CallAction.UNPUBLISH,
        lambda call, _form: life.unpublish(call, actor=current_user),
        lambda _call, _result: _("The call is a draft again."),
    )


@bp.post("/calls/<int:call_id>/extend")
@roles_required(Role.PROGRAM_ADMIN)
def extend(call_id: int):
    return _life_step(
        call_id,
        CallAction.EXTEND,
        lambda call, form: life.extend_deadline(call, form.new_closes_at(), actor=current_user),
        lambda call, told: _(
            "The deadline is now %(time)s (Beijing time); %(n)s applicants with "
            "unsubmitted applications have been told by email.",
            time=services.beijing(call.closes_at),
            n=len(told),
        ),
        ExtendForm,
    )


@bp.post("/calls/<int:call_id>/start-review")
@roles_required(Role.PROGRAM_ADMIN)
def start_review(call_id: int):
    return _life_step(
        call_id,
        CallAction.START_REVIEW,
        lambda call, form: life.start_review(call, actor=current_user, confirmed=bool(form.confirm.data)),
        lambda call, _result: _(
            "The review has started; the call uses version %(n)s of its evaluation scheme.", n=life.scheme_version(call)
        ),
        StartReviewForm,
    )


@bp.post("/calls/<int:call_id>/decide")
@roles_required(Role.PROGRAM_ADMIN)
def decide(call_id: int):
    return _life_step(
        call_id,
        CallAction.DECIDE,
        lambda call, _form: life.mark_decided(call, actor=current_user),
        lambda _call, _result: _("The call is marked as decided."),
    )


ACTION_ENDPOINTS = {
    CallAction.PUBLISH: "call_office.publish",
    CallAction.UNPUBLISH: "call_office.unpublish",
    CallAction.EXTEND: "call_office.extend",
    CallAction.START_REVIEW: "call_office.start_review",
    CallAction.DECIDE: "call_office.decide",
}


def action_form(call: Call, action: CallAction):
    """The form a step's button posts (with its inputs, for extend and start review)."""
    if action is CallAction.EXTEND:
        form = ExtendForm(formdata=None)
        later = to_local(max(call.closes_at, utcnow()) + timedelta(days=7))  # a week later, to adjust
        form.closes_date.data, form.closes_time.data = later.date(), later.time().replace(second=0, microsecond=0)
        return form
    if action is CallAction.START_REVIEW:
        return StartReviewForm(formdata=None)
    form = ConfirmForm(formdata=None)
    form.submit.label.text = services.action_label(action)
    return form


# ---------------------------------------------------------------- what the templates ask


@bp.app_template_global()
def call_state_labels() -> dict:
    """The call states' (zh, en) labels, for badges."""
    return {state.value: pair for state, pair in wf.STATE_LABELS.items()}


@bp.app_template_global()
def call_life(call: Call) -> dict:
    """What the office call page's partial (_call_life.html) shows: the state people see, the pinned rules, the
    key dates and the next steps with their forms and, where the step is not possible yet, why."""
    now = utcnow()
    state = wf.effective_state(call.status, call.closes_at, now)
    waiting = life.waiting_counts(call) if state is wf.CallState.CLOSED else None
    steps = []
    for action in wf.NEXT_STEPS[state]:
        hints = []
        if action is not CallAction.EXTEND:
            extra = (
                {"waiting_unit_review": waiting[0], "waiting_formal_check": waiting[1]}
                if action is CallAction.START_REVIEW and waiting is not None
                else {}
            )
            facts = life.call_facts(call, action, now, **extra)
            hints = [life.refusal_message(r, call) for r in wf.refusals(action, facts)]
        steps.append(
            {
                "action": action.value,
                "label": services.action_label(action),
                "endpoint": ACTION_ENDPOINTS[action],
                "form": action_form(call, action),
                "hints": hints,
            }
        )
    return {
        "state": state.value,
        "label": services.state_label(state),
        "steps": steps,
        "now": now,
        "rules": call.rules,
        "waiting": waiting,
    }


@bp.app_template_global()
def call_office_programs() -> list[Program]:
    """The programs the signed-in office runs and that take new calls (for the "new call" links)."""
    return (
        db.session.execute(
            select(Program)
            .where(managed(Program.id, current_user), Program.archived_at.is_(None))
            .order_by(Program.code)
        )
        .scalars()
        .all()
    )
