"""Applicant profiles, applications, referees and expert exclusions (SPEC §3); files are portal.storage.Document."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedString
from ..database import UTCDateTime, utcnow, values_check
from ..extensions import db
from ..programs.eligibility import Degree
from ..storage import Document
from .workflow import State


class Profile(db.Model):
    """The applicant's personal data, reused by every application (SPEC §3.1)."""

    __tablename__ = "profiles"
    __table_args__ = (CheckConstraint("gender IN ('', 'female', 'male')", name="gender_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    gender: Mapped[str] = mapped_column(String(10), default="")
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    nationality: Mapped[str] = mapped_column(String(2), default="CN")
    id_type: Mapped[str] = mapped_column(String(20), default="id_card")
    id_number: Mapped[str | None] = mapped_column(EncryptedString, nullable=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    discipline_codes: Mapped[list] = mapped_column(JSON, default=list)
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()  # noqa: F821


class Education(db.Model):
    __tablename__ = "educations"
    __table_args__ = (values_check("degree", Degree),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    degree: Mapped[str] = mapped_column(String(20))
    institution: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)


class Position(db.Model):
    __tablename__ = "positions"
    __table_args__ = (CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    employer: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(200))
    post_level: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    is_research: Mapped[bool] = mapped_column(Boolean, default=True)
    full_time: Mapped[bool] = mapped_column(Boolean, default=True)


class Work(db.Model):
    """A representative work (代表作), up to five, each with its PDF."""

    __tablename__ = "works"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    venue: Mapped[str] = mapped_column(String(200), default="")
    year: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"), nullable=True)

    document: Mapped[Document | None] = relationship(foreign_keys=[document_id])


class Project(db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    funder: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(100), default="")
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Award(db.Model):
    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    grantor: Mapped[str] = mapped_column(String(200), default="")
    year: Mapped[int] = mapped_column(Integer)


class Application(db.Model):
    """One applicant's application to one call; frozen into `snapshot` when submitted."""

    __tablename__ = "applications"
    __table_args__ = (
        values_check("state", State),
        CheckConstraint(
            "state = 'draft' OR state = 'withdrawn' OR submitted_at IS NOT NULL", name="submitted_has_time"
        ),
        # An open integrity flag blocks approval (SPEC §4): the database refuses it too.
        CheckConstraint(
            "NOT (integrity_flag AND state IN ('approved','in_notice','awarded'))",
            name="no_approval_with_integrity_flag",
        ),
        # One live application per applicant per call; a withdrawn one does not count.
        Index(
            "uq_applications_live_per_call",
            "call_id",
            "applicant_id",
            unique=True,
            postgresql_where=text("state <> 'withdrawn'"),
            sqlite_where=text("state <> 'withdrawn'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=State.DRAFT.value, index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    discipline_code: Mapped[str] = mapped_column(String(10), default="")
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    plan: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    exception_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    exception_justification: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    book_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", use_alter=True, name="fk_applications_book_document_id"), nullable=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the current review round began (an accepted appeal sends the application back to review with new
    # experts); None in the first round. Assignments made up to this moment belong to an earlier round.
    review_round_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    integrity_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    integrity_cleared_reason: Mapped[str] = mapped_column(Text, default="")
    exception_endorsed: Mapped[bool] = mapped_column(Boolean, default=False)
    submission_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    call: Mapped[Call] = relationship()  # noqa: F821
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])  # noqa: F821
    unit: Mapped[Unit] = relationship()  # noqa: F821
    documents: Mapped[list[Document]] = relationship(
        back_populates="application", foreign_keys="Document.application_id", order_by="Document.id"
    )
    referees: Mapped[list[Referee]] = relationship(
        back_populates="application", order_by="Referee.id", cascade="all, delete-orphan"
    )
    exclusions: Mapped[list[Exclusion]] = relationship(
        back_populates="application", order_by="Exclusion.id", cascade="all, delete-orphan"
    )
    book: Mapped[Document | None] = relationship(foreign_keys=[book_document_id], post_update=True)

    @property
    def state_enum(self) -> State:
        return State(self.state)


class Referee(db.Model):
    """A referee (推荐人): gets a token link and uploads a letter without an account."""

    __tablename__ = "referees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    institution: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    letter_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), nullable=True
    )
    letter_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    application: Mapped[Application] = relationship(back_populates="referees")
    letter: Mapped[Document | None] = relationship(foreign_keys=[letter_document_id])


class Exclusion(db.Model):
    """An expert the applicant asks to exclude (回避专家), at most three per application."""

    __tablename__ = "exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    institution: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    application: Mapped[Application] = relationship(back_populates="exclusions")
