"""Who runs which program: the one predicate every office view, template and job asks (SPEC §1)."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import false, select, true

from ..accounts.models import Role, User, UserRole
from ..extensions import db
from .models import Call, Program


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


def managed_program_or_404(program_id: int):
    """A program the logged-in person runs; any other program does not exist for them (404)."""
    program = db.get_or_404(Program, program_id)
    managed_or_404(current_user, program)
    return program


def managed_call_or_404(call_id: int):
    """A call of a program the logged-in person runs; any other call does not exist for them (404)."""
    call = db.get_or_404(Call, call_id)
    managed_or_404(current_user, call.program_id)
    return call


def program_admins_for(program: Any) -> list:
    """ "The program office" of a program: active program admins who run it (office-wide grants included).

    Emails addressed to the program office go to these people only, never to the offices of other programs.
    """
    program_id = program if isinstance(program, int) else program.id
    grant = (UserRole.role == Role.PROGRAM_ADMIN.value) & (
        UserRole.program_id.is_(None) | (UserRole.program_id == program_id)
    )
    return list(
        db.session.execute(select(User).where(User.active.is_(True), User.roles.any(grant)).order_by(User.id)).scalars()
    )


def runs_every_program_of(user: Any, category: str) -> bool:
    """Whether this person runs every program of a talent category (an office-wide grant does).

    A category's evaluation scheme is shared by its programs: only someone running all of them may change it.
    """
    held = managed_program_ids(user)
    if held is None:
        return True
    if not held:
        return False
    programs = set(db.session.execute(select(Program.id).where(Program.category == category)).scalars())
    return bool(programs) and programs <= held
