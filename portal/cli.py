"""Flask commands: seed, users, audit, jobs, mail."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(jobs_cli)
    from .decisions.cli import notices_cli
    from .reviews.cli import reminders_cli

    app.cli.add_command(notices_cli)
    app.cli.add_command(reminders_cli)


seed_cli = AppGroup("seed", help="Load data.")
users_cli = AppGroup("users", help="Manage accounts.")
audit_cli = AppGroup("audit", help="Inspect the audit log.")
jobs_cli = AppGroup("jobs", help="Background jobs (RQ).")


@seed_cli.command("demo")
def seed_demo():
    """Load the demo units, disciplines, programs with open calls and one account per role (idempotent)."""
    from .seed import DEMO_PASSWORD, load_demo

    accounts = load_demo()
    click.echo(f"Demo data loaded. Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in accounts:
        click.echo(f"  {role:<14} {email}")


@users_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin(email: str, name: str, password: str):
    """Create a system administrator (the first account of a new installation)."""
    from .accounts.models import Role
    from .accounts.services import create_user, find_user
    from .database import commit

    if len(password) < 10:
        raise click.ClickException("The password needs at least 10 characters.")
    if find_user(email):
        raise click.ClickException(f"An account with the email {email} already exists.")
    user = create_user(email, name, password, [(Role.SYSADMIN.value, None)], actor="cli")
    commit()
    click.echo(f"System administrator {user.email} created.")


@audit_cli.command("verify")
def audit_verify():
    """Check the hash chain; exits 1 and names the first broken entry if any row was edited or deleted."""
    from .audit.services import verify_chain

    checked, broken = verify_chain()
    if broken is None:
        click.echo(f"Audit log intact: {checked} entries verified.")
        return
    click.echo(f"Audit log BROKEN at entry {broken.entry_id}: {broken.reason} ({checked} entries read).", err=True)
    sys.exit(1)


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
def jobs_worker(burst: bool):
    """Run a worker for the portal queue (needs REDIS_URL).

    The worker is non-forking (RQ's SimpleWorker): it runs every job in its own process, so the
    letter renderer, warmed up once at start, keeps its fonts and caches from job to job. Start
    one worker per core to share a letter batch (it is split into jobs of 25 letters)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run in the web process.")
    from redis import Redis
    from rq import Queue, SimpleWorker

    from . import jobs
    from .letters.services import warm_up_renderer

    jobs.use_app(current_app._get_current_object())  # the jobs run in this app, not a second one
    warm_up_renderer()
    connection = Redis.from_url(url)
    SimpleWorker([Queue(jobs.QUEUE, connection=connection)], connection=connection).work(burst=burst)
