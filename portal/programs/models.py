"""Units, disciplines, programs and their yearly calls (SPEC §2)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow, values_check
from ..extensions import db
from ..i18n import is_english
from .call_workflow import CallState, effective_state


class Unit(db.Model):
    """An institute or department; units form a tree."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")

    def name(self, locale: str) -> str:
        return self.name_en if is_english(locale) and self.name_en else self.name_zh

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
        return self.name_en if is_english(locale) and self.name_en else self.name_zh


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
    notice_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    # An institute-level program may take applicants of one unit's subtree only (None: any unit).
    unit_scope_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic locking: every UPDATE checks and bumps it, so of two office members saving the same program the
    # second is refused (portal/programs/program_admin.py says who changed it and when).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    calls: Mapped[list[Call]] = relationship(back_populates="program", order_by="Call.opens_at.desc()")
    unit_scope: Mapped[Unit | None] = relationship(foreign_keys=[unit_scope_id])
    rule_versions: Mapped[list[ProgramRules]] = relationship(back_populates="program", order_by="ProgramRules.number")

    __mapper_args__ = {"version_id_col": version}

    def name(self, locale: str) -> str:
        return self.name_en if is_english(locale) else self.name_zh

    def description(self, locale: str) -> str:
        return self.description_en if is_english(locale) else self.description_zh

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ProgramRules(db.Model):
    """One version of what a program asks of applicants: eligibility rules, required documents, extra questions.

    Saving changed rules, documents or questions makes a new version; a call is pinned to the version current
    when it was published, so editing a program changes only the calls opened later (SPEC §3.2).
    """

    __tablename__ = "program_rules"
    __table_args__ = (UniqueConstraint("program_id", "number", name="uq_program_rules_program_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    eligibility_rules: Mapped[list] = mapped_column(JSON, default=list)
    required_documents: Mapped[list] = mapped_column(JSON, default=list)
    extra_fields: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    program: Mapped[Program] = relationship(back_populates="rule_versions")


CallStatus = CallState  # one vocabulary: the call workflow's states are what calls.status stores


class Call(db.Model):
    """A program's yearly round (批次); times are stored in UTC and shown in Asia/Shanghai."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("program_id", "year", name="uq_calls_program_year"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        values_check("status", CallState),
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
    # Bumped by every commit that changes what the call's ranking is computed from (portal/reviews/ranking/services.py):
    # a computed ranking is reused while the stamp stays the same.
    ranking_stamp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The version of the program's rules, documents and questions this call applies: pinned when it is published.
    rules_id: Mapped[int | None] = mapped_column(ForeignKey("program_rules.id"), nullable=True)
    # Endorsements a unit may make in this call when CallUnitQuota names no figure for it (None: no limit).
    unit_quota: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The call's guide (申报指南): formatted text (Markdown, no raw HTML) shown on the public call page.
    guide_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    guide_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Optimistic locking, as on Program, but counting the office's saves only (call_admin.stamp_edit bumps it): the
    # review's own writes (the scheme fixed at the first formal pass, the ranking's options) are checked against it
    # without making the office's open forms stale.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    program: Mapped[Program] = relationship(back_populates="calls", lazy="joined")
    # Loaded when asked for (the application side and the call pages), not joined into every list of calls.
    rules: Mapped[ProgramRules | None] = relationship()
    unit_quotas: Mapped[list[CallUnitQuota]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallUnitQuota.unit_id"
    )
    attachments: Mapped[list[CallAttachment]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallAttachment.position"
    )

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    def title(self, locale: str) -> str:
        return self.title_en if is_english(locale) else self.title_zh

    def guide(self, locale: str) -> str:
        return (self.guide_en or self.guide_zh) if is_english(locale) else (self.guide_zh or self.guide_en)

    # What the call asks of applicants: the pinned version once published, the program's current one before.
    @property
    def eligibility_rules(self) -> list:
        return list(self.rules.eligibility_rules if self.rules else self.program.eligibility_rules or [])

    @property
    def required_documents(self) -> list:
        return list(self.rules.required_documents if self.rules else self.program.required_documents or [])

    @property
    def extra_fields(self) -> list:
        return list(self.rules.extra_fields if self.rules else self.program.extra_fields or [])

    def quota_for_unit(self, unit_id: int | None) -> int | None:
        """Endorsements the unit may make in this call: its own figure, else the call's default (None: no limit)."""
        for row in self.unit_quotas:
            if row.unit_id == unit_id:
                return row.quota
        return self.unit_quota

    def effective_status(self, now: datetime | None = None) -> str:
        """The status people see: an open call is closed from closes_at on, without waiting for any job."""
        return effective_state(self.status, self.closes_at, now or utcnow()).value

    def is_open(self, now: datetime | None = None) -> bool:
        """Open for submissions: published and within [opens_at, closes_at)."""
        now = now or utcnow()
        return self.status == CallStatus.OPEN.value and self.opens_at <= now < self.closes_at


class CallUnitQuota(db.Model):
    """How many applications one unit may endorse in one call (SPEC §5.1)."""

    __tablename__ = "call_unit_quotas"
    __table_args__ = (CheckConstraint("quota >= 0", name="quota_not_negative"),)

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    quota: Mapped[int] = mapped_column(Integer)

    call: Mapped[Call] = relationship(back_populates="unit_quotas")
    unit: Mapped[Unit] = relationship(lazy="joined")


class CallAttachment(db.Model):
    """A PDF of the call's guide (申报指南, forms to print …), shown on the public call page."""

    __tablename__ = "call_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    label_zh: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    call: Mapped[Call] = relationship(back_populates="attachments")
    document: Mapped[Document] = relationship(lazy="joined")  # noqa: F821

    def label(self, locale: str) -> str:
        return (self.label_en or self.label_zh) if is_english(locale) else self.label_zh
