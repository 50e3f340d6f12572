"""Reminders to experts before and after the due date of their evaluations (SPEC §8 Notifications).

`flask reminders send` (run daily from cron or a systemd timer) emails each expert once about the
evaluations due within REMINDER_DAYS_BEFORE days (default 3), and about overdue ones on the first day
they are late and then every REMINDER_REPEAT_DAYS days (default 7). One email per expert and kind,
listing every assignment concerned; an assignment answered (submitted, declined, withdrawn) is never
reminded. The emails name no applicant, so blind review stays blind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...accounts.models import User
from ...accounts.services import external_url
from ...applications.models import Application
from ...applications.workflow import State
from ...database import local_today, utcnow
from ...extensions import db
from ...notifications.services import queue_email
from ...programs.models import Call
from ..assignment.lifecycle import OPEN, AssignmentStatus
from ..models import Assignment


@dataclass
class Reminder:
    """One email: an expert, the kind ("due_soon" or "overdue") and the assignments it lists."""

    expert: User
    kind: str
    assignments: list[Assignment] = field(default_factory=list)


def due_reminders(on: date | None = None) -> list[Reminder]:
    """What `send` would send today: reminders grouped by expert and kind, in a fixed order."""
    on = on or local_today()
    cfg = current_app.config
    soon = on + timedelta(days=int(cfg.get("REMINDER_DAYS_BEFORE", 3)))
    repeat = timedelta(days=int(cfg.get("REMINDER_REPEAT_DAYS", 7)))
    now = utcnow()
    rows = (
        db.session.execute(
            select(Assignment)
            .join(Application, Application.id == Assignment.application_id)
            # Evaluations are taken only while the application is under review (portal/reviews/evaluation/services.py).
            .where(
                Assignment.kind == "expert",
                Assignment.status.in_(OPEN),
                Application.state == State.UNDER_REVIEW,
                Assignment.due_date.is_not(None),
                Assignment.due_date <= soon,
            )
            .options(
                joinedload(Assignment.expert),
                joinedload(Assignment.application).joinedload(Application.call).joinedload(Call.program),
            )
            .order_by(Assignment.expert_id, Assignment.due_date, Assignment.id)
        )
        .unique()
        .scalars()
        .all()
    )
    grouped: dict[tuple[int, str], Reminder] = {}
    for assignment in rows:
        if assignment.due_date >= on:
            if assignment.reminded_due_soon_at is not None:
                continue
            kind = "due_soon"
        else:
            last = assignment.reminded_overdue_at
            if last is not None and now - last < repeat - timedelta(hours=1):  # a daily run at a varying minute
                continue
            kind = "overdue"
        key = (assignment.expert_id, kind)
        grouped.setdefault(key, Reminder(assignment.expert, kind)).assignments.append(assignment)
    return [grouped[key] for key in sorted(grouped, key=lambda k: (k[0], k[1]))]


def send(on: date | None = None) -> list[Reminder]:
    """Queue today's reminder emails and mark their assignments reminded; the caller commits."""
    on = on or local_today()

    reminders = due_reminders(on)
    now = utcnow()
    for reminder in reminders:
        expert = reminder.expert
        locale = expert.locale or "zh_CN"
        english = not locale.startswith("zh")
        lines = [
            {
                "reference": a.application_id,
                "program": a.application.call.program.name_en if english else a.application.call.program.name_zh,
                "due": a.due_date.isoformat(),
                "days_late": (on - a.due_date).days,
                "accepted": a.status == AssignmentStatus.ACCEPTED,
            }
            for a in reminder.assignments
        ]
        queue_email(
            expert.email,
            f"expert_reminder_{reminder.kind}",
            locale=locale,
            user=expert,
            count=len(lines),
            lines=lines,
            first_due=min(a.due_date for a in reminder.assignments).isoformat(),
            link=external_url("expert.queue"),
        )
        for assignment in reminder.assignments:
            if reminder.kind == "due_soon":
                assignment.reminded_due_soon_at = now
            else:
                assignment.reminded_overdue_at = now
    db.session.flush()
    return reminders
