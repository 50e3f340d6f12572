"""A call's life (SPEC §2, §4): one transition table, pure and framework-free, like the application workflow.

draft → open (publish; people see it from opens_at) → closed (by itself at closes_at) → review (start review:
the scheme version is frozen) → decided. An open call's deadline may be moved (extend); a published call that
has not opened yet may go back to draft (unpublish). `closed` is never stored by a person's action: an open call
is closed from closes_at on, which `effective_state` says without any scheduled job.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class CallState(str, enum.Enum):
    """Where a call stands; the value is what the database stores (calls.status)."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    REVIEW = "review"
    DECIDED = "decided"


class CallAction(str, enum.Enum):
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    EXTEND = "extend"
    START_REVIEW = "start_review"
    DECIDE = "decide"


STATE_LABELS: dict[CallState, tuple[str, str]] = {
    CallState.DRAFT: ("草稿", "Draft"),
    CallState.OPEN: ("申报中", "Open"),
    CallState.CLOSED: ("已截止", "Closed"),
    CallState.REVIEW: ("评审中", "In review"),
    CallState.DECIDED: ("已决定", "Decided"),
}

ACTION_LABELS: dict[CallAction, tuple[str, str]] = {
    CallAction.PUBLISH: ("发布", "Publish"),
    CallAction.UNPUBLISH: ("撤回为草稿", "Back to draft"),
    CallAction.EXTEND: ("延长截止时间", "Extend the deadline"),
    CallAction.START_REVIEW: ("启动评审", "Start review"),
    CallAction.DECIDE: ("标记为已决定", "Mark as decided"),
}

# (state the call is in, as people see it) + action -> the state stored afterwards.
TRANSITIONS: dict[tuple[CallState, CallAction], CallState] = {
    (CallState.DRAFT, CallAction.PUBLISH): CallState.OPEN,
    (CallState.OPEN, CallAction.UNPUBLISH): CallState.DRAFT,
    (CallState.OPEN, CallAction.EXTEND): CallState.OPEN,
    (CallState.CLOSED, CallAction.EXTEND): CallState.OPEN,
    (CallState.CLOSED, CallAction.START_REVIEW): CallState.REVIEW,
    (CallState.REVIEW, CallAction.DECIDE): CallState.DECIDED,
}

# What the office page offers as the next step in each state (the first one is the main button).
NEXT_STEPS: dict[CallState, tuple[CallAction, ...]] = {
    CallState.DRAFT: (CallAction.PUBLISH,),
    CallState.OPEN: (CallAction.EXTEND, CallAction.UNPUBLISH),
    CallState.CLOSED: (CallAction.START_REVIEW, CallAction.EXTEND),
    CallState.REVIEW: (CallAction.DECIDE,),
    CallState.DECIDED: (),
}


@dataclass(frozen=True)
class CallFacts:
    """What the guards look at, gathered by the caller."""

    status: str
    opens_at: datetime
    closes_at: datetime
    now: datetime
    has_cutoff_date: bool = True
    review_due_after_closing: bool = True
    has_rules: bool = True  # the program has at least something to check (rules, documents or questions)
    program_archived: bool = False
    new_closes_at: datetime | None = None  # for EXTEND
    waiting_unit_review: int = 0  # applications submitted but not yet reviewed by their unit
    waiting_formal_check: int = 0  # endorsed applications not yet formally checked
    confirmed: bool = False  # the office confirmed starting review with applications still waiting
    undecided: int = 0  # applications of the call still without a final decision (for DECIDE)
    decision_session_final: bool = False


@dataclass(frozen=True)
class CallRefusal:
    """Why an action is refused: a code and its values; the services put it into the user's language."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)


def effective_state(status: str | CallState, closes_at: datetime, now: datetime) -> CallState:
    """The state people see: an open call is closed from closes_at on (no cron needed)."""
    state = CallState(status)
    if state is CallState.OPEN and now >= closes_at:
        return CallState.CLOSED
    return state


def target(state: CallState, action: CallAction) -> CallState | None:
    return TRANSITIONS.get((state, action))


def refusals(action: CallAction | str, facts: CallFacts) -> list[CallRefusal]:
    """Every reason the action cannot be taken now; empty when it may."""
    action = CallAction(action)
    state = effective_state(facts.status, facts.closes_at, facts.now)
    if target(state, action) is None:
        return [CallRefusal("not_in_state", {"state": state.value, "action": action.value})]
    found: list[CallRefusal] = []
    if action is CallAction.PUBLISH:
        if facts.program_archived:
            found.append(CallRefusal("program_archived"))
        if facts.closes_at <= facts.opens_at:
            found.append(CallRefusal("closes_before_opening"))
        if facts.closes_at <= facts.now:
            found.append(CallRefusal("closes_in_past"))
        if not facts.has_cutoff_date:
            found.append(CallRefusal("no_cutoff_date"))
        if not facts.review_due_after_closing:
            found.append(CallRefusal("review_due_before_closing"))
    elif action is CallAction.UNPUBLISH:
        if facts.now >= facts.opens_at:
            found.append(CallRefusal("already_opened"))
    elif action is CallAction.EXTEND:
        if facts.new_closes_at is None or facts.new_closes_at <= facts.closes_at:
            found.append(CallRefusal("extend_not_later"))
        elif facts.new_closes_at <= facts.now:
            found.append(CallRefusal("closes_in_past"))
        if state is CallState.CLOSED and facts.status != CallState.OPEN.value:
            found.append(CallRefusal("not_in_state", {"state": state.value, "action": action.value}))
    elif action is CallAction.START_REVIEW:
        waiting = facts.waiting_unit_review + facts.waiting_formal_check
        if waiting and not facts.confirmed:
            found.append(
                CallRefusal(
                    "applications_waiting", {"unit": facts.waiting_unit_review, "formal": facts.waiting_formal_check}
                )
            )
    elif action is CallAction.DECIDE:
        if not facts.decision_session_final:
            found.append(CallRefusal("no_final_session"))
        if facts.undecided:
            found.append(CallRefusal("undecided", {"count": facts.undecided}))
    return found


def next_steps(status: str | CallState, closes_at: datetime, now: datetime) -> tuple[CallAction, ...]:
    return NEXT_STEPS[effective_state(status, closes_at, now)]
