"""An assignment's life (SPEC §5.5): the statuses an evaluator's assignment goes through, pure and framework-free."""
from __future__ import annotations

import enum


class AssignmentStatus(str, enum.Enum):
    """Where an assignment stands; the value is what the database stores (assignments.status)."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


S = AssignmentStatus

#: Waiting for the evaluator's work: reminders go out, the office may withdraw it, the evaluator may decline.
OPEN: frozenset[AssignmentStatus] = frozenset({S.INVITED, S.ACCEPTED})
#: Open or done: it counts towards the application's panel and the expert's load, and the evaluator still reaches it.
LIVE: frozenset[AssignmentStatus] = frozenset({S.INVITED, S.ACCEPTED, S.SUBMITTED})
#: Gone: the slot is free for someone else (the database's one-live-assignment index leaves these out).
ENDED: frozenset[AssignmentStatus] = frozenset({S.DECLINED, S.WITHDRAWN})

#: A status as the program office reads it, (zh, en); experts see their own wording (reviews/expert_views.py).
STATUS_LABELS: dict[AssignmentStatus, tuple[str, str]] = {
    S.INVITED: ("已邀请", "invited"),
    S.ACCEPTED: ("已接受", "accepted"),
    S.SUBMITTED: ("已提交", "submitted"),
    S.DECLINED: ("已谢绝", "declined"),
    S.WITHDRAWN: ("已撤回", "withdrawn"),
}
