"""Database helpers shared by every feature: UTC timestamps and the one commit that runs what waits for it."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, DateTime, event
from sqlalchemy.types import TypeDecorator

from . import jobs
from .extensions import db


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (evaluated per call, never at import)."""
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    """The time zone people see (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai by default)."""
    from flask import current_app

    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def to_local(moment: datetime | None) -> datetime | None:
    """A stored (UTC) time in the time zone people see."""
    return moment.astimezone(local_zone()) if moment else None


def local_today() -> date:
    """Today's date where the people are (due dates, deadlines, the date on a letter)."""
    return datetime.now(local_zone()).date()


class UTCDateTime(TypeDecorator):
    """Store naive UTC on every backend and hand back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def values_check(column: str, values: type[enum.Enum]) -> CheckConstraint:
    """The CHECK that `column` holds one of the enum's values, named `<column>_known` (so `ck_<table>_<column>_known`).

    The SQL lists the values in declaration order, as the migrations wrote them; the enum rides along in `info`
    so that a test can compare what the database refuses with what the code knows."""
    listed = ",".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_known", info={"enum": values})


_commit_hooks: list[Callable[[], None]] = []


def on_commit(hook: Callable[[], None]) -> None:
    """Call `hook()` after every `commit()` (the outbox registers its delivery here); registering twice is a no-op."""
    if hook not in _commit_hooks:
        _commit_hooks.append(hook)


def commit() -> None:
    """Commit the request's work, then do what must wait for it: remove replaced files, run the registered hooks
    (deliver the emails this transaction queued), start the jobs it asked for."""
    info = db.session.info
    db.session.commit()
    info.pop("files_written", None)
    for path in info.pop("files_to_delete", []):
        path.unlink(missing_ok=True)
    for hook in _commit_hooks:
        hook()
    for job, args in info.pop("after_commit_jobs", []):
        jobs.enqueue(job, *args)


def after_commit(job: Callable[..., Any], *args) -> None:
    """Run the job `job(*args)` once this transaction has committed (never for a rolled-back one); `job` is a
    function registered with @portal.jobs.job."""
    jobs.name_of(job)  # a function that is not a job is refused now, not after the commit
    db.session.info.setdefault("after_commit_jobs", []).append((job, args))


def rollback() -> None:
    """Roll back, and remove the files written for the rolled-back work."""
    info = db.session.info
    db.session.rollback()
    info.pop("files_to_delete", None)
    info.pop("outbox_ids", None)
    info.pop("after_commit_jobs", None)
    for path in info.pop("files_written", []):
        path.unlink(missing_ok=True)


def configure_sqlite(engine) -> None:
    """Make SQLite behave: enforce foreign keys and let SQLAlchemy own BEGIN (needed for SAVEPOINTs)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # pysqlite's own transaction handling breaks savepoints
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN")
