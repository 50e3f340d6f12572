"""Decision verbs (SPEC §6.1–6.2): committee sessions and votes, the public notice (公示) and its objections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..accounts.services import external_url
from ..applications import workflow
from ..applications.models import Application
from ..applications.services import apply_transition, beijing
from ..applications.workflow import PLACE_STATES, State
from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..notifications.services import queue_email
from ..programs.access import program_admins_for
from ..programs.models import Call, Discipline
from ..reviews.evaluation.schemes import options_for_call
from ..reviews.ranking.services import RankingError, ranking_for_call
from .errors import DecisionError
from .models import (
    Decision,
    DecisionSession,
    Notice,
    NoticeItem,
    NoticeStatus,
    Objection,
    ObjectionStatus,
    SessionStatus,
)

OUTCOMES = ("approve", "reject", "waitlist")
OUTCOME_ACTIONS = {
    "approve": workflow.Action.APPROVE,
    "reject": workflow.Action.REJECT,
    "waitlist": workflow.Action.WAITLIST,
}
MAX_NOTICE_DAYS = 60


# ---------------------------------------------------------------- sessions and votes


def open_session(
    call: Call, actor: User, committee_size: int = 15, quorum: int = 10, two_thirds: bool = True, title: str = ""
) -> DecisionSession:
    """Open the call's decision session; a call has at most one open session at a time."""
    if current_session(call, open_only=True) is not None:
        raise DecisionError(_("This call already has an open decision session; finalise it first."))
    if committee_size < 1 or quorum < 1:
        raise DecisionError(_("The committee size and the quorum must be at least 1."))
    if quorum > committee_size:
        raise DecisionError(
            _(
                "The quorum (%(quorum)s) cannot exceed the committee size (%(size)s).",
                quorum=quorum,
                size=committee_size,
            )
        )
    session = DecisionSession(
        call_id=call.id,
        committee_size=committee_size,
        quorum=quorum,
        two_thirds=bool(two_thirds),
        status=SessionStatus.DRAFT.value,
        opened_by_id=actor.id,
        title=(title or "").strip()[:200] or f"{call.program.name_zh} {call.year} 会议评审",
    )
    db.session.add(session)
    db.session.flush()
    record(
        "decision_session.opened",
        session,
        actor=actor,
        data={"call_id": call.id, "committee_size": committee_size, "quorum": quorum, "two_thirds": bool(two_thirds)},
    )
    return session


def current_session(call: Call, open_only: bool = False) -> DecisionSession | None:
    """The call's open session, else (unless open_only) its latest finalised one."""
    stmt = select(DecisionSession).where(DecisionSession.call_id == call.id)
    if open_only:
        stmt = stmt.where(DecisionSession.status == SessionStatus.DRAFT)
    # Draft first: while a session is open it is the one to show.
    return db.session.execute(
        stmt.order_by((DecisionSession.status == SessionStatus.DRAFT).desc(), DecisionSession.id.desc()).limit(1)
    ).scalar_one_or_none()


def vote_problems(
    session: DecisionSession, outcome: str, votes_for: int, votes_against: int, votes_abstain: int
) -> list[str]:
    """Why a vote does not carry the outcome under the session's rules (empty when it does)."""
    if min(votes_for, votes_against, votes_abstain) < 0:
        return [_("Vote counts cannot be negative.")]
    problems = []
    present = votes_for + votes_against + votes_abstain
    if present < session.quorum:
        problems.append(
            _(
                "%(present)s members voted but the quorum is %(quorum)s: the decision is not valid.",
                present=present,
                quorum=session.quorum,
            )
        )
    if present > session.committee_size:
        problems.append(
            _(
                "%(present)s votes were recorded but the committee has only %(size)s members.",
                present=present,
                size=session.committee_size,
            )
        )
    if outcome == "approve" and not problems:
        cast = votes_for + votes_against
        if session.two_thirds and (votes_for == 0 or 3 * votes_for < 2 * cast):
            # Integer arithmetic: 2/3 of the votes cast is exact only as 3·for ≥ 2·cast.
            problems.append(
                _(
                    "Approval needs at least two thirds of the votes cast (for and against): "
                    "%(for)s of %(cast)s is not enough.",
                    **{"for": votes_for, "cast": cast},
                )
            )
        elif not session.two_thirds and votes_for <= votes_against:
            problems.append(
                _(
                    "Approval needs more votes for than against (%(for)s for, %(against)s against).",
                    **{"for": votes_for, "against": votes_against},
                )
            )
    return problems


def places_taken(session: DecisionSession, except_application_id: int | None = None) -> int:
    """The call's places held by candidates plus this session's draft approvals."""
    held = db.session.execute(
        select(func.count())
        .select_from(Application)
        .where(Application.call_id == session.call_id, Application.state.in_(PLACE_STATES))
    ).scalar_one()
    drafts = (
        select(func.count())
        .select_from(Decision)
        .join(Application, Application.id == Decision.application_id)
        .where(Decision.session_id == session.id, Decision.outcome == "approve", Application.state == State.REVIEWED)
    )
    if except_application_id is not None:
        drafts = drafts.where(Decision.application_id != except_application_id)
    return held + db.session.execute(drafts).scalar_one()


def record_decision(
    session: DecisionSession,
    application: Application,
    outcome: str,
    votes_for: int,
    votes_against: int,
    votes_abstain: int,
    note: str,
    actor: User,
) -> Decision:
    """Record or replace the draft decision on one application; nothing changes state until finalise."""
    if session.status != SessionStatus.DRAFT:
        raise DecisionError(_("This decision session has been finalised; its decisions can no longer change."))
    if application.call_id != session.call_id:
        raise DecisionError(_("This application does not belong to the session's call."))
    if outcome not in OUTCOMES:
        raise DecisionError(_("Choose approve, reject or waitlist."))
    if application.state != State.REVIEWED:
        raise DecisionError(
            _(
                "Only applications whose review is complete can be decided (%(name)s is not).",
                name=application.applicant.name,
            )
        )
    if outcome == "approve" and application.integrity_flag:
        raise DecisionError(
            _(
                "%(name)s has an open integrity flag and cannot be approved; clear or confirm the flag first.",
                name=application.applicant.name,
            )
        )
    problems = vote_problems(session, outcome, votes_for, votes_against, votes_abstain)
    if problems:
        raise DecisionError(*problems)
    quota = session.call.total_quota
    if outcome == "approve" and quota and places_taken(session, application.id) >= quota:
        raise DecisionError(
            _("The call's quota of %(n)s places is full; approving another candidate would exceed it.", n=quota)
        )
    decision = next((d for d in session.decisions if d.application_id == application.id), None)
    if decision is None:
        decision = Decision(application_id=application.id, application=application)
        session.decisions.append(decision)
    decision.outcome = outcome
    decision.votes_for, decision.votes_against, decision.votes_abstain = votes_for, votes_against, votes_abstain
    decision.note = (note or "").strip()
    decision.recorded_by_id = actor.id
    decision.recorded_at = utcnow()
    db.session.flush()
    record(
        "decision.recorded",
        decision,
        actor=actor,
        data={
            "session_id": session.id,
            "application_id": application.id,
            "outcome": outcome,
            "votes": [votes_for, votes_against, votes_abstain],
        },
    )
    return decision


@dataclass
class TopResult:
    """What approve_top did: the decisions recorded and the candidates it passed over, with why."""

    approved: list[Decision] = field(default_factory=list)
    skipped_flagged: list[Application] = field(default_factory=list)
    quota_left: int | None = None


def approve_top(
    session: DecisionSession,
    n: int,
    actor: User,
    votes_for: int,
    votes_against: int,
    votes_abstain: int,
    note: str = "",
) -> TopResult:
    """Approve the N best-ranked reviewed candidates not yet decided, skipping flagged ones, within the quota."""
    if session.status != SessionStatus.DRAFT:
        raise DecisionError(_("This decision session has been finalised; its decisions can no longer change."))
    if n < 1:
        raise DecisionError(_("Enter how many candidates to approve (at least 1)."))
    problems = vote_problems(session, "approve", votes_for, votes_against, votes_abstain)
    if problems:
        raise DecisionError(*problems)
    try:
        ranking = ranking_for_call(session.call, options_for_call(session.call))
    except RankingError as exc:
        raise DecisionError(_("The ranking cannot be computed: %(detail)s", detail=exc.message)) from exc
    quota = session.call.total_quota
    quota_left = quota - places_taken(session) if quota else None
    left = n if not quota else min(n, quota_left)
    result = TopResult(quota_left=quota_left)
    if left <= 0:
        raise DecisionError(
            _("The call's quota of %(n)s places is full; approving another candidate would exceed it.", n=quota)
        )
    decided = {d.application_id for d in session.decisions}
    for row in ranking.rows:
        if len(result.approved) >= left:
            break
        application = row.application
        if application.state != State.REVIEWED or application.id in decided or row.final is None:
            continue
        if application.integrity_flag:
            result.skipped_flagged.append(application)
            continue
        result.approved.append(
            record_decision(session, application, "approve", votes_for, votes_against, votes_abstain, note, actor)
        )
    if quota:
        result.quota_left = quota - places_taken(session)
    return result


@dataclass
class FinaliseReport:
    """Counts after finalising: outcomes applied, decisions skipped and reviewed candidates left undecided."""

    applied: dict[str, int]
    skipped: list[str]
    undecided: int


def finalise(session: DecisionSession, actor: User, minutes: str) -> FinaliseReport:
    """Apply every draft decision to its application and close the session; undecided ones stay reviewed."""
    if session.status != SessionStatus.DRAFT:
        raise DecisionError(_("This decision session has already been finalised."))
    if not (minutes or "").strip():
        raise DecisionError(_("Write the minutes of the meeting before finalising."))
    flagged = [
        d.application.applicant.name
        for d in session.decisions
        if d.outcome == "approve" and d.application.integrity_flag and d.application.state == State.REVIEWED
    ]
    if flagged:
        # A flag raised after the vote: the committee must look again rather than approve silently.
        raise DecisionError(
            _(
                "These candidates now have an open integrity flag and cannot be approved: "
                "%(names)s. Change their decisions first.",
                names="、".join(flagged),
            )
        )
    applied, skipped = dict.fromkeys(OUTCOMES, 0), []
    for decision in session.decisions:
        application = decision.application
        if application.state != State.REVIEWED:  # withdrawn or reopened since the vote
            skipped.append(application.applicant.name)
            continue
        apply_transition(
            application,
            OUTCOME_ACTIONS[decision.outcome],
            actor,
            comment=decision.note,
            data={
                "session_id": session.id,
                "votes_for": decision.votes_for,
                "votes_against": decision.votes_against,
                "votes_abstain": decision.votes_abstain,
            },
        )
        applied[decision.outcome] += 1
    decided = {d.application_id for d in session.decisions}
    reviewed = (
        db.session.execute(
            select(Application.id).where(Application.call_id == session.call_id, Application.state == State.REVIEWED)
        )
        .scalars()
        .all()
    )
    undecided = sum(1 for a in reviewed if a not in decided)
    session.status, session.minutes = SessionStatus.FINALISED.value, minutes.strip()
    session.finalised_at, session.finalised_by_id = utcnow(), actor.id
    db.session.flush()
    record(
        "decision_session.finalised",
        session,
        actor=actor,
        data={"applied": applied, "skipped": len(skipped), "undecided": undecided},
    )
    return FinaliseReport(applied, skipped, undecided)


# ---------------------------------------------------------------- public notice and objections


@dataclass
class PublishResult:
    """A published notice, or (for programs without one) the candidates awarded directly."""

    notice: Notice | None
    count: int


def publish_notice(call: Call, actor: User, days: int | None = None) -> PublishResult:
    """Put the call's approved candidates in public notice for `days` days (the program's `notice_days` unless
    told), or award them directly when the program needs no public notice (`notice_required` false)."""
    if days is None:
        days = call.program.notice_days or 7
    if not 1 <= days <= MAX_NOTICE_DAYS:
        raise DecisionError(_("The notice period is between 1 and %(max)s days.", max=MAX_NOTICE_DAYS))
    candidates = (
        db.session.execute(
            select(Application)
            .where(Application.call_id == call.id, Application.state == State.APPROVED)
            .options(joinedload(Application.applicant), joinedload(Application.unit))
            .order_by(Application.id)
        )
        .unique()
        .scalars()
        .all()
    )
    if not candidates:
        raise DecisionError(_("No approved candidate is waiting to be published."))
    if not call.program.notice_required:
        for application in candidates:
            apply_transition(application, workflow.Action.AWARD, actor, data={"no_notice": True})
        return PublishResult(None, len(candidates))
    codes = {a.discipline_code for a in candidates if a.discipline_code}
    disciplines = (
        {d.code: d.name_zh for d in db.session.execute(select(Discipline).where(Discipline.code.in_(codes))).scalars()}
        if codes
        else {}
    )
    now = utcnow()
    program = call.program
    notice = Notice(
        call_id=call.id,
        days=days,
        published_at=now,
        ends_at=now + timedelta(days=days),
        status=NoticeStatus.OPEN.value,
        published_by_id=actor.id,
        title=f"{program.name_zh} {call.year} 年度拟入选人选公示",
    )
    # The public text is frozen as published: later edits to names or units must not rewrite a past notice.
    notice.items = [
        NoticeItem(
            application_id=a.id,
            name=a.applicant.name,
            unit_name=a.unit.name_zh,
            program_name=program.name_zh,
            discipline=disciplines.get(a.discipline_code, ""),
        )
        for a in candidates
    ]
    db.session.add(notice)
    db.session.flush()
    for application in candidates:
        apply_transition(application, workflow.Action.PUBLISH_NOTICE, actor, data={"notice_id": notice.id})
    record(
        "notice.published",
        notice,
        actor=actor,
        data={"call_id": call.id, "days": days, "items": len(candidates), "ends_at": notice.ends_at.isoformat()},
    )
    return PublishResult(notice, len(candidates))


def file_objection(
    notice: Notice,
    item_id: int | None,
    contact_name: str,
    contact: str,
    content: str,
    ip: str,
    now: datetime | None = None,
) -> Objection:
    """Anyone's objection to a candidate in an open notice; the program office is told."""
    now = now or utcnow()
    if notice.status != NoticeStatus.OPEN or now >= notice.ends_at:
        raise DecisionError(
            _(
                "The objection period of this notice ended on %(time)s (Beijing time); "
                "objections are no longer accepted.",
                time=beijing(notice.ends_at),
            )
        )
    item = next((i for i in notice.items if i.id == item_id), None)
    problems = []
    if item is None:
        problems.append(_("Choose the candidate your objection concerns."))
    contact_name, contact, content = (contact_name or "").strip(), (contact or "").strip(), (content or "").strip()
    if not contact_name or not contact:
        problems.append(_("Give your name and a phone number or email address so that we can reach you."))
    if len(content) < 10:
        problems.append(_("Describe the objection and its grounds (at least 10 characters)."))
    if problems:
        raise DecisionError(*problems)
    objection = Objection(
        notice_id=notice.id,
        item_id=item.id,
        contact_name=contact_name[:100],
        contact=contact[:200],
        content=content[:10000],
        ip=(ip or "")[:45],
        created_at=now,
    )
    db.session.add(objection)
    db.session.flush()
    # No actor: the objector is anonymous to the log; the entry keeps the address.
    record("objection.filed", objection, actor="public", data={"notice_id": notice.id, "item_id": item.id})
    _tell_office(objection)
    return objection


def _tell_office(objection: Objection) -> None:
    admins = program_admins_for(objection.notice.call.program_id)  # the office of this program only
    link = external_url("decisions.notice", notice_id=objection.notice_id)
    for user in admins:
        queue_email(
            user.email,
            "objection_filed",
            locale=user.locale,
            user=user,
            objection=objection,
            candidate=objection.item.name,
            link=link,
        )


def handle_objection(
    objection: Objection, upheld: bool, note: str, actor: User, now: datetime | None = None
) -> Objection:
    """Record how an objection was handled; upholding it turns the candidate's approval into a rejection."""
    if objection.status != ObjectionStatus.PENDING:
        raise DecisionError(_("This objection has already been handled."))
    if not (note or "").strip():
        raise DecisionError(_("Write how the objection was handled (the finding and its grounds)."))
    objection.status = (ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED).value
    objection.handling_note, objection.handled_by_id = note.strip(), actor.id
    objection.handled_at = now or utcnow()
    application = objection.item.application if objection.item else None
    if upheld and application is not None and application.state == State.IN_NOTICE:
        apply_transition(
            application,
            workflow.Action.UPHOLD_OBJECTION,
            actor,
            comment=note.strip(),
            data={"objection_id": objection.id},
        )
    db.session.flush()
    record(
        "objection.handled",
        objection,
        actor=actor,
        data={"notice_id": objection.notice_id, "item_id": objection.item_id, "status": objection.status},
    )
    if objection.notice.ends_at <= objection.handled_at:
        # The period is already over: the candidate need not wait for the next scheduled close.
        _close(objection.notice, objection.handled_at)
    return objection


@dataclass
class CloseReport:
    """What closing one notice did."""

    notice: Notice
    awarded: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    closed: bool = False


def _close(notice: Notice, now: datetime) -> CloseReport:
    report = CloseReport(notice)
    objections = db.session.execute(select(Objection).where(Objection.notice_id == notice.id)).scalars().all()
    pending = {o.item_id for o in objections if o.status == ObjectionStatus.PENDING}
    upheld = {o.item_id for o in objections if o.status == ObjectionStatus.UPHELD}
    for item in notice.items:
        application = item.application
        if application.state != State.IN_NOTICE:
            continue
        if item.id in pending or None in pending:  # an objection to the whole notice holds every candidate
            report.waiting.append(item.name)
        elif item.id not in upheld:
            apply_transition(
                application, workflow.Action.AWARD, None, roles={workflow.SYSTEM}, data={"notice_id": notice.id}
            )
            report.awarded.append(item.name)
    if not report.waiting:
        notice.status, notice.closed_at, report.closed = NoticeStatus.CLOSED.value, now, True
        db.session.flush()
        record("notice.closed", notice, actor="system", data={"awarded": len(report.awarded)})
    return report


def close_due_notices(now: datetime | None = None, *, program_ids: set[int] | None = None) -> list[CloseReport]:
    """End every open notice whose period has passed: award those with no pending or upheld objection.

    `program_ids` limits it to the notices of those programs (a program office's own); None means every program.
    """
    now = now or utcnow()
    stmt = select(Notice).where(Notice.status == NoticeStatus.OPEN, Notice.ends_at <= now)
    if program_ids is not None:
        stmt = stmt.where(Notice.call_id.in_(select(Call.id).where(Call.program_id.in_(sorted(program_ids)))))
    due = db.session.execute(stmt.order_by(Notice.id)).scalars().all()
    return [_close(notice, now) for notice in due]
