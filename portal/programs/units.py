"""Unit tree queries and edits."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..errors import Refusal
from ..extensions import db
from .models import Unit


class UnitError(Refusal):
    """A refused change to the unit tree; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field)


def all_units() -> list[Unit]:
    return db.session.execute(select(Unit).order_by(Unit.code)).scalars().all()


def tree_rows(units: list[Unit]) -> list[tuple[Unit, int]]:
    """Units in depth-first order with their depth, for indented lists and select boxes."""
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    rows: list[tuple[Unit, int]] = []

    def walk(parent_id, depth):
        for unit in sorted(children.get(parent_id, []), key=lambda u: u.code):
            rows.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return rows


def descendant_ids(unit_id: int, units: list[Unit] | None = None) -> set[int]:
    """The unit and every unit below it."""
    units = units if units is not None else all_units()
    children: dict[int | None, list[int]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit.id)
    found, stack = set(), [unit_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def save_unit(unit: Unit | None, *, code: str, name_zh: str, name_en: str, parent_id: int | None, actor) -> Unit:
    """Create or edit a unit; codes are unique and a unit cannot sit below itself."""
    code = code.strip()
    clash = db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if clash is not None and clash is not unit:
        raise UnitError(_("Another unit already uses this code."), "code")
    if unit is not None and parent_id and parent_id in descendant_ids(unit.id):
        raise UnitError(_("A unit cannot be placed below itself or one of its sub-units."), "parent_id")
    created = unit is None
    if created:
        unit = Unit()
        db.session.add(unit)
    before = {"code": unit.code, "name_zh": unit.name_zh, "name_en": unit.name_en, "parent_id": unit.parent_id}
    unit.code, unit.name_zh, unit.name_en, unit.parent_id = code, name_zh.strip(), (name_en or "").strip(), parent_id
    db.session.flush()
    after = {"code": unit.code, "name_zh": unit.name_zh, "name_en": unit.name_en, "parent_id": unit.parent_id}
    record(
        "unit.created" if created else "unit.updated",
        unit,
        actor=actor,
        data={"after": after} if created else {"before": before, "after": after},
    )
    return unit
