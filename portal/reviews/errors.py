"""Refusals of the review verbs (unit review, formal check, assignment, evaluation)."""

from __future__ import annotations

from ..errors import Refusal


class ReviewError(Refusal):
    """A refused review action, with the reasons to show (already translated)."""
