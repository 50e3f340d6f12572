"""The one base of every refused action, shared by all features.

A verb (a service function) that will not do what was asked raises a `Refusal` subclass carrying the reasons to
show, already translated, and optionally the form field at fault. Views catch `Refusal` once (see
`portal.views_support.commit_or_refuse`): they roll back and show the reasons; anything that is not a refusal is a
bug and propagates.
"""

from __future__ import annotations


class Refusal(Exception):
    """A refused action: `messages` to show (already translated), `message` joined, `field` the form field at fault."""

    def __init__(self, *messages: str, field: str | None = None):
        super().__init__("; ".join(messages))
        self.messages = list(messages)
        self.message = "; ".join(messages)
        self.field = field
