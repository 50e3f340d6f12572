"""Accounts: people, their roles, and the unit a unit admin is bound to."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class Role(str, enum.Enum):
    """The roles of SPEC §1; a person may hold several."""

    APPLICANT = "applicant"
    UNIT_ADMIN = "unit_admin"
    EXPERT = "expert"
    PROGRAM_ADMIN = "program_admin"
    SYSADMIN = "sysadmin"


ROLE_VALUES = tuple(r.value for r in Role)


class User(UserMixin, db.Model):
    """A person with one account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return bool(self.active)

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: Role | str) -> bool:
        wanted = {r.value if isinstance(r, Role) else r for r in roles}
        return bool(self.role_names & wanted)

    @property
    def unit_ids(self) -> set[int]:
        """Units this person administers (unit admin roles)."""
        return {r.unit_id for r in self.roles if r.role == Role.UNIT_ADMIN.value and r.unit_id}

    @property
    def program_ids(self) -> set[int] | None:
        """Programs this person runs as a program admin: None means every program (an office-wide grant)."""
        grants = [r for r in self.roles if r.role == Role.PROGRAM_ADMIN.value]
        if any(r.program_id is None for r in grants):
            return None
        return {r.program_id for r in grants}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    """One role held by one person; unit admins are bound to a unit, program admins to a program.

    A program admin row without a program is an office-wide grant: that person runs every program.
    """

    __tablename__ = "user_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "unit_id", "program_id", name="uq_user_roles_user_role_unit_program"),
        CheckConstraint("role = 'program_admin' OR program_id IS NULL", name="program_only_for_program_admin"),
        CheckConstraint("role IN ('applicant','unit_admin','expert','program_admin','sysadmin')", name="role_known"),
        CheckConstraint(
            "(role = 'unit_admin' AND unit_id IS NOT NULL) OR (role <> 'unit_admin' AND unit_id IS NULL)",
            name="unit_admin_has_unit",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit | None] = relationship(lazy="joined")  # noqa: F821
    program: Mapped[Program | None] = relationship(lazy="joined")  # noqa: F821
