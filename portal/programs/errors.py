"""Refusals of the program office's verbs, and the optimistic lock shared by programs and calls."""

from __future__ import annotations

from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _

from ..accounts.models import User
from ..database import commit, rollback
from ..errors import Refusal
from ..extensions import db


class ProgramError(Refusal):
    """A refused program or call action, with the reasons to show (already translated) and the field at fault."""


class StaleEdit(ProgramError):
    """Someone else saved the program or call after this form was loaded."""


def check_version(obj: Any, submitted: Any) -> None:
    """Refuse a save made on an older version of `obj` (a Program or a Call), naming who changed it and when.

    The form carries the version it was loaded with; the mapper's version_id_col also refuses the UPDATE when
    two saves race past this check (sqlalchemy.orm.exc.StaleDataError, turned into the same message by
    `stale_message`).
    """
    try:
        version = int(submitted)
    except (TypeError, ValueError):
        version = None
    if version is not None and version == obj.version:
        return
    raise StaleEdit(stale_message(obj), field="version")


def stale_message(obj: Any) -> str:
    who = db.session.get(User, obj.updated_by_id) if getattr(obj, "updated_by_id", None) else None
    when = format_datetime(obj.updated_at, "yyyy-MM-dd HH:mm") if getattr(obj, "updated_at", None) else "—"
    return _(
        "%(name)s saved a newer version at %(time)s (Beijing time). Your changes are still in the form: "
        "reload the page to see theirs, then make your changes again.",
        name=who.name if who else _("Someone"),
        time=when,
    )


def run_locked(obj: Any, verb, *args, **kwargs) -> tuple[bool, Any, ProgramError | None, int]:
    """Run a program office verb on `obj` (a Program or a Call, None for a create) and commit, or roll back:
    (ok, result, refusal, status for a refused form).

    The optimistic lock refuses with 409 both when the form's version is old (StaleEdit) and when another save
    slipped in between the check and the UPDATE (StaleDataError at flush or commit).
    """
    from sqlalchemy.orm.exc import StaleDataError

    try:
        result = verb(*args, **kwargs)
        commit()
    except StaleDataError:
        rollback()
        return False, None, StaleEdit(stale_message(obj), field="version"), 409
    except ProgramError as exc:
        rollback()
        return False, None, exc, 409
    return True, result, None, 200
