"""Assigning experts and outside evaluators by hand (SPEC §5.3), their tokens, and withdrawing an assignment."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ...accounts.models import User
from ...accounts.services import external_url
from ...applications.models import Application
from ...applications.workflow import State
from ...audit.services import record
from ...database import utcnow
from ...extensions import db
from ...i18n import is_english
from ...notifications.services import queue_email
from ..assignment.lifecycle import LIVE, OPEN, AssignmentAction, AssignmentStatus, can, next_status
from ..assignment.pool import build_problem
from ..errors import ReviewError
from ..evaluation.schemes import scheme_for_call
from ..experts import conflicts
from ..models import Assignment, ExpertProfile
from ..rounds import previous_experts, round_started_at

VIOLATION_TEXT = {
    "same_branch": ("与申请人属同一单位或同一单位体系", "same unit or unit branch as the applicant"),
    "former_unit": ("近 3 年曾在申请人所在单位体系工作", "worked in the applicant's unit branch in the last 3 years"),
    "excluded": ("在申请人的回避专家名单中", "on the applicant's list of experts to exclude"),
    "declared": ("存在已申报的利益冲突", "a declared conflict of interest"),
    "self": ("专家即申请人本人", "the expert is the applicant"),
    "discipline": ("专家不属于该申请的一级学科", "not in the application's first-level discipline"),
    "over_cap": ("已达到本批次评审数量上限", "already at the review load cap for this call"),
    "same_unit": ("该申请已有同一单位的专家", "the application already has an expert from the same unit"),
    "too_many": ("该申请的专家人数已满", "the application already has its number of experts"),
    "duplicate": ("已分配给该申请", "already assigned to this application"),
    "unknown": ("不在专家库中", "not in the expert pool"),
    "previous_round": ("已参加该申请此前的评审", "reviewed this application in an earlier round"),
}


def review_due_date(call) -> date:
    """When an assignment made now is due: the call's review deadline, else three weeks from today."""
    return call.review_due or (utcnow() + timedelta(days=21)).date()


def assignment_violations(application: Application, expert_id: int) -> list[tuple[str, str]]:
    """Why this expert may not review this application, as (zh, en) reasons; empty when allowed."""
    # After an accepted appeal the application is reviewed again by new experts: the earlier panel neither counts
    # towards this round's limits nor may be assigned again.
    since = round_started_at(application)
    live = [
        a.expert_id
        for a in application.assignments
        if a.expert_id and a.status in LIVE and (since is None or a.invited_at > since)
    ]
    if expert_id in previous_experts(application):
        return [VIOLATION_TEXT["previous_round"]]
    if expert_id in live:
        return [VIOLATION_TEXT["duplicate"]]
    problem = build_problem(application.call, application_ids=[application.id], expert_ids=live + [expert_id])
    # The candidate's own cap is what is left in this call; the others already count against theirs.
    problem.experts = [
        e if e.id == expert_id else conflicts.Expert(**{**e.__dict__, "cap": e.cap + 1}) for e in problem.experts
    ]
    violations = conflicts.check_pairs(problem, [(application.id, e) for e in live + [expert_id]])
    return [
        VIOLATION_TEXT.get(v.kind, (v.kind, v.kind))
        for v in violations
        if v.expert_id in (expert_id, None) or v.kind in ("same_unit", "too_many")
    ]


def assign_expert(
    application: Application, expert: User, actor: User, *, method: str = "manual", due_date: date | None = None
) -> Assignment:
    """Invite one expert, refused with the reasons when any conflict rule forbids it."""
    if application.state != State.UNDER_REVIEW:
        raise ReviewError(_("Experts are assigned once the application has passed the formal check."))
    if db.session.get(ExpertProfile, expert.id) is None:
        raise ReviewError(_("This person is not in the expert pool."))
    reasons = assignment_violations(application, expert.id)
    if reasons:
        english = is_english()
        raise ReviewError(
            *[
                (
                    _(
                        "%(name)s cannot review this application: %(reason)s",
                        name=expert.name,
                        reason=en if english else zh,
                    )
                )
                for zh, en in reasons
            ]
        )
    assignment = Assignment(
        application=application,
        kind="expert",
        expert_id=expert.id,
        status=AssignmentStatus.INVITED.value,
        due_date=due_date or review_due_date(application.call),
        method=method,
        created_by_id=actor.id,
    )
    db.session.add(assignment)
    db.session.flush()
    record(
        "assignment.created",
        application,
        actor=actor,
        data={"assignment_id": assignment.id, "expert_id": expert.id, "method": method},
    )
    queue_email(
        expert.email,
        "expert_invitation",
        locale=expert.locale,
        user=expert,
        program_name=application.call.program.name(expert.locale),
        due=assignment.due_date,
        link=external_url("expert.queue"),
    )
    return assignment


def invite_external(
    application: Application,
    *,
    kind: str,
    name: str,
    email: str,
    actor: User,
    due_date: date | None = None,
    locale: str = "zh_CN",
) -> Assignment:
    """A user or social evaluator: a personal token link, no account; it stops working after submission or expiry."""
    if kind not in ("user", "social"):
        raise ReviewError(_("Unknown evaluator kind."))
    if application.state != State.UNDER_REVIEW:
        raise ReviewError(_("Evaluators are invited once the application has passed the formal check."))
    components = scheme_for_call(application.call).definition["components"]
    if kind not in components:
        raise ReviewError(_("This program's evaluation scheme has no %(kind)s evaluation.", kind=kind))
    email = email.strip().lower()
    token = secrets.token_urlsafe(32)
    due = due_date or review_due_date(application.call)
    assignment = Assignment(
        application=application,
        kind=kind,
        external_name=name.strip(),
        external_email=email,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        status=AssignmentStatus.INVITED.value,
        due_date=due,
        method="manual",
        created_by_id=actor.id,
        expires_at=datetime.combine(due + timedelta(days=7), time(16, 0), tzinfo=UTC),
    )
    db.session.add(assignment)
    db.session.flush()
    record(
        "assignment.external_invited",
        application,
        actor=actor,
        data={"assignment_id": assignment.id, "kind": kind, "email": email},
    )
    queue_email(
        email,
        "evaluator_invitation",
        locale=locale,
        name=name,
        kind=kind,
        program_name=application.call.program.name(locale),
        due=due,
        link=external_url("evaluate.form", token=token),
    )
    return assignment


def external_assignment_for_token(token: str) -> Assignment | None:
    """The open external assignment a link belongs to; None once submitted, withdrawn or expired."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    assignment = db.session.execute(select(Assignment).where(Assignment.token_hash == digest)).scalar_one_or_none()
    if assignment is None or assignment.status not in OPEN:
        return None
    if assignment.expires_at is not None and utcnow() >= assignment.expires_at:
        return None
    return assignment


def withdraw_assignment(assignment: Assignment, actor: User, reason: str = "") -> None:
    if assignment.status == AssignmentStatus.SUBMITTED:
        raise ReviewError(_("A submitted evaluation cannot be withdrawn."))
    if assignment.status == AssignmentStatus.WITHDRAWN:
        return  # a double click or a retry: withdrawn once, logged once
    if not can(assignment.status, AssignmentAction.WITHDRAW):  # declined: the decline stays on record
        raise ReviewError(_("This assignment is closed."))
    assignment.status = next_status(assignment.status, AssignmentAction.WITHDRAW).value
    record(
        "assignment.withdrawn",
        assignment.application,
        actor=actor,
        data={"assignment_id": assignment.id, "reason": reason},
    )
