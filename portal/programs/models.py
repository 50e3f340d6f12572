"""Units, disciplines, programs and their yearly calls (SPEC §2)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class Unit(db.Model):
    """An institute or department; units form a tree."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Unit"]] = relationship(back_populates="parent", order_by="Unit.code")

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_zh

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Discipline(db.Model):
    """A discipline code; first-level codes have no parent (e.g. A 数理科学 > A01 数学)."""

    __tablename__ = "disciplines"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("disciplines.code"), nullable=True)

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name_zh


class ProgramLevel(str, enum.Enum):
    NATIONAL = "national"
    ACADEMY = "academy"
    INSTITUTE = "institute"


class TalentCategory(str, enum.Enum):
    """The five categories of classified evaluation (SPEC §4)."""

    LEADING = "leading"
    TOP = "top"
    YOUNG = "young"
    SUPPORT = "support"
    INDUSTRIAL = "industrial"


class Program(db.Model):
    """A talent program (人才计划) with its rules."""

    __tablename__ = "programs"
    __table_args__ = (
        CheckConstraint("level IN ('national','academy','institute')", name="level_known"),
        CheckConstraint("category IN ('leading','top','young','support','industrial')", name="category_known"),
        CheckConstraint("experts_per_application >= 3", name="at_least_three_experts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    eligibility_rules: Mapped[list] = mapped_column(JSON, default=list)
    required_documents: Mapped[list] = mapped_column(JSON, default=list)
    extra_fields: Mapped[list] = mapped_column(JSON, default=list)
    referees_required: Mapped[int] = mapped_column(Integer, default=0)
    experts_per_application: Mapped[int] = mapped_column(Integer, default=5)
    blind_review: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_quota: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notice_required: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    calls: Mapped[list["Call"]] = relationship(back_populates="program", order_by="Call.opens_at.desc()")

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh

    def description(self, locale: str) -> str:
        return self.description_en if locale.startswith("en") else self.description_zh


class CallStatus(str, enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    REVIEW = "review"
    DECIDED = "decided"


class Call(db.Model):
    """A program's yearly round (批次); times are stored in UTC and shown in Asia/Shanghai."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("program_id", "year", name="uq_calls_program_year"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("status IN ('draft','open','closed','review','decided')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cutoff_date: Mapped[date] = mapped_column(Date)
    total_quota: Mapped[int | None] = mapped_column(Integer, nullable=True)
    review_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=CallStatus.DRAFT.value)
    # The scheme version the call's review uses: fixed when review starts (SPEC §4).
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_schemes.id"), nullable=True)
    # Aggregation options of SPEC §4.1: trimmed, familiarity_weights, normalise, disagreement_threshold.
    aggregation: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by every commit that changes what the call's ranking is computed from (portal/reviews/ranking.py):
    # a computed ranking is reused while the stamp stays the same.
    ranking_stamp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    program: Mapped[Program] = relationship(back_populates="calls", lazy="joined")

    def title(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") else self.title_zh

    def is_open(self, now: datetime | None = None) -> bool:
        """Open for submissions: published and within [opens_at, closes_at)."""
        now = now or utcnow()
        return self.status == CallStatus.OPEN.value and self.opens_at <= now < self.closes_at
