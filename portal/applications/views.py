"""The applicant's side: dashboard, the step-by-step application, documents, referees, submission."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import Role
from ..auth import roles_required
from ..database import commit, rollback
from ..errors import Refusal
from ..extensions import db
from ..forms import ConfirmForm, select_choices
from ..i18n import current_locale as _locale
from ..programs.models import Call
from ..storage import Document, delete_document, document_path
from ..views_support import commit_or_refuse
from . import questions, services, workflow
from . import referees as referee_service
from .access import can_edit_application, can_view_application, can_view_document, own_application_or_404
from .forms import (
    BasicsForm,
    ExceptionForm,
    ExclusionForm,
    RecheckRequestForm,
    RefereeForm,
    StartForm,
    SubmitForm,
    UploadForm,
    WithdrawForm,
    discipline_choices,
    keywords_from_text,
    plan_form_class,
    unit_choices,
)
from .models import Application, Referee
from .status_text import ACTION_TEXT, STATE_TEXT, timeline_for

bp = Blueprint("applications", __name__)

STEPS = [
    ("basics", _l("Basics")),
    ("plan", _l("Plan")),
    ("experts", _l("Experts to exclude")),
    ("documents", _l("Documents")),
    ("referees", _l("Referees")),
    ("review", _l("Check and submit")),
]
STEP_NAMES = [s for s, _label in STEPS]


def _editable(application_id: int) -> Application:
    application = own_application_or_404(application_id)
    if not can_edit_application(current_user, application):
        flash(_("This application has been submitted and can no longer be changed."), "warning")
        abort(redirect(url_for("applications.detail", application_id=application.id)))
    return application


# ---------------------------------------------------------------- dashboard and detail


@bp.get("/applications")
@roles_required(Role.APPLICANT)
def dashboard():
    """My applications with their status timelines; a fixed number of queries however many there are."""
    applications = (
        db.session.execute(
            select(Application)
            .where(Application.applicant_id == current_user.id)
            .options(
                joinedload(Application.call).joinedload(Call.program),
                joinedload(Application.unit),
                joinedload(Application.book),
            )
            .order_by(Application.created_at.desc())
        )
        .unique()
        .scalars()
        .all()
    )
    timelines = timeline_for([a.id for a in applications])
    # Which of them have a letter is the letters feature's to say: the template asks its lettered() global.
    return render_template(
        "applications/dashboard.html",
        applications=applications,
        timelines=timelines,
        labels=STATE_TEXT,
        action_labels=ACTION_TEXT,
    )


@bp.get("/applications/<int:application_id>")
@roles_required(Role.APPLICANT, Role.UNIT_ADMIN, Role.PROGRAM_ADMIN)
def detail(application_id: int):
    application = db.get_or_404(Application, application_id)
    if not can_view_application(current_user, application):
        abort(404)
    own = application.applicant_id == current_user.id
    can_withdraw = own and workflow.can(application.state, workflow.Action.WITHDRAW, {"applicant"})
    recheck_until = services.recheck_deadline(application) if own else None
    return render_template(
        "applications/detail.html",
        application=application,
        own=own,
        timeline_entries=timeline_for([application.id])[application.id],
        labels=STATE_TEXT,
        action_labels=ACTION_TEXT,
        withdraw_form=WithdrawForm(),
        can_withdraw=can_withdraw,
        confirm=ConfirmForm(),
        snapshot=application.snapshot or {},
        answers=_answers(application),
        recheck_until=recheck_until,
        recheck_form=RecheckRequestForm(prefix="recheck"),
    )


def _answers(application: Application) -> list[dict]:
    """The call's questions with the answers: as submitted once the application has left the applicant's
    hands, as they stand in the draft before."""
    snapshot = application.snapshot or {}
    if application.state not in workflow.EDITABLE_STATES and "extra" in snapshot.get("application", {}):
        return questions.answers_from_snapshot(snapshot["application"]["extra"], _locale())
    return questions.answers(application.call.extra_fields, application.extra, _locale())


# ---------------------------------------------------------------- starting


@bp.post("/calls/<int:call_id>/apply")
@roles_required(Role.APPLICANT)
def start(call_id: int):
    call = db.get_or_404(Call, call_id)
    form = StartForm()
    # Any unit here: the service says why one outside the program's is refused.
    form.unit_id.choices = select_choices(unit_choices())
    if not form.validate_on_submit():
        for message in form.unit_id.errors:
            flash(message, "danger")
        return redirect(url_for("programs.call", call_id=call.id))
    started = commit_or_refuse(services.start_application, call, current_user._get_current_object(), form.unit_id.data)
    if not started:
        return redirect(url_for("programs.call", call_id=call.id))
    return redirect(url_for("applications.edit", application_id=started.result.id, step="basics"))


@bp.post("/applications/<int:application_id>/delete")
@roles_required(Role.APPLICANT)
def delete(application_id: int):
    application = own_application_or_404(application_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not commit_or_refuse(services.delete_draft, application, current_user._get_current_object()):
        return redirect(url_for("applications.detail", application_id=application_id))
    flash(_("The draft was deleted."), "success")
    return redirect(url_for("applications.dashboard"))


# ---------------------------------------------------------------- the steps


@bp.route("/applications/<int:application_id>/edit/<step>", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def edit(application_id: int, step: str):
    if step not in STEP_NAMES:
        abort(404)
    application = _editable(application_id)
    handler = globals()["_step_" + step]
    return handler(application)


def _next(application, step):
    following = STEP_NAMES[min(STEP_NAMES.index(step) + 1, len(STEP_NAMES) - 1)]
    return redirect(url_for("applications.edit", application_id=application.id, step=following))


def _render(application, step, status=200, **context):
    return render_template(
        f"applications/step_{step}.html",
        application=application,
        step=step,
        steps=STEPS,
        confirm=ConfirmForm(),
        **context,
    ), status


def _save_or_refuse(application, step, form, **context):
    """Commit the step; a closed call or submitted application refuses it and keeps the typed values."""
    if not commit_or_refuse(services.ensure_editable, application):
        return _render(application, step, 409, form=form, **context)
    flash(_("Saved."), "success")
    return _next(application, step)


def _step_basics(application):
    form = BasicsForm(obj=application)
    form.unit_id.choices = select_choices(unit_choices(application.call))
    form.discipline_code.choices = select_choices(discipline_choices())
    if request.method == "GET":
        form.keywords.data = ", ".join(application.keywords or [])
    if form.validate_on_submit():
        if not commit_or_refuse(
            services.save_basics,
            application,
            unit_id=form.unit_id.data,
            title=form.title.data,
            discipline_code=form.discipline_code.data,
            keywords=keywords_from_text(form.keywords.data),
            actor=current_user._get_current_object(),
        ):
            return _render(application, "basics", 409, form=form)
        flash(_("Saved."), "success")
        return _next(application, "basics")
    return _render(application, "basics", 400 if request.method == "POST" else 200, form=form)


def _step_plan(application):
    form = plan_form_class(application.call.extra_fields, _locale())()
    if request.method == "GET":
        form.plan.data = application.plan
        form.load(application.extra)
    if form.validate_on_submit():
        application.plan = (form.plan.data or "").strip()
        application.extra = form.answers()
        return _save_or_refuse(application, "plan", form)
    return _render(application, "plan", 400 if request.method == "POST" else 200, form=form)


def _step_experts(application):
    form = ExclusionForm()
    if form.validate_on_submit():
        try:
            referee_service.add_exclusion(
                application, name=form.name.data, institution=form.institution.data or "", reason=form.reason.data
            )
        except Refusal as exc:
            rollback()
            form.name.errors.append(exc.messages[0])
            return _render(application, "experts", 400, form=form)
        commit()
        flash(_("Saved."), "success")
        return redirect(url_for("applications.edit", application_id=application.id, step="experts"))
    return _render(
        application,
        "experts",
        400 if request.method == "POST" else 200,
        form=form,
        limit=referee_service.MAX_EXCLUSIONS,
    )


def _step_documents(application):
    kinds = questions.document_kinds(application.call.required_documents)
    uploaded: dict[str, list[Document]] = {}
    for doc in sorted(application.documents, key=lambda d: d.id):
        uploaded.setdefault(doc.kind, []).append(doc)
    return _render(application, "documents", kinds=kinds, uploaded=uploaded, form=UploadForm(), max_mb=_max_mb())


def _max_mb():
    from flask import current_app

    return current_app.config["MAX_UPLOAD_MB"]


def _step_referees(application):
    form = RefereeForm()
    if form.validate_on_submit():
        try:
            referee_service.invite_referee(
                application,
                name=form.name.data,
                email=form.email.data,
                institution=form.institution.data,
                title=form.title.data or "",
                locale=_locale(),
            )
        except Refusal as exc:
            rollback()
            form.email.errors.append(exc.messages[0])
            return _render(application, "referees", 400, form=form)
        commit()
        flash(_("The referee has been invited by email."), "success")
        return redirect(url_for("applications.edit", application_id=application.id, step="referees"))
    return _render(
        application,
        "referees",
        400 if request.method == "POST" else 200,
        form=form,
        required=application.call.program.referees_required,
    )


def _step_review(application):
    checked = services.review(application)
    exception_form = ExceptionForm(obj=application)
    if exception_form.validate_on_submit():
        application.exception_requested = exception_form.requested.data
        application.exception_justification = (exception_form.justification.data or "").strip()
        return _save_or_refuse(application, "review", exception_form, checked=checked, submit_form=SubmitForm())
    return _render(
        application, "review", checked=checked, exception_form=exception_form, submit_form=SubmitForm(), form=None
    )


# ---------------------------------------------------------------- documents


@bp.post("/applications/<int:application_id>/documents")
@roles_required(Role.APPLICANT)
def upload(application_id: int):
    """Upload a document the call asks for (a one-file document is replaced); a refused file leaves everything
    else as it was."""
    application = _editable(application_id)
    form = UploadForm()
    kinds = {k.code for k in questions.document_kinds(application.call.required_documents)}
    back = redirect(url_for("applications.edit", application_id=application.id, step="documents"))
    if not form.validate_on_submit() or form.kind.data not in kinds:
        for message in form.file.errors or [_("Choose a PDF file.")]:
            flash(message, "danger")
        return back
    upload_file = form.file.data
    try:
        document = services.add_document(
            application,
            upload_file.read(),
            kind=form.kind.data,
            original_name=upload_file.filename,
            actor=current_user._get_current_object(),
        )
    except Refusal as exc:
        rollback()
        flash(
            _(
                "“%(name)s” was not saved: %(reason)s",
                name=upload_file.filename,
                reason=getattr(exc, "message", None) or exc.messages[0],
            ),
            "danger",
        )
        return back
    commit()
    flash(
        _("“%(name)s” uploaded (%(pages)s pages).", name=document.original_name, pages=document.page_count), "success"
    )
    return back


@bp.post("/applications/<int:application_id>/documents/<int:document_id>/delete")
@roles_required(Role.APPLICANT)
def delete_upload(application_id: int, document_id: int):
    application = _editable(application_id)
    document = db.get_or_404(Document, document_id)
    if document.application_id != application.id or document.kind == "referee_letter":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    delete_document(document)
    services.record("application.document_deleted", application, data={"kind": document.kind})
    commit()
    flash(_("Deleted."), "success")
    return redirect(url_for("applications.edit", application_id=application.id, step="documents"))


@bp.get("/documents/<int:document_id>")
@roles_required(Role.APPLICANT, Role.UNIT_ADMIN, Role.PROGRAM_ADMIN, Role.EXPERT)
def document(document_id: int):
    """Serve a stored PDF to the people allowed to see it; everyone else gets 404."""
    doc = db.get_or_404(Document, document_id)
    if not can_view_document(current_user, doc):
        abort(404)
    response = send_file(
        document_path(doc),
        mimetype="application/pdf",
        download_name=doc.original_name,
        as_attachment=request.args.get("download") == "1",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- exclusions and referees


@bp.post("/applications/<int:application_id>/exclusions/<int:exclusion_id>/delete")
@roles_required(Role.APPLICANT)
def delete_exclusion(application_id: int, exclusion_id: int):
    application = _editable(application_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        referee_service.remove_exclusion(application, exclusion_id)
    except Refusal:
        rollback()
        abort(404)
    commit()
    return redirect(url_for("applications.edit", application_id=application.id, step="experts"))


def _own_referee(application: Application, referee_id: int) -> Referee:
    referee = db.get_or_404(Referee, referee_id)
    if referee.application_id != application.id:
        abort(404)
    return referee


@bp.post("/applications/<int:application_id>/referees/<int:referee_id>/<verb>")
@roles_required(Role.APPLICANT)
def referee_action(application_id: int, referee_id: int, verb: str):
    application = _editable(application_id)
    referee = _own_referee(application, referee_id)
    if verb not in ("remind", "delete") or not ConfirmForm().validate_on_submit():
        abort(404 if verb not in ("remind", "delete") else 400)
    if verb == "remind":
        done = commit_or_refuse(referee_service.remind_referee, referee, _locale())
        message = _("A new link has been sent to the referee.")
    else:
        done = commit_or_refuse(referee_service.remove_referee, referee)
        message = _("Deleted.")
    if done:
        flash(message, "success")
    return redirect(url_for("applications.edit", application_id=application.id, step="referees"))


# ---------------------------------------------------------------- submit and withdraw


@bp.post("/applications/<int:application_id>/submit")
@roles_required(Role.APPLICANT)
def submit(application_id: int):
    application = own_application_or_404(application_id)
    form = SubmitForm()
    if not form.validate_on_submit():
        flash(form.pledge.errors[0] if form.pledge.errors else _("Confirm that the information is true."), "danger")
        return redirect(url_for("applications.edit", application_id=application.id, step="review"))
    try:
        already = services.submit_application_with_retry(application.id, current_user._get_current_object())
    except LookupError:
        abort(404)
    except Refusal as exc:
        rollback()
        for message in exc.messages:
            flash(message, "danger")
        if application.state in workflow.EDITABLE_STATES:
            return redirect(url_for("applications.edit", application_id=application.id, step="review"))
        return redirect(url_for("applications.detail", application_id=application.id))
    if already:
        flash(_("This application had already been submitted; nothing was submitted twice."), "info")
    else:
        flash(_("Your application has been submitted. Your unit will review it."), "success")
    return redirect(url_for("applications.detail", application_id=application.id))


@bp.post("/applications/<int:application_id>/withdraw")
@roles_required(Role.APPLICANT)
def withdraw(application_id: int):
    application = own_application_or_404(application_id)
    form = WithdrawForm()
    if form.validate_on_submit() and commit_or_refuse(
        services.withdraw_application, application, current_user._get_current_object(), form.reason.data or ""
    ):
        flash(_("The application has been withdrawn."), "success")
    return redirect(url_for("applications.detail", application_id=application.id))


@bp.post("/applications/<int:application_id>/recheck")
@roles_required(Role.APPLICANT)
def request_recheck(application_id: int):
    """Ask for a recheck (复核) of a failed formal check, within 15 days, with reasons."""
    application = own_application_or_404(application_id)
    form = RecheckRequestForm(prefix="recheck")
    reason = (form.reason.data or "").strip() if form.validate_on_submit() else ""
    if not reason:
        flash(_("Give your reasons for the recheck."), "danger")
        return redirect(url_for("applications.detail", application_id=application.id))
    if commit_or_refuse(services.request_recheck, application, current_user._get_current_object(), reason):
        flash(_("Your request for a recheck has been sent to the program office."), "success")
    return redirect(url_for("applications.detail", application_id=application.id))


@bp.get("/applications/<int:application_id>/book.pdf")
@roles_required(Role.APPLICANT, Role.UNIT_ADMIN, Role.PROGRAM_ADMIN)
def book(application_id: int):
    application = db.get_or_404(Application, application_id)
    if not can_view_application(current_user, application) or application.book is None:
        abort(404)
    return redirect(url_for("applications.document", document_id=application.book.id, download=1))
