"""The call's life (SPEC §2, §4) as service verbs: publish, back to draft, extend the deadline, start review, mark
decided. Each asks the pure table in call_workflow.py, turns its refusals into the user's language, sets the
fields, records the audit entry and flushes; the view commits.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..accounts.models import User
from ..accounts.services import external_url
from ..applications.models import Application, Referee
from ..applications.workflow import EDITABLE_STATES, UNDECIDED_STATES
from ..audit.services import record
from ..database import to_local, utcnow
from ..decisions.models import DecisionSession
from ..extensions import db
from ..notifications.services import queue_email
from ..programs import call_workflow as wf
from ..programs.call_admin import action_label, beijing, iso, stamp_edit, state_label
from ..programs.call_workflow import CallAction, CallFacts, CallRefusal, CallState
from ..programs.errors import ProgramError
from ..programs.models import Call, ProgramRules
from ..reviews.evaluation.schemes import fix_scheme
from ..reviews.models import EvaluationScheme
from .program_admin import new_rules_version


def _count(call: Call, states) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Application)
        .where(Application.call_id == call.id, Application.state.in_(tuple(states)))
    ).scalar_one()


def waiting_counts(call: Call) -> tuple[int, int]:
    """(applications waiting for unit review, endorsed applications waiting for the formal check or its recheck)."""
    return _count(call, ("submitted",)), _count(call, ("unit_endorsed", "formal_recheck"))


def decision_session_final(call: Call) -> bool:
    """True when the call's committee has a finalised decision session and no session is still open."""
    statuses = set(
        db.session.execute(select(DecisionSession.status).where(DecisionSession.call_id == call.id)).scalars()
    )
    return "finalised" in statuses and "draft" not in statuses


def call_facts(call: Call, action: CallAction, now: datetime, **extra) -> CallFacts:
    """What the workflow's guards look at for `action`, gathered from the database (only what it needs)."""
    closes_local = to_local(call.closes_at).date() if call.closes_at else None
    facts = dict(
        status=call.status,
        opens_at=call.opens_at,
        closes_at=call.closes_at,
        now=now,
        has_cutoff_date=call.cutoff_date is not None,
        review_due_after_closing=call.review_due is None or closes_local is None or call.review_due > closes_local,
        program_archived=call.program.is_archived,
    )
    if action is CallAction.START_REVIEW and "waiting_unit_review" not in extra:
        facts["waiting_unit_review"], facts["waiting_formal_check"] = waiting_counts(call)
    elif action is CallAction.DECIDE:
        facts["undecided"] = _count(call, UNDECIDED_STATES)
        facts["decision_session_final"] = decision_session_final(call)
    facts.update(extra)
    return CallFacts(**facts)


def refusal_message(refusal: CallRefusal, call: Call) -> str:
    """One refusal of the call workflow in the user's language."""
    code, values = refusal.code, refusal.values
    if code == "not_in_state":
        return _(
            "This cannot be done while the call is “%(state)s”: %(action)s.",
            state=state_label(values["state"]),
            action=action_label(values["action"]),
        )
    if code == "program_archived":
        return _("The program is archived: it takes no new calls.")
    if code == "closes_before_opening":
        return _("The call must close after it opens.")
    if code == "closes_in_past":
        return _("The closing time has already passed: choose a closing time in the future.")
    if code == "no_cutoff_date":
        return _("Give the eligibility cutoff date: ages and years are counted to it.")
    if code == "review_due_before_closing":
        return _(
            "The review due date must be after the closing date, %(date)s.",
            date=to_local(call.closes_at).date().isoformat(),
        )
    if code == "already_opened":
        return _(
            "The call opened at %(time)s (Beijing time): an opened call cannot go back to draft.",
            time=beijing(call.opens_at),
        )
    if code == "extend_not_later":
        return _(
            "The new deadline must be later than the current one, %(time)s (Beijing time).",
            time=beijing(call.closes_at),
        )
    if code == "applications_waiting":
        return _(
            "%(unit)s applications still wait for unit review and %(formal)s for the formal check. Tick the "
            "confirmation to start the review anyway.",
            unit=values["unit"],
            formal=values["formal"],
        )
    if code == "no_final_session":
        return _("The call's decision session is not finalised yet (or a new session is still open).")
    if code == "undecided":
        return _("%(count)s applications of the call still wait for a decision.", count=values["count"])
    return code


def _guard(call: Call, action: CallAction, now: datetime, **extra) -> CallState:
    facts = call_facts(call, action, now, **extra)
    found = wf.refusals(action, facts)
    if found:
        raise ProgramError(*[refusal_message(r, call) for r in found])
    return wf.target(wf.effective_state(call.status, call.closes_at, now), action)


def pin_rules(call: Call, actor) -> ProgramRules:
    """Pin the call to the program's latest rules version; a program without versions gets version 1, a copy of
    its current rules, documents and questions (later program edits make new versions, see program_admin.py)."""
    latest = (
        db.session.execute(
            select(ProgramRules)
            .where(ProgramRules.program_id == call.program_id)
            .order_by(ProgramRules.number.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    if latest is None:
        latest = new_rules_version(call.program, actor)
        db.session.flush()
        record(
            "program.rules_versioned",
            call.program,
            actor=actor,
            data={"number": latest.number, "reason": "call published"},
        )
    call.rules_id = latest.id
    call.rules = latest
    return latest


def publish(call: Call, *, actor, now: datetime | None = None) -> Call:
    """draft → open: the rules are pinned; people see the call from opens_at on."""
    now = now or utcnow()
    state = _guard(call, CallAction.PUBLISH, now)
    rules = pin_rules(call, actor)
    call.status, call.published_at = state.value, now
    stamp_edit(call, actor)
    db.session.flush()
    record(
        "call.published",
        call,
        actor=actor,
        data={
            "rules_id": rules.id,
            "rules_number": rules.number,
            "opens_at": iso(call.opens_at),
            "closes_at": iso(call.closes_at),
        },
    )
    return call


def unpublish(call: Call, *, actor, now: datetime | None = None) -> Call:
    """open → draft, only before opens_at (nobody could have applied yet); the rules are no longer pinned."""
    now = now or utcnow()
    call.status = _guard(call, CallAction.UNPUBLISH, now).value
    rules_id = call.rules_id
    call.rules_id, call.rules, call.published_at = None, None, None
    stamp_edit(call, actor)
    db.session.flush()
    record("call.unpublished", call, actor=actor, data={"rules_id": rules_id})
    return call


def extend_deadline(call: Call, new_closes_at: datetime, *, actor, now: datetime | None = None) -> list[str]:
    """Move an open call's deadline later (also once it has closed, before review starts) and tell by email
    every applicant still writing an application to it. Returns the addresses told."""

    now = now or utcnow()
    call.status = _guard(call, CallAction.EXTEND, now, new_closes_at=new_closes_at).value
    old = call.closes_at
    call.closes_at = new_closes_at
    stamp_edit(call, actor)
    db.session.flush()
    # Referee links are issued to expire at the deadline: those still awaiting a letter follow it.
    moved = db.session.execute(
        update(Referee)
        .where(
            Referee.application_id.in_(select(Application.id).where(Application.call_id == call.id)),
            Referee.letter_received_at.is_(None),
            Referee.expires_at <= new_closes_at,
        )
        .values(expires_at=new_closes_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    holders = (
        db.session.execute(
            select(User)
            .join(Application, Application.applicant_id == User.id)
            .where(Application.call_id == call.id, Application.state.in_(EDITABLE_STATES))
            .distinct()
            .order_by(User.id)
        )
        .scalars()
        .all()
    )
    record(
        "call.deadline_extended",
        call,
        actor=actor,
        data={
            "old_closes_at": iso(old),
            "new_closes_at": iso(new_closes_at),
            "told": len(holders),
            "referee_links_extended": moved,
        },
    )

    link = external_url("programs.call", call_id=call.id)
    for user in holders:
        locale = user.locale or "zh_CN"
        queue_email(
            user.email,
            "call_deadline_extended",
            locale=locale,
            user=user,
            call=call,
            program_name=call.program.name(locale),
            title=call.title(locale),
            old=old,
            new=new_closes_at,
            link=link,
        )
    return [user.email for user in holders]


def start_review(call: Call, *, actor, confirmed: bool = False, now: datetime | None = None) -> Call:
    """closed → review: the evaluation scheme version is frozen. Refused while applications still wait for their
    unit or the formal check, unless the office confirms it."""

    now = now or utcnow()
    unit, formal = waiting_counts(call)
    call.status = _guard(
        call, CallAction.START_REVIEW, now, confirmed=confirmed, waiting_unit_review=unit, waiting_formal_check=formal
    ).value
    scheme = fix_scheme(call)
    call.review_started_at = now
    stamp_edit(call, actor)
    db.session.flush()
    record(
        "call.review_started",
        call,
        actor=actor,
        data={
            "scheme_id": scheme.id,
            "scheme_version": scheme.version,
            "waiting_unit_review": unit,
            "waiting_formal_check": formal,
            "confirmed": bool(confirmed and (unit or formal)),
        },
    )
    return call


def mark_decided(call: Call, *, actor, now: datetime | None = None) -> Call:
    """review → decided: only once the committee's session is finalised and every application has its outcome."""
    now = now or utcnow()
    call.status = _guard(call, CallAction.DECIDE, now).value
    call.decided_at = now
    stamp_edit(call, actor)
    db.session.flush()
    record("call.decided", call, actor=actor, data={"decided_at": iso(now)})
    return call


def scheme_version(call: Call) -> int | None:
    """The version of the evaluation scheme the call's review uses (None before review starts)."""
    scheme = db.session.get(EvaluationScheme, call.scheme_id) if call.scheme_id else None
    return scheme.version if scheme else None


VERBS = {
    CallAction.PUBLISH: publish,
    CallAction.UNPUBLISH: unpublish,
    CallAction.EXTEND: extend_deadline,
    CallAction.START_REVIEW: start_review,
    CallAction.DECIDE: mark_decided,
}
