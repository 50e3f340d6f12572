"""Evaluation verbs (SPEC §5.5): accept or decline an assignment, keep a draft, submit and lock it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ...accounts.models import Role, User
from ...accounts.services import external_url
from ...applications.models import Application
from ...applications.services import reference
from ...applications.workflow import State
from ...audit.services import record
from ...database import utcnow
from ...extensions import db
from ...notifications.services import queue_email
from ...programs.access import program_admins_for
from ..assignment.lifecycle import LIVE, OPEN, AssignmentAction, AssignmentStatus, can, next_status
from ..errors import ReviewError
from ..models import Assignment, Evaluation, EvaluationStatus
from .schemes import scheme_for_call

FAMILIARITY = ("familiar", "somewhat", "unfamiliar")
RECOMMENDATIONS = ("priority", "support", "oppose")


class EvaluationError(ReviewError):
    """Refused scores, each message keyed by the form field it is about ("score_<code>", "recommendation" …)."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(*fields.values())
        self.fields = dict(fields)


def can_evaluate(user: User | None, assignment: Assignment) -> bool:
    """Only the assigned expert, and only while the assignment is open or submitted (a declined or withdrawn one
    is gone for them)."""
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and assignment.kind == "expert"
        and assignment.expert_id == user.id
        and user.has_role(Role.EXPERT)
        and assignment.status in LIVE
    )


def component_of(assignment: Assignment) -> str:
    """The scheme component this evaluator scores: peer experts, or the user / social evaluation."""
    return "peer" if assignment.kind == "expert" else assignment.kind


def criteria_for(assignment: Assignment) -> dict:
    """{code: {weight, zh, en}} of the component this evaluator scores, from the call's scheme version."""
    components = scheme_for_call(assignment.application.call).definition["components"]
    component = components.get(component_of(assignment))
    if component is None:
        raise ReviewError(_("This program's evaluation scheme has no part for this evaluator."))
    return component["criteria"]


def _actor(assignment: Assignment):
    return assignment.expert if assignment.kind == "expert" else f"evaluator:{assignment.external_email}"


def _ensure_under_review(application: Application) -> None:
    if application.state != State.UNDER_REVIEW:
        raise ReviewError(_("This application is no longer under review."))


def _ensure_own(assignment: Assignment, expert: User) -> None:
    if assignment.kind != "expert" or assignment.expert_id != expert.id:
        raise ReviewError(_("This assignment is not yours."))


# ---------------------------------------------------------------- answering the invitation


def accept_assignment(assignment: Assignment, expert: User, statement: str) -> None:
    """Accept with the signed no-conflict statement (the text, the signer and the time are kept)."""
    _ensure_own(assignment, expert)
    if assignment.status == AssignmentStatus.ACCEPTED:
        return  # a double click or a retry: the first signature stands
    if not can(assignment.status, AssignmentAction.ACCEPT):
        raise ReviewError(_("This invitation has already been answered."))
    _ensure_under_review(assignment.application)
    if not (statement or "").strip():
        raise ReviewError(_("Confirm that you have no conflict of interest with this applicant."))
    now = utcnow()
    assignment.no_conflict_statement = (
        f"{statement.strip()}\n— {expert.name} <{expert.email}>, {now:%Y-%m-%d %H:%M:%S} UTC"
    )
    assignment.status = next_status(assignment.status, AssignmentAction.ACCEPT).value
    assignment.responded_at = now
    record("assignment.accepted", assignment.application, actor=expert, data={"assignment_id": assignment.id})
    db.session.flush()


def decline_assignment(assignment: Assignment, expert: User, reason: str) -> None:
    """Decline (before submitting): the slot is free for another expert and the program office is told."""
    _ensure_own(assignment, expert)
    if not can(assignment.status, AssignmentAction.DECLINE):
        raise ReviewError(_("This assignment can no longer be declined."))
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(_("Give the reason for declining."))
    if assignment.evaluation is not None:  # an unfinished draft must not count, nor block a later assignment
        db.session.delete(assignment.evaluation)
    assignment.status = next_status(assignment.status, AssignmentAction.DECLINE).value
    assignment.responded_at = utcnow()
    assignment.decline_reason = reason[:500]
    application = assignment.application
    record(
        "assignment.declined",
        application,
        actor=expert,
        data={"assignment_id": assignment.id, "reason": assignment.decline_reason},
    )
    for admin in program_admins_for(application.call.program_id):  # the office of this program only
        queue_email(
            admin.email,
            "assignment_declined",
            locale=admin.locale,
            user=admin,
            expert=expert,
            program_name=application.call.program.name(admin.locale),
            reference=reference(application),
            reason=assignment.decline_reason,
            link=external_url("office.application", application_id=application.id),
        )
    db.session.flush()


# ---------------------------------------------------------------- scoring


def evaluation_for(assignment: Assignment) -> Evaluation:
    """The assignment's evaluation, created as a draft the first time."""
    if assignment.evaluation is not None:
        return assignment.evaluation
    key = f"user:{assignment.expert_id}" if assignment.kind == "expert" else f"ext:{assignment.id}"
    found = db.session.execute(
        select(Evaluation).where(
            Evaluation.application_id == assignment.application_id, Evaluation.evaluator_key == key
        )
    ).scalar_one_or_none()
    if found is not None:
        if found.status == EvaluationStatus.SUBMITTED:
            raise ReviewError(_("This evaluation has been submitted and is locked."))
        found.assignment = assignment  # the same person's draft from a withdrawn assignment carries over
        evaluation = found
    else:
        evaluation = Evaluation(
            application_id=assignment.application_id,
            assignment=assignment,
            evaluator_key=key,
            component=component_of(assignment),
            scores={},
            status=EvaluationStatus.DRAFT.value,
        )
        db.session.add(evaluation)
    db.session.flush()
    return evaluation


def _checked(
    assignment: Assignment, scores: dict, familiarity, recommendation, integrity_ok, integrity_note, submit: bool
) -> dict[str, float]:
    """The scores as floats; raises EvaluationError naming every problem (a draft may leave things blank)."""
    criteria = criteria_for(assignment)
    problems: dict[str, str] = {}
    clean: dict[str, float] = {}
    for code, value in (scores or {}).items():
        if code not in criteria:
            problems[f"score_{code}"] = _("Unknown criterion “%(code)s”.", code=code)
            continue
        if value is None or value == "":
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if not 0 <= number <= 100:
            problems[f"score_{code}"] = _("Give a score between 0 and 100.")
        else:
            clean[code] = number
    expert = assignment.kind == "expert"
    if familiarity not in (None, "") and (not expert or familiarity not in FAMILIARITY):
        problems["familiarity"] = _("Choose how familiar you are with the field.")
    if recommendation not in (None, "") and recommendation not in RECOMMENDATIONS:
        problems["recommendation"] = _("Choose a recommendation.")
    if submit:
        for code in criteria:
            if code not in clean:
                problems.setdefault(f"score_{code}", _("Give a score between 0 and 100."))
        if expert and not familiarity:
            problems["familiarity"] = _("Choose how familiar you are with the field.")
        if not recommendation:
            problems["recommendation"] = _("Choose a recommendation.")
        if integrity_ok is None:
            problems["integrity"] = _("Answer the integrity question.")
        elif integrity_ok is False and not (integrity_note or "").strip():
            problems["integrity_note"] = _("Describe the misconduct you know of.")
    if problems:
        raise EvaluationError(problems)
    return clean


def save_evaluation(
    assignment: Assignment,
    *,
    scores: dict,
    familiarity: str | None,
    recommendation: str | None,
    comment_for_applicant: str,
    comment_confidential: str,
    integrity_ok: bool | None,
    integrity_note: str,
    submit: bool,
) -> Evaluation:
    """Save the draft, or submit it; a submitted evaluation is locked and refuses every change."""
    # Re-read under a row lock: a second tab or a double click must find the first submission.
    db.session.refresh(assignment, with_for_update=True)
    if assignment.status == AssignmentStatus.SUBMITTED or (
        assignment.evaluation is not None and assignment.evaluation.status == EvaluationStatus.SUBMITTED
    ):
        raise ReviewError(_("This evaluation has been submitted and is locked."))
    if assignment.status == AssignmentStatus.INVITED and assignment.kind == "expert":
        raise ReviewError(_("Accept the assignment before scoring."))
    if assignment.status not in OPEN:
        raise ReviewError(_("This assignment is closed."))
    application = assignment.application
    _ensure_under_review(application)
    clean = _checked(assignment, scores, familiarity, recommendation, integrity_ok, integrity_note, submit)
    evaluation = evaluation_for(assignment)
    now = utcnow()
    if assignment.status == AssignmentStatus.INVITED:  # outside evaluators accept by starting to score
        assignment.status = next_status(assignment.status, AssignmentAction.ACCEPT).value
        assignment.responded_at = now
    evaluation.scores = clean
    evaluation.familiarity = (familiarity or None) if assignment.kind == "expert" else None
    evaluation.recommendation = recommendation or None
    evaluation.comment_for_applicant = (comment_for_applicant or "").strip()
    evaluation.comment_confidential = (comment_confidential or "").strip()
    if integrity_ok is not None:  # a draft may leave the question unanswered
        evaluation.integrity_ok = bool(integrity_ok)
        evaluation.integrity_note = "" if integrity_ok else (integrity_note or "").strip()
    if submit:
        evaluation.status, evaluation.submitted_at = EvaluationStatus.SUBMITTED.value, now
        assignment.status = next_status(assignment.status, AssignmentAction.SUBMIT).value
        # Scores and recommendation go into the log; the comments stay in the evaluation.
        record(
            "evaluation.submitted",
            application,
            actor=_actor(assignment),
            data={
                "assignment_id": assignment.id,
                "evaluation_id": evaluation.id,
                "component": evaluation.component,
                "scores": clean,
                "recommendation": recommendation,
                "integrity_ok": evaluation.integrity_ok,
            },
        )
        if not evaluation.integrity_ok:
            application.integrity_flag = True
            record(
                "application.integrity_flagged",
                application,
                actor=_actor(assignment),
                data={"assignment_id": assignment.id, "evaluation_id": evaluation.id},
            )
    db.session.flush()
    return evaluation
