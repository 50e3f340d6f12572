"""Review pipeline records: schemes, unit reviews, expert pool, assignments, evaluations (SPEC §4, §5)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow, values_check
from ..extensions import db
from .assignment.lifecycle import AssignmentStatus


class EvaluationScheme(db.Model):
    """One version of a talent category's classified-evaluation scheme; never edited in place."""

    __tablename__ = "evaluation_schemes"
    __table_args__ = (
        UniqueConstraint("category", "version", name="uq_evaluation_schemes_category_version"),
        CheckConstraint("category IN ('leading','top','young','support','industrial')", name="category_known"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class UnitReview(db.Model):
    """The unit's endorsement of an application, with its commitments and place in the unit's ranking."""

    __tablename__ = "unit_reviews"
    __table_args__ = (CheckConstraint("unit_rank IS NULL OR unit_rank >= 1", name="rank_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    post: Mapped[str] = mapped_column(String(300), default="")
    startup_funds: Mapped[str] = mapped_column(String(100), default="")
    space: Mapped[str] = mapped_column(String(300), default="")
    opinion: Mapped[str] = mapped_column(Text, default="")
    exception_endorsement: Mapped[str] = mapped_column(Text, default="")
    unit_rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(backref=db.backref("unit_review", uselist=False))  # noqa: F821


class ExpertProfile(db.Model):
    """A member of the expert pool: disciplines, keywords, unit history and load cap per call."""

    __tablename__ = "expert_profiles"
    __table_args__ = (CheckConstraint("load_cap >= 0", name="load_cap_not_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    disciplines: Mapped[list] = mapped_column(JSON, default=list)  # second-level codes, e.g. ["A01", "A04"]
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    former_units: Mapped[list] = mapped_column(JSON, default=list)  # [{"unit_id": 3, "until_year": 2024}]
    load_cap: Mapped[int] = mapped_column(Integer, default=10)

    user: Mapped[User] = relationship(backref=db.backref("expert_profile", uselist=False))  # noqa: F821
    unit: Mapped[Unit | None] = relationship()  # noqa: F821


class DeclaredConflict(db.Model):
    """A conflict declared by an expert or an applicant: co-author, advisor/student, family, collaborator."""

    __tablename__ = "declared_conflicts"
    __table_args__ = (
        UniqueConstraint("expert_id", "person_id", name="uq_declared_conflicts_pair"),
        CheckConstraint("relation IN ('coauthor','advisor','family','collaborator','other')", name="relation_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(20))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(db.Model):
    """An evaluator asked to score one application: an expert with an account, or an external token link."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("kind IN ('expert','user','social')", name="kind_known"),
        values_check("status", AssignmentStatus),
        CheckConstraint(
            "(kind = 'expert' AND expert_id IS NOT NULL) OR "
            "(kind <> 'expert' AND external_email IS NOT NULL AND token_hash IS NOT NULL)",
            name="evaluator_identified",
        ),
        CheckConstraint("status <> 'submitted' OR responded_at IS NOT NULL", name="submitted_was_accepted"),
        # An expert holds at most one live assignment per application.
        Index(
            "uq_assignments_live_expert",
            "application_id",
            "expert_id",
            unique=True,
            postgresql_where=text("expert_id IS NOT NULL AND status NOT IN ('declined','withdrawn')"),
            sqlite_where=text("expert_id IS NOT NULL AND status NOT IN ('declined','withdrawn')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="expert")
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    external_name: Mapped[str] = mapped_column(String(100), default="")
    external_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(10), default=AssignmentStatus.INVITED.value, index=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    no_conflict_statement: Mapped[str] = mapped_column(Text, default="")
    decline_reason: Mapped[str] = mapped_column(String(500), default="")
    method: Mapped[str] = mapped_column(String(10), default="manual")  # manual | auto | random | replace
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # When the expert was last reminded (portal/reviews/evaluation/reminders.py): once before the due date, then when late.
    reminded_due_soon_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reminded_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    application: Mapped[Application] = relationship(backref=db.backref("assignments", lazy="select"))  # noqa: F821
    expert: Mapped[User | None] = relationship(foreign_keys=[expert_id])  # noqa: F821
    evaluation: Mapped[Evaluation | None] = relationship(back_populates="assignment", uselist=False)


class EvaluationStatus(str, enum.Enum):
    """An evaluation is a draft until it is submitted, and then locked (evaluations.status)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class Evaluation(db.Model):
    """Scores for one application by one evaluator, per the call's scheme; locked once submitted."""

    __tablename__ = "evaluations"
    __table_args__ = (
        values_check("status", EvaluationStatus),
        CheckConstraint(
            "recommendation IS NULL OR recommendation IN ('priority','support','oppose')", name="recommendation_known"
        ),
        CheckConstraint(
            "familiarity IS NULL OR familiarity IN ('familiar','somewhat','unfamiliar')", name="familiarity_known"
        ),
        CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name="submitted_has_time"),
        UniqueConstraint("application_id", "evaluator_key", name="uq_evaluations_one_per_evaluator"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    # Who scored, for per-evaluator normalisation: "user:12", "unit:5" or "ext:<assignment id>".
    evaluator_key: Mapped[str] = mapped_column(String(40))
    component: Mapped[str] = mapped_column(String(20))
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    familiarity: Mapped[str | None] = mapped_column(String(12), nullable=True)
    recommendation: Mapped[str | None] = mapped_column(String(10), nullable=True)
    comment_for_applicant: Mapped[str] = mapped_column(Text, default="")
    comment_confidential: Mapped[str] = mapped_column(Text, default="")
    integrity_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    integrity_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=EvaluationStatus.DRAFT.value, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment | None] = relationship(back_populates="evaluation")
    application: Mapped[Application] = relationship()  # noqa: F821
