"""Experts' pages: the queue with due dates, accept or decline, and the scoring form (SPEC §5.5)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from ...accounts.models import Role
from ...applications.models import Application
from ...applications.services import reference
from ...applications.workflow import State
from ...auth import roles_required
from ...database import commit, local_today, rollback
from ...errors import Refusal
from ...extensions import db
from ...i18n import current_locale
from ...storage import Document, document_path
from ...views_support import commit_or_refuse
from ..assignment.lifecycle import EXPERT_STATUS_LABELS, AssignmentStatus
from ..forms import AcceptForm, DeclineForm, scoring_data, scoring_form_class, scoring_payload
from ..models import Assignment
from . import services as evaluations
from .schemes import COMPONENT_LABELS
from .services import EvaluationError, can_evaluate, criteria_for

bp = Blueprint("expert", __name__, url_prefix="/expert")

DOCUMENTS_SHOWN = frozenset({AssignmentStatus.ACCEPTED, AssignmentStatus.SUBMITTED})


def attach_errors(form, error: EvaluationError) -> None:
    """Show the service's refusals under the fields they are about."""
    for name, message in error.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "danger")


def evaluable_documents(application: Application) -> list[Document]:
    """The application's required documents (never referee letters, the application book or profile files)."""
    kinds = [d["code"] for d in application.call.required_documents]
    if not kinds:
        return []
    return (
        db.session.execute(
            select(Document)
            .where(Document.application_id == application.id, Document.kind.in_(kinds))
            .order_by(Document.id)
        )
        .scalars()
        .all()
    )


def _assignment(assignment_id: int) -> Assignment:
    """The current expert's own assignment, or 404 (other experts' ids reveal nothing)."""
    assignment = db.get_or_404(Assignment, assignment_id)
    if not can_evaluate(current_user, assignment):
        abort(404)
    return assignment


# ---------------------------------------------------------------- the queue


@bp.get("/")
@roles_required(Role.EXPERT)
def queue():
    """My assignments, invitations awaiting an answer first; a fixed number of queries however many."""
    rank = case(
        {AssignmentStatus.INVITED: 0, AssignmentStatus.ACCEPTED: 1, AssignmentStatus.SUBMITTED: 2},
        value=Assignment.status,
        else_=3,
    )
    page = db.paginate(
        select(Assignment)
        .where(
            Assignment.kind == "expert",
            Assignment.expert_id == current_user.id,
            Assignment.status != AssignmentStatus.WITHDRAWN,
        )
        .options(
            joinedload(Assignment.application).options(
                joinedload(Application.call), joinedload(Application.unit), joinedload(Application.applicant)
            )
        )
        .order_by(rank, Assignment.due_date.is_(None), Assignment.due_date, Assignment.id),
        per_page=50,
        error_out=False,
    )
    return render_template(
        "reviews/expert_queue.html", page=page, today=local_today(), labels=EXPERT_STATUS_LABELS, reference=reference
    )


# ---------------------------------------------------------------- one assignment


def _page(assignment: Assignment, status: int = 200, *, accept_form=None, decline_form=None, form=None):
    """The assignment page; forms passed in come back with the expert's input and errors."""
    application = assignment.application
    program = application.call.program
    criteria, problem = None, None
    try:
        criteria = criteria_for(assignment)
    except Refusal as exc:
        problem = exc.messages[0]
    open_for_scoring = assignment.status == AssignmentStatus.ACCEPTED and application.state == State.UNDER_REVIEW
    if form is None and criteria is not None and open_for_scoring:
        form = scoring_form_class(criteria, current_locale(), ask_familiarity=True)(
            formdata=None, data=scoring_data(assignment.evaluation)
        )
    documents = evaluable_documents(application) if assignment.status in DOCUMENTS_SHOWN else []
    return render_template(
        "reviews/expert_assignment.html",
        assignment=assignment,
        application=application,
        program=program,
        snapshot=application.snapshot or {},
        blind=program.blind_review,
        criteria=criteria,
        problem=problem,
        form=form if open_for_scoring else None,
        accept_form=accept_form or AcceptForm(formdata=None),
        decline_form=decline_form or DeclineForm(formdata=None),
        documents=documents,
        labels=EXPERT_STATUS_LABELS,
        component=COMPONENT_LABELS["peer"],
        evaluation=assignment.evaluation,
        today=local_today(),
        under_review=application.state == State.UNDER_REVIEW,
        reference=reference(application),
    ), status


@bp.get("/assignments/<int:assignment_id>")
@roles_required(Role.EXPERT)
def assignment(assignment_id: int):
    """The application (anonymised in blind calls), the answer to the invitation, then the scoring form."""
    return _page(_assignment(assignment_id))


@bp.get("/assignments/<int:assignment_id>/documents/<int:document_id>")
@roles_required(Role.EXPERT)
def document(assignment_id: int, document_id: int):
    """An application document, for the expert who accepted the assignment."""
    assignment = _assignment(assignment_id)
    doc = db.session.get(Document, document_id)
    if (
        assignment.status not in DOCUMENTS_SHOWN
        or doc is None
        or doc.application_id != assignment.application_id
        or doc not in evaluable_documents(assignment.application)
    ):
        abort(404)
    # A file name often carries the applicant's name: blind calls serve it under its kind.
    name = f"{doc.kind}.pdf" if assignment.application.call.program.blind_review else doc.original_name
    response = send_file(
        document_path(doc),
        mimetype="application/pdf",
        download_name=name,
        as_attachment=request.args.get("download") == "1",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/assignments/<int:assignment_id>/accept")
@roles_required(Role.EXPERT)
def accept(assignment_id: int):
    """Accept the invitation; the ticked no-conflict statement is signed with the expert's name and the time."""
    assignment = _assignment(assignment_id)
    form = AcceptForm()
    if not form.validate_on_submit():
        return _page(assignment, 400, accept_form=form)
    # The statement is kept as the expert read it, in the language of the page.
    if not commit_or_refuse(
        evaluations.accept_assignment, assignment, current_user._get_current_object(), str(form.no_conflict.label.text)
    ):
        return redirect(url_for("expert.assignment", assignment_id=assignment_id))
    flash(_("You accepted the assignment. The scoring form is below."), "success")
    return redirect(url_for("expert.assignment", assignment_id=assignment_id))


@bp.post("/assignments/<int:assignment_id>/decline")
@roles_required(Role.EXPERT)
def decline(assignment_id: int):
    """Decline with a reason: the place goes back to the program office for another expert."""
    assignment = _assignment(assignment_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _page(assignment, 400, decline_form=form)
    if not commit_or_refuse(
        evaluations.decline_assignment, assignment, current_user._get_current_object(), form.reason.data
    ):
        return redirect(url_for("expert.assignment", assignment_id=assignment_id))
    flash(_("You declined the assignment; the program office has been told."), "success")
    return redirect(url_for("expert.queue"))


def _score(assignment_id: int, submit: bool):
    """Save or submit the scoring form; refusals come back with what was typed."""
    assignment = _assignment(assignment_id)
    try:
        criteria = criteria_for(assignment)
    except Refusal:
        abort(404)
    form = scoring_form_class(criteria, current_locale(), ask_familiarity=True)()
    if not form.validate_on_submit():
        return _page(assignment, 400, form=form)
    try:
        evaluations.save_evaluation(assignment, **scoring_payload(form, criteria), submit=submit)
    except EvaluationError as exc:
        rollback()
        attach_errors(form, exc)
        return _page(assignment, 400, form=form)
    except Refusal as exc:
        rollback()
        flash(exc.messages[0], "danger")
        return _page(assignment, 409, form=form)
    commit()
    if submit:
        flash(_("Your evaluation has been submitted. Thank you."), "success")
        return redirect(url_for("expert.queue"))
    flash(_("Draft saved. You can come back to it until you submit."), "success")
    return redirect(url_for("expert.assignment", assignment_id=assignment_id))


@bp.post("/assignments/<int:assignment_id>/save")
@roles_required(Role.EXPERT)
def save(assignment_id: int):
    """Keep a draft: blanks are allowed, out-of-range scores are not."""
    return _score(assignment_id, submit=False)


@bp.post("/assignments/<int:assignment_id>/submit")
@roles_required(Role.EXPERT)
def submit(assignment_id: int):
    """Submit the complete evaluation; from then on it is locked."""
    return _score(assignment_id, submit=True)
