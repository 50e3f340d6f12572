"""Who runs which program: the one predicate every office view, template and job asks (SPEC §1)."""
from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import false, true

from ..accounts.models import Role


def managed_program_ids(user: Any) -> set[int] | None:
    """The programs this person runs: None for an office-wide grant (every program), an empty set for none."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_role(Role.PROGRAM_ADMIN):
        return set()
    return user.program_ids


def can_manage(user: Any, program: Any) -> bool:
    """Whether this person may run `program` (a Program or its id) as its program office."""
    if program is None:
        return False
    held = managed_program_ids(user)
    program_id = program if isinstance(program, int) else program.id
    return held is None or program_id in held


def managed(column, user: Any):
    """A WHERE clause keeping rows whose program (`column`, e.g. Call.program_id) this person runs."""
    held = managed_program_ids(user)
    if held is None:
        return true()
    return column.in_(sorted(held)) if held else false()


def managed_or_404(user: Any, program: Any) -> None:
    """Answer 404 unless the person runs the program: another office's objects do not exist for them."""
    if not can_manage(user, program):
        abort(404)
