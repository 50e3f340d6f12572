"""Refusals of the decision verbs (sessions, notices, objections, appeals)."""

from __future__ import annotations

from ..errors import Refusal


class DecisionError(Refusal):
    """A refused decision action, with the reasons to show (already translated)."""
