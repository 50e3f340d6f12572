"""What the views share around a service verb: commit its work, or roll it back and show why it was refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash

from .database import commit, rollback
from .errors import Refusal


@dataclass(frozen=True)
class Outcome:
    """What `commit_or_refuse` did: true when the verb ran and its work is committed, with what it returned."""

    ok: bool
    result: Any = None

    def __bool__(self) -> bool:
        return self.ok


def commit_or_refuse(verb: Callable[..., Any], *args, **kwargs) -> Outcome:
    """Run `verb(*args, **kwargs)`; commit when it succeeds, or roll back and flash each reason when it refuses.

    Only a `Refusal` (every feature's errors derive from it) counts as a refusal; any other exception propagates
    untouched. The view still chooses what to answer either way: on refusal it re-renders
    its page with a 409 or redirects, and on success it flashes its own message.
    """
    try:
        result = verb(*args, **kwargs)
    except Refusal as exc:
        rollback()
        for message in exc.messages:
            flash(message, "danger")
        return Outcome(False)
    commit()
    return Outcome(True, result)
