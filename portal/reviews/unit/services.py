"""Unit review verbs (SPEC §5.1): endorse with the unit's commitments and assessment, return, decline, order of preference."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...accounts.models import User
from ...applications import workflow
from ...applications.models import Application
from ...applications.services import apply_transition
from ...applications.workflow import NOT_ENDORSED_STATES
from ...audit.services import record
from ...database import utcnow
from ...extensions import db
from ..errors import ReviewError
from ..evaluation.schemes import scheme_for_call
from ..models import Evaluation, EvaluationStatus, UnitReview

A = workflow.Action


def endorsed_count(call_id: int, unit_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(UnitReview)
        .join(Application)
        .where(
            Application.call_id == call_id,
            Application.unit_id == unit_id,
            Application.state.not_in(NOT_ENDORSED_STATES),
        )
    ).scalar_one()


def endorse(
    application: Application,
    actor: User,
    *,
    post: str,
    startup_funds: str,
    space: str,
    opinion: str,
    unit_scores: dict[str, float] | None = None,
    exception_endorsement: str = "",
) -> UnitReview:
    """Endorse with the unit's commitments (and its assessment scores when the scheme has a unit component)."""
    # The call's figure for this unit (its own row in the call's unit quotas, else the call's default).
    quota = application.call.quota_for_unit(application.unit_id)
    if quota is not None and endorsed_count(application.call_id, application.unit_id) >= quota:
        raise ReviewError(_("Your unit has used all %(n)s endorsements for this call.", n=quota))
    if application.exception_requested and len(exception_endorsement.strip()) < 10:
        raise ReviewError(
            _(
                "This applicant asked for an exception (破格): endorsing it needs the unit's written "
                "statement supporting the exception."
            )
        )
    scheme = scheme_for_call(application.call).definition
    unit_component = scheme["components"].get("unit")
    if unit_component:
        missing = [code for code in unit_component["criteria"] if (unit_scores or {}).get(code) is None]
        if missing:
            raise ReviewError(_("Enter the unit assessment score for every criterion."))
        _check_scores(unit_scores, unit_component["criteria"])
    # The unit's opinion is for the program office: it is kept on the review, not shown in the applicant's history.
    apply_transition(
        application, A.UNIT_ENDORSE, actor, data={"post": post, "startup_funds": startup_funds, "space": space}
    )
    review = UnitReview(
        application_id=application.id,
        reviewer_id=actor.id,
        post=post.strip(),
        startup_funds=startup_funds.strip(),
        space=space.strip(),
        opinion=opinion.strip(),
        exception_endorsement=exception_endorsement.strip(),
    )
    existing = db.session.execute(
        select(UnitReview).where(UnitReview.application_id == application.id)
    ).scalar_one_or_none()
    if existing is not None:  # endorsed again after a return and resubmission
        db.session.delete(existing)
        db.session.flush()
    db.session.add(review)
    application.exception_endorsed = bool(application.exception_requested)
    if unit_component:
        key = f"unit:{application.unit_id}"
        old = db.session.execute(
            select(Evaluation).where(Evaluation.application_id == application.id, Evaluation.evaluator_key == key)
        ).scalar_one_or_none()
        if old is not None:
            db.session.delete(old)
            db.session.flush()
        db.session.add(
            Evaluation(
                application_id=application.id,
                evaluator_key=key,
                component="unit",
                scores={k: float(v) for k, v in unit_scores.items()},
                status=EvaluationStatus.SUBMITTED.value,
                submitted_at=utcnow(),
                integrity_ok=True,
            )
        )
    db.session.flush()
    return review


def _check_scores(scores: dict, criteria: dict) -> None:
    for code in criteria:
        value = scores.get(code)
        if value is None or not 0 <= float(value) <= 100:
            raise ReviewError(_("Scores are between 0 and 100."))


def return_for_revision(application: Application, actor: User, reason: str) -> None:
    apply_transition(application, A.RETURN_FOR_REVISION, actor, comment=reason)


def decline(application: Application, actor: User, reason: str) -> None:
    apply_transition(application, A.UNIT_DECLINE, actor, comment=reason)


def set_unit_ranks(applications: list[Application], ordered_ids: list[int], actor: User) -> None:
    """The unit's order of preference among its endorsed candidates (1 = first)."""
    by_id = {a.id: a for a in applications}
    if sorted(ordered_ids) != sorted(by_id):
        raise ReviewError(_("Rank every endorsed candidate exactly once."))
    for rank, app_id in enumerate(ordered_ids, start=1):
        review = by_id[app_id].unit_review
        if review is not None:
            review.unit_rank = rank
    record("unit.ranked", applications[0].call if applications else None, actor=actor, data={"order": ordered_ids})
    db.session.flush()
