"""Feedback to applicants (专家一、专家二…) and the appeal (复审) within 15 days of a rejection (SPEC §6.3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..applications import workflow
from ..applications.models import Application
from ..applications.services import apply_transition
from ..applications.workflow import FEEDBACK_STATES, State
from ..chinese import chinese_number
from ..database import utcnow
from ..extensions import db
from ..i18n import is_english
from ..programs.models import Call
from ..reviews.assignment.lifecycle import LIVE
from ..reviews.evaluation.schemes import COMPONENT_LABELS
from ..reviews.models import Assignment, Evaluation, EvaluationStatus
from ..reviews.rounds import round_started_at
from .errors import DecisionError
from .models import Appeal, AppealStatus

APPEAL_DAYS = 15
MIN_REASON = 20


class Feedback(NamedTuple):
    """One evaluator's comment as the applicant sees it: a label instead of a name."""

    label: str
    component: str
    comment: str


def evaluator_label(kind: str, n: int, locale: str | None = None) -> str:
    """专家一 / Expert 1 for peer experts, 评价人一 / Evaluator 1 for user and social evaluators."""
    if kind == "peer":
        return f"Expert {n}" if is_english(locale) else f"专家{chinese_number(n)}"
    return f"Evaluator {n}" if is_english(locale) else f"评价人{chinese_number(n)}"


def feedback_for(application: Application, locale: str | None = None) -> list[Feedback]:
    """The current round's comments for the applicant, by evaluation id; never names or confidential text."""
    since = round_started_at(application)
    # Only the three columns the applicant may see are read, so nothing else can leak into a template.
    stmt = (
        select(Evaluation.id, Evaluation.component, Evaluation.comment_for_applicant)
        .join(Assignment, Evaluation.assignment_id == Assignment.id)
        .where(
            Evaluation.application_id == application.id,
            Evaluation.status == EvaluationStatus.SUBMITTED,
            Evaluation.component.in_(("peer", "user", "social")),
        )
        .order_by(Evaluation.id)
    )
    if since is not None:
        stmt = stmt.where(Assignment.invited_at > since)
    english = is_english(locale)
    counters = {"peer": 0, "external": 0}
    rows = []
    for _id, component, comment in db.session.execute(stmt).all():
        group = "peer" if component == "peer" else "external"
        counters[group] += 1
        rows.append(
            Feedback(
                evaluator_label(component, counters[group], locale),
                COMPONENT_LABELS[component][1 if english else 0],
                (comment or "").strip(),
            )
        )
    return rows


def feedback_visible(application: Application) -> bool:
    """Comments are shown once the committee's decision is final, not before."""
    return application.state in FEEDBACK_STATES


# ---------------------------------------------------------------- appeals


def appeal_deadline(application: Application) -> datetime | None:
    """The last moment to appeal: the rejection plus 15 days; None unless the application stands rejected."""
    if application.state != State.REJECTED or application.state_changed_at is None:
        return None
    return application.state_changed_at + timedelta(days=APPEAL_DAYS)


def appeals_of(application: Application) -> list[Appeal]:
    """The application's appeals, newest first."""
    return list(
        db.session.execute(
            select(Appeal)
            .where(Appeal.application_id == application.id)
            .order_by(Appeal.filed_at.desc(), Appeal.id.desc())
        ).scalars()
    )


def _appealed_this_round(application: Application) -> bool:
    # One appeal per decision: a dismissed appeal leaves the application `rejected` with a fresh state time,
    # which must not open a second 15-day window.
    since = round_started_at(application)
    stmt = select(Appeal.id).where(Appeal.application_id == application.id)
    if since is not None:
        stmt = stmt.where(Appeal.filed_at > since)
    return db.session.execute(stmt.limit(1)).first() is not None


def can_appeal(application: Application, now: datetime | None = None) -> bool:
    """Whether the applicant may still file an appeal (state, window, not yet appealed)."""
    deadline = appeal_deadline(application)
    return deadline is not None and (now or utcnow()) <= deadline and not _appealed_this_round(application)


def file_appeal(application: Application, actor: User, reason: str) -> Appeal:
    """Record the applicant's appeal and move the application to `appeal`; refused with the reason why."""
    reason = (reason or "").strip()
    deadline = appeal_deadline(application)
    if deadline is None:
        raise DecisionError(_("An appeal can only be made against a decision not to select the application."))
    if _appealed_this_round(application):
        raise DecisionError(_("You have already appealed against this decision."))
    if utcnow() > deadline:
        raise DecisionError(
            _("An appeal can be made within %(n)s days of the decision; that time has passed.", n=APPEAL_DAYS)
        )
    if len(reason) < MIN_REASON:
        raise DecisionError(_("State the grounds for your appeal (at least %(n)s characters).", n=MIN_REASON))
    appeal = Appeal(application_id=application.id, reason=reason, status=AppealStatus.PENDING.value, filed_at=utcnow())
    db.session.add(appeal)
    db.session.flush()
    apply_transition(application, workflow.Action.APPEAL, actor, comment=reason, data={"appeal_id": appeal.id})
    return appeal


def decide_appeal(appeal: Appeal, actor: User, accept: bool, note: str) -> None:
    """Accept (back to review with new experts) or dismiss (the rejection stands), with a written note."""
    if appeal.status != AppealStatus.PENDING:
        raise DecisionError(_("This appeal has already been decided."))
    note = (note or "").strip()
    application = appeal.application
    # Every expert so far belongs to the closing round; kept in the log as the list new panels must avoid.
    reviewed = sorted(
        set(
            db.session.execute(
                select(Assignment.expert_id).where(
                    Assignment.application_id == application.id,
                    Assignment.kind == "expert",
                    Assignment.expert_id.is_not(None),
                    Assignment.status.in_(LIVE),
                )
            ).scalars()
        )
    )
    action = workflow.Action.ACCEPT_APPEAL if accept else workflow.Action.REJECT_APPEAL
    apply_transition(
        application,
        action,
        actor,
        comment=note,
        data={"appeal_id": appeal.id, **({"previous_experts": reviewed} if accept else {})},
    )
    appeal.status = (AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED).value
    appeal.decision_note = note
    appeal.decided_by_id = actor.id
    # Set after the transition so that it is later than every assignment of the closing round.
    appeal.decided_at = utcnow()
    if accept:  # a new review round begins; the review machinery reads its start from the application
        application.review_round_started_at = appeal.decided_at
    db.session.flush()


def pending_appeals(program_ids: set[int] | None = None) -> list[Appeal]:
    """Appeals awaiting the program office, oldest first, with what the list shows loaded up front.

    `program_ids` keeps the appeals of those programs only (a program office's own); None means every program.
    """
    stmt = select(Appeal).where(Appeal.status == AppealStatus.PENDING)
    if program_ids is not None:
        stmt = stmt.where(
            Appeal.application_id.in_(
                select(Application.id)
                .join(Call, Call.id == Application.call_id)
                .where(Call.program_id.in_(sorted(program_ids)))
            )
        )
    return list(
        db.session.execute(
            stmt.options(
                joinedload(Appeal.application).options(
                    joinedload(Application.applicant),
                    joinedload(Application.unit),
                    joinedload(Application.call).joinedload(Call.program),
                )
            ).order_by(Appeal.filed_at, Appeal.id)
        )
        .unique()
        .scalars()
    )
