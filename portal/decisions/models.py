"""Committee decisions, public notice (公示), objections and appeals (SPEC §6.1–6.3)."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow, values_check
from ..extensions import db


class SessionStatus(str, enum.Enum):
    """A committee session is a draft while it meets; finalised, its decisions take effect."""

    DRAFT = "draft"
    FINALISED = "finalised"


class NoticeStatus(str, enum.Enum):
    """A public notice is open for objections until it ends, then closed."""

    OPEN = "open"
    CLOSED = "closed"


class ObjectionStatus(str, enum.Enum):
    """An objection waits for the office, which upholds or dismisses it."""

    PENDING = "pending"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class AppealStatus(str, enum.Enum):
    """An appeal (复审) waits for the office, which accepts it (a new review round) or rejects it."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


#: What the decision pages call each status (the notice's in its public sense: open for objections, or closed).
NOTICE_STATUS_LABELS = {NoticeStatus.OPEN: _l("open"), NoticeStatus.CLOSED: _l("closed")}
OBJECTION_STATUS_LABELS = {
    ObjectionStatus.PENDING: _l("Pending"),
    ObjectionStatus.UPHELD: _l("Upheld"),
    ObjectionStatus.DISMISSED: _l("Dismissed"),
}
#: An appeal's status as the applicant reads it.
APPEAL_STATUS_LABELS = {
    AppealStatus.PENDING: _l("Awaiting the program office's decision"),
    AppealStatus.ACCEPTED: _l("Accepted: the application goes back to review with new experts"),
    AppealStatus.REJECTED: _l("Dismissed: the decision stands"),
}


class DecisionSession(db.Model):
    """A committee meeting (会议评审) for one call; its decisions stay drafts until it is finalised."""

    __tablename__ = "decision_sessions"
    __table_args__ = (
        values_check("status", SessionStatus),
        CheckConstraint("quorum >= 1 AND committee_size >= quorum", name="quorum_fits_committee"),
        CheckConstraint("status = 'draft' OR finalised_at IS NOT NULL", name="finalised_has_time"),
        # One open session per call at a time.
        Index(
            "uq_decision_sessions_open_per_call",
            "call_id",
            unique=True,
            postgresql_where=text("status = 'draft'"),
            sqlite_where=text("status = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=SessionStatus.DRAFT.value)
    title: Mapped[str] = mapped_column(String(200), default="")
    committee_size: Mapped[int] = mapped_column(Integer, default=15)
    quorum: Mapped[int] = mapped_column(Integer, default=10)  # members who must vote for a decision to count
    two_thirds: Mapped[bool] = mapped_column(Boolean, default=True)  # approval needs >= 2/3 of the votes cast
    minutes: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    call: Mapped[Call] = relationship()  # noqa: F821
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Decision.id"
    )


class Decision(db.Model):
    """The committee's outcome for one application, with the vote."""

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("session_id", "application_id", name="uq_decisions_session_application"),
        CheckConstraint("outcome IN ('approve','reject','waitlist')", name="outcome_known"),
        CheckConstraint("votes_for >= 0 AND votes_against >= 0 AND votes_abstain >= 0", name="votes_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("decision_sessions.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(10))
    votes_for: Mapped[int] = mapped_column(Integer, default=0)
    votes_against: Mapped[int] = mapped_column(Integer, default=0)
    votes_abstain: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[DecisionSession] = relationship(back_populates="decisions")
    application: Mapped[Application] = relationship()  # noqa: F821


class Notice(db.Model):
    """A public notice (公示) of a call's approved candidates for N days."""

    __tablename__ = "notices"
    __table_args__ = (
        values_check("status", NoticeStatus),
        CheckConstraint("ends_at > published_at", name="ends_after_publication"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    days: Mapped[int] = mapped_column(Integer, default=7)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=NoticeStatus.OPEN.value, index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    call: Mapped[Call] = relationship()  # noqa: F821
    items: Mapped[list[NoticeItem]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="NoticeItem.id"
    )


class NoticeItem(db.Model):
    """One candidate as published: the public text is kept as it was shown."""

    __tablename__ = "notice_items"
    __table_args__ = (UniqueConstraint("notice_id", "application_id", name="uq_notice_items_notice_application"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    unit_name: Mapped[str] = mapped_column(String(200))
    program_name: Mapped[str] = mapped_column(String(200))
    discipline: Mapped[str] = mapped_column(String(100), default="")

    notice: Mapped[Notice] = relationship(back_populates="items")
    application: Mapped[Application] = relationship()  # noqa: F821


class Objection(db.Model):
    """An objection (异议) filed by anyone during the notice period, and how it was handled."""

    __tablename__ = "objections"
    __table_args__ = (values_check("status", ObjectionStatus),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("notice_items.id"), nullable=True, index=True)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(200))  # phone or email, to reach the objector
    content: Mapped[str] = mapped_column(Text)
    ip: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=ObjectionStatus.PENDING.value, index=True)
    handling_note: Mapped[str] = mapped_column(Text, default="")
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    notice: Mapped[Notice] = relationship()
    item: Mapped[NoticeItem | None] = relationship()


class Appeal(db.Model):
    """An applicant's appeal (复审) within 15 days of a rejection, and its outcome."""

    __tablename__ = "appeals"
    __table_args__ = (values_check("status", AppealStatus),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=AppealStatus.PENDING.value)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    application: Mapped[Application] = relationship()  # noqa: F821
