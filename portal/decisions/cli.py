"""Flask commands of the decisions feature: `flask notices close` ends the notice periods that are over."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..database import commit
from .services import close_due_notices

notices_cli = AppGroup("notices", help="Public notices (公示).")


@notices_cli.command("close")
def close_notices():
    """Award the candidates of every notice whose period has ended with no pending or upheld objection."""
    reports = close_due_notices()
    commit()
    if not reports:
        click.echo("No notice period has ended.")
    for report in reports:
        state = "closed" if report.closed else "still open (objections pending)"
        click.echo(
            f"Notice {report.notice.id}: {len(report.awarded)} awarded, "
            f"{len(report.waiting)} waiting for objections to be handled; {state}."
        )
