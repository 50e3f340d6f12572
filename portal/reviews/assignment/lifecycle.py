"""An assignment's life (SPEC §5.5): one transition table, pure and framework-free, like the application workflow.

invited → accepted (an expert signs the no-conflict statement; an outside evaluator accepts by starting to score)
invited, accepted → declined (the evaluator, with a reason) or withdrawn (the program office)
accepted → submitted (the evaluation is submitted and locked)
declined, withdrawn and submitted are final: a declined or withdrawn slot is filled by a new assignment.
"""

from __future__ import annotations

import enum


class AssignmentStatus(str, enum.Enum):
    """Where an assignment stands; the value is what the database stores (assignments.status)."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class AssignmentAction(str, enum.Enum):
    """A verb that moves an assignment (reviews/evaluations.py and reviews/services.py take them)."""

    ACCEPT = "accept"
    DECLINE = "decline"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"


_S = AssignmentStatus
_A = AssignmentAction

TRANSITIONS: dict[tuple[AssignmentStatus, AssignmentAction], AssignmentStatus] = {
    (_S.INVITED, _A.ACCEPT): _S.ACCEPTED,
    (_S.INVITED, _A.DECLINE): _S.DECLINED,
    (_S.INVITED, _A.WITHDRAW): _S.WITHDRAWN,
    (_S.ACCEPTED, _A.DECLINE): _S.DECLINED,
    (_S.ACCEPTED, _A.SUBMIT): _S.SUBMITTED,
    (_S.ACCEPTED, _A.WITHDRAW): _S.WITHDRAWN,
}

#: Statuses with no way out.
FINAL: frozenset[AssignmentStatus] = frozenset(set(_S) - {source for source, _action in TRANSITIONS})

#: Waiting for the evaluator's work: reminders go out, the office may withdraw it, the evaluator may decline.
OPEN: frozenset[AssignmentStatus] = frozenset({_S.INVITED, _S.ACCEPTED})
#: Open or done: it counts towards the application's panel and the expert's load, and the evaluator still reaches it.
LIVE: frozenset[AssignmentStatus] = frozenset({_S.INVITED, _S.ACCEPTED, _S.SUBMITTED})
#: Gone: the slot is free for someone else (the database's one-live-assignment index leaves these out).
ENDED: frozenset[AssignmentStatus] = frozenset({_S.DECLINED, _S.WITHDRAWN})

#: A status as the program office reads it, (zh, en); experts see their own wording (reviews/expert_views.py).
STATUS_LABELS: dict[AssignmentStatus, tuple[str, str]] = {
    _S.INVITED: ("已邀请", "invited"),
    _S.ACCEPTED: ("已接受", "accepted"),
    _S.SUBMITTED: ("已提交", "submitted"),
    _S.DECLINED: ("已谢绝", "declined"),
    _S.WITHDRAWN: ("已撤回", "withdrawn"),
}
#: The same as the evaluator reads it on their own pages.
EXPERT_STATUS_LABELS: dict[AssignmentStatus, tuple[str, str]] = {
    _S.INVITED: ("待答复", "Awaiting your answer"),
    _S.ACCEPTED: ("已接受", "Accepted"),
    _S.SUBMITTED: ("评价已提交", "Evaluation submitted"),
    _S.DECLINED: ("已谢绝", "Declined"),
    _S.WITHDRAWN: ("已撤回", "Withdrawn"),
}


def can(status: AssignmentStatus | str, action: AssignmentAction | str) -> bool:
    """Whether the action is possible in the status."""
    return (AssignmentStatus(status), AssignmentAction(action)) in TRANSITIONS


def next_status(status: AssignmentStatus | str, action: AssignmentAction | str) -> AssignmentStatus:
    """The status after the action; ValueError when the table has no such edge (the verbs check `can` first)."""
    status, action = AssignmentStatus(status), AssignmentAction(action)
    found = TRANSITIONS.get((status, action))
    if found is None:
        raise ValueError(f"an assignment that is {status.value} cannot {action.value}")
    return found
