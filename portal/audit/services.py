"""Writing and verifying audit entries."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import select, text

from ..database import utcnow
from ..extensions import db
from .chain import GENESIS, Break, entry_hash, verify
from .models import AuditEntry

# Any fixed number: the advisory lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK = 7_311_004


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "created_at": entry.created_at,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "data": entry.data or {},
        "ip": entry.ip,
    }


def record(action: str, obj: Any = None, *, actor: Any = None, data: dict | None = None) -> AuditEntry:
    """Append one entry in the current transaction (flushed, committed by the caller)."""
    if actor is None:
        from flask_login import current_user

        actor = current_user if has_request_context() and current_user.is_authenticated else None
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # Two transactions appending at once would both chain to the same predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    last = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", "") or (actor if isinstance(actor, str) else ""),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "id", "") or "") if obj is not None else "",
        data=data or {},
        ip=(request.remote_addr or "") if has_request_context() else "",
        prev_hash=last or GENESIS,
    )
    entry.hash = entry_hash(entry.prev_hash, _fields(entry))
    session.add(entry)
    session.flush()
    return entry


def verify_chain() -> tuple[int, Break | None]:
    """Check the whole log; returns (rows checked, first break or None)."""
    rows = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
    return verify((e.id, e.prev_hash, e.hash, _fields(e)) for e in rows)
