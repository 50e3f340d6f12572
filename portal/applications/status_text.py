"""What people read about where an application stands: its states' and actions' labels and its history.

The applicant's, the unit's, the program office's and the committee's pages all show them, so they live here
rather than in any one feature's views.
"""

from __future__ import annotations

from sqlalchemy import select

from ..audit.models import AuditEntry
from ..extensions import db
from . import workflow

#: (zh, en) label of each state and action, keyed by the value stored and logged (templates index them by it).
STATE_TEXT: dict[str, tuple[str, str]] = {state.value: pair for state, pair in workflow.STATE_LABELS.items()}
ACTION_TEXT: dict[str, tuple[str, str]] = {action.value: pair for action, pair in workflow.ACTION_LABELS.items()}

#: The audit entries an application's timeline shows: its creation, its book, and every transition.
TIMELINE_ACTIONS: list[str] = ["application.created", "application.book_generated"] + [
    f"application.{a.value}" for a in workflow.Action
]


def timeline_for(application_ids: list[int]) -> dict[int, list[AuditEntry]]:
    """Each application's history, read from the audit log in one query."""
    result: dict[int, list[AuditEntry]] = {i: [] for i in application_ids}
    if not application_ids:
        return result
    entries = (
        db.session.execute(
            select(AuditEntry)
            .where(
                AuditEntry.object_type == "Application",
                AuditEntry.object_id.in_([str(i) for i in application_ids]),
                AuditEntry.action.in_(TIMELINE_ACTIONS),
            )
            .order_by(AuditEntry.id)
        )
        .scalars()
        .all()
    )
    for entry in entries:
        result[int(entry.object_id)].append(entry)
    return result
