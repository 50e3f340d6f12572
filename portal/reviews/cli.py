"""Flask commands of the review feature: `flask reminders send` reminds experts of their due dates."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..database import commit, rollback
from .evaluation import reminders

reminders_cli = AppGroup("reminders", help="Reminders to experts before and after their due dates.")


@reminders_cli.command("send")
@click.option("--dry-run", is_flag=True, help="Only list who would be reminded today.")
def send_reminders(dry_run: bool):
    """Email each expert whose evaluations are due soon or overdue (run it daily)."""
    found = reminders.due_reminders() if dry_run else reminders.send()
    if dry_run:
        rollback()
    else:
        commit()
    if not found:
        click.echo("No reminder is due today.")
    for reminder in found:
        verb = "would remind" if dry_run else "reminded"
        kind = "due soon" if reminder.kind == "due_soon" else "overdue"
        click.echo(
            f"{verb} {reminder.expert.email}: {len(reminder.assignments)} {kind} "
            f"(applications {', '.join(str(a.application_id) for a in reminder.assignments)})"
        )
