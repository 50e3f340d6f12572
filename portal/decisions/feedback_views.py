"""Applicants: the experts' comments meant for them (专家一、专家二…) and the appeal (复审) within 15 days."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.models import Role
from ..applications.access import own_application_or_404
from ..applications.status_text import STATE_TEXT
from ..applications.workflow import State
from ..auth import roles_required
from ..database import commit, rollback
from ..errors import Refusal
from ..extensions import db
from ..programs.access import managed_or_404, managed_program_ids
from ..views_support import commit_or_refuse
from . import appeals as service
from .forms import AppealDecisionForm, AppealForm
from .models import APPEAL_STATUS_LABELS, Appeal

bp = Blueprint("feedback", __name__, url_prefix="/applications")


def _decision_form(appeal_id: int) -> AppealDecisionForm:
    # One prefix per appeal: several forms share the list page and each keeps its own typed note.
    return AppealDecisionForm(prefix=f"appeal{appeal_id}")


# ---------------------------------------------------------------- the applicant


def _feedback_page(application, form: AppealForm | None = None, status: int = 200):
    visible = service.feedback_visible(application)
    open_until = service.appeal_deadline(application) if service.can_appeal(application) else None
    return render_template(
        "decisions/feedback.html",
        application=application,
        labels=STATE_TEXT,
        visible=visible,
        feedback=service.feedback_for(application) if visible else [],
        appeals=service.appeals_of(application),
        appeal_status=APPEAL_STATUS_LABELS,
        open_until=open_until,
        form=form or AppealForm(),
        window_passed=application.state == State.REJECTED and open_until is None,
        min_reason=service.MIN_REASON,
    ), status


@bp.get("/<int:application_id>/feedback")
@roles_required(Role.APPLICANT)
def feedback(application_id: int):
    """The comments for the applicant once the decision is final, and the appeal form while it is open."""
    return _feedback_page(own_application_or_404(application_id))


@bp.post("/<int:application_id>/appeal")
@roles_required(Role.APPLICANT)
def appeal(application_id: int):
    """File an appeal (复审); refused ones come back with the typed grounds kept."""
    application = own_application_or_404(application_id)
    form = AppealForm()
    if not form.validate_on_submit():
        return _feedback_page(application, form, 400)
    try:
        service.file_appeal(application, current_user._get_current_object(), form.reason.data)
    except Refusal as exc:
        rollback()
        if service.can_appeal(application):
            form.reason.errors = [*form.reason.errors, *exc.messages]
        else:  # no form will be shown to carry the message
            for message in exc.messages:
                flash(message, "danger")
        return _feedback_page(application, form, 409)
    commit()
    flash(_("Your appeal has been sent to the program office."), "success")
    return redirect(url_for("feedback.feedback", application_id=application.id))


# ---------------------------------------------------------------- the program office


def _appeals_page(status: int = 200, forms: dict | None = None):
    pending = service.pending_appeals(managed_program_ids(current_user))  # the programs this person runs
    forms = forms or {}
    return render_template(
        "decisions/appeals.html",
        appeals=pending,
        labels=STATE_TEXT,
        forms={a.id: forms.get(a.id) or _decision_form(a.id) for a in pending},
    ), status


@bp.get("/appeals")
@roles_required(Role.PROGRAM_ADMIN)
def appeals():
    """Appeals awaiting a decision, oldest first."""
    return _appeals_page()


@bp.post("/appeals/<int:appeal_id>")
@roles_required(Role.PROGRAM_ADMIN)
def decide(appeal_id: int):
    """Accept or dismiss one appeal with a note the applicant will read."""
    found = db.get_or_404(Appeal, appeal_id)
    managed_or_404(current_user, found.application.call.program_id)
    form = _decision_form(found.id)
    if not form.validate_on_submit():
        return _appeals_page(400, {found.id: form})
    accept = form.decision.data == "accept"
    if not commit_or_refuse(service.decide_appeal, found, current_user._get_current_object(), accept, form.note.data):
        return _appeals_page(409, {found.id: form})
    flash(
        _("The appeal has been accepted; assign new experts to the application.")
        if accept
        else _("The appeal has been dismissed."),
        "success",
    )
    return redirect(url_for("feedback.appeals"))
