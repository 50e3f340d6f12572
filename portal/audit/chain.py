"""Pure hash-chain logic for the audit log: canonical form, row hash, verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical(fields: dict[str, Any]) -> str:
    """A stable text form of one entry: sorted keys, no spaces, UTC ISO times."""

    def default(value: object) -> str:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return str(value)

    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default)


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and this entry's canonical form."""
    return hashlib.sha256((prev_hash + "\n" + canonical(fields)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold."""

    entry_id: int
    reason: str


def verify(rows: Iterable[tuple[int, str, str, dict[str, Any]]]) -> tuple[int, Break | None]:
    """Walk (id, prev_hash, hash, fields) in id order; return rows checked and the first break."""
    expected_prev = GENESIS
    count = 0
    for entry_id, prev_hash, stored_hash, fields in rows:
        count += 1
        if prev_hash != expected_prev:
            return count, Break(entry_id, "previous-hash link broken (a row before it was deleted or edited)")
        if entry_hash(prev_hash, fields) != stored_hash:
            return count, Break(entry_id, "content does not match its hash (the row was edited)")
        expected_prev = stored_hash
    return count, None
