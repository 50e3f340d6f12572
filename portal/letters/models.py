"""Letter templates, issued letters and batch issuing jobs (SPEC §6.4)."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow, values_check
from ..extensions import db

OUTCOMES = ("approved", "rejected", "waitlisted")  # 入选通知书, 未入选通知, 候补通知


class LetterStatus(str, enum.Enum):
    """A letter is in force until it is revoked (re-issued or withdrawn)."""

    VALID = "valid"
    REVOKED = "revoked"


class LetterJobStatus(str, enum.Enum):
    """A batch of letters: waiting for a worker, being issued, finished, or stopped by an error."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


#: What the letters pages call each status.
LETTER_STATUS_LABELS = {LetterStatus.VALID: _l("Valid"), LetterStatus.REVOKED: _l("Revoked")}
LETTER_JOB_STATUS_LABELS = {
    LetterJobStatus.QUEUED: _l("Waiting for a worker…"),
    LetterJobStatus.RUNNING: _l("Issuing…"),
    LetterJobStatus.DONE: _l("Finished."),
    LetterJobStatus.FAILED: _l("Failed."),
}
#: A job still at work: the page refreshes itself and a second batch for the program is refused.
ACTIVE_JOB_STATUSES: frozenset[LetterJobStatus] = frozenset({LetterJobStatus.QUEUED, LetterJobStatus.RUNNING})


class LetterTemplate(db.Model):
    """One version of a program's letter for one outcome: HTML/CSS with placeholders, run in a sandbox."""

    __tablename__ = "letter_templates"
    __table_args__ = (
        UniqueConstraint("program_id", "outcome", "version", name="uq_letter_templates_version"),
        CheckConstraint("outcome IN ('approved','rejected','waitlisted')", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    program: Mapped[Program] = relationship()  # noqa: F821


class Letter(db.Model):
    """An issued letter: its PDF is stored unchanged with its hash; re-issuing revokes it and makes a new one."""

    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("program_id", "serial_year", "serial_no", name="uq_letters_serial"),
        values_check("status", LetterStatus),
        CheckConstraint("outcome IN ('approved','rejected','waitlisted')", name="outcome_known"),
        CheckConstraint("serial_no >= 1", name="serial_positive"),
        CheckConstraint("status = 'valid' OR revoked_at IS NOT NULL", name="revoked_has_time"),
        # One letter in force per application, whatever runs at once (a batch, a re-issue).
        Index(
            "uq_letters_one_valid",
            "application_id",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("letter_templates.id"))
    outcome: Mapped[str] = mapped_column(String(12))
    serial_year: Mapped[int] = mapped_column(Integer)
    serial_no: Mapped[int] = mapped_column(Integer)
    serial: Mapped[str] = mapped_column(String(40))  # 〔2026〕第0012号
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default=LetterStatus.VALID.value, index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str] = mapped_column(String(500), default="")
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"), nullable=True)

    application: Mapped[Application] = relationship()  # noqa: F821
    document: Mapped[Document] = relationship()  # noqa: F821
    template: Mapped[LetterTemplate] = relationship()


class LetterJob(db.Model):
    """A batch of letters issued in the background; the progress bar reads `done` / `total`."""

    __tablename__ = "letter_jobs"
    __table_args__ = (
        values_check("status", LetterJobStatus),
        CheckConstraint("done >= 0 AND failed >= 0 AND done + failed <= total", name="progress_fits"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=LetterJobStatus.QUEUED.value)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
