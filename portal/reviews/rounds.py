"""Review rounds: an accepted appeal sends an application back to review with new experts (SPEC §6.3).

The round's start is kept on the application (`review_round_started_at`, written by the decision that grants the
appeal), so that assignment, evaluation and ranking read it without knowing where rounds come from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..applications.models import Application
from ..extensions import db
from .assignment.lifecycle import LIVE
from .models import Assignment


def round_started_at(application: Application) -> datetime | None:
    """When the current review round began; None while in the first round."""
    return application.review_round_started_at


def previous_experts(application: Application) -> set[int]:
    """Experts who reviewed the application in an earlier round; a new round needs new experts."""
    since = round_started_at(application)
    if since is None:
        return set()
    return set(
        db.session.execute(
            select(Assignment.expert_id).where(
                Assignment.application_id == application.id,
                Assignment.kind == "expert",
                Assignment.expert_id.is_not(None),
                Assignment.status.in_(sorted(LIVE)),
                Assignment.invited_at <= since,
            )
        ).scalars()
    )
