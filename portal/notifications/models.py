"""The email outbox: every message is stored before it is sent (SPEC §8)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow, values_check
from ..extensions import db


class OutboxStatus(str, enum.Enum):
    """An email waits in the outbox, then is sent over SMTP, only logged (no SMTP configured), or failed."""

    PENDING = "pending"
    SENT = "sent"
    LOGGED = "logged"
    FAILED = "failed"


#: Delivered (or written to the log in place of SMTP): never sent again.
DELIVERED_STATUSES: frozenset[OutboxStatus] = frozenset({OutboxStatus.SENT, OutboxStatus.LOGGED})


class OutboxMessage(db.Model):
    """One email, kept whether it was sent over SMTP, only logged, or failed."""

    __tablename__ = "outbox"
    __table_args__ = (values_check("status", OutboxStatus),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    template: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING.value, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
