"""Build the solver's view of a call from the database in a fixed number of bulk queries."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from ...accounts.models import User
from ...applications.models import Application, Exclusion
from ...extensions import db
from ...programs.models import Call, Discipline, Unit
from ..experts import conflicts as c
from ..models import Assignment, DeclaredConflict, ExpertProfile
from .lifecycle import LIVE


def first_levels() -> dict[str, str]:
    """second-level code -> first-level code (a first-level code maps to itself)."""
    rows = db.session.execute(select(Discipline.code, Discipline.parent_code)).all()
    return {code: parent or code for code, parent in rows}


def discipline_pair(code: str, levels: dict[str, str]) -> tuple[str, str]:
    return (levels.get(code, code[:1]), code)


def loads_in_call(call_id: int, expert_ids: list[int] | None = None) -> dict[int, int]:
    """How many live assignments each expert holds in this call."""
    stmt = (
        select(Assignment.expert_id, func.count())
        .join(Application, Assignment.application_id == Application.id)
        .where(Application.call_id == call_id, Assignment.expert_id.is_not(None), Assignment.status.in_(LIVE))
        .group_by(Assignment.expert_id)
    )
    if expert_ids is not None:
        stmt = stmt.where(Assignment.expert_id.in_(expert_ids))
    return dict(db.session.execute(stmt).all())


def build_problem(
    call: Call,
    *,
    application_ids: list[int] | None = None,
    expert_ids: list[int] | None = None,
    k: int | None = None,
    subtract_loads: bool = True,
) -> c.Problem:
    """The call's applications and the expert pool as the pure conflict/assignment module sees them."""
    levels = first_levels()
    units = [c.Unit(uid, parent) for uid, parent in db.session.execute(select(Unit.id, Unit.parent_id)).all()]

    app_stmt = (
        select(
            Application.id,
            Application.applicant_id,
            Application.unit_id,
            Application.discipline_code,
            Application.keywords,
            User.email,
            User.name,
        )
        .join(User, Application.applicant_id == User.id)
        .where(Application.call_id == call.id)
    )
    if application_ids is not None:
        app_stmt = app_stmt.where(Application.id.in_(application_ids))
    app_rows = db.session.execute(app_stmt).all()
    ids = [r.id for r in app_rows]
    excluded: dict[int, set[int]] = defaultdict(set)
    if ids:
        for app_id, expert_id in db.session.execute(
            select(Exclusion.application_id, Exclusion.expert_id).where(
                Exclusion.application_id.in_(ids), Exclusion.expert_id.is_not(None)
            )
        ).all():
            excluded[app_id].add(expert_id)
        # An application sent back to review by an accepted appeal must get new experts: the earlier panel
        # counts as excluded, for automatic assignment and for the office's candidate list alike.
        for app_id, expert_id in db.session.execute(
            select(Assignment.application_id, Assignment.expert_id)
            .join(Application, Application.id == Assignment.application_id)
            .where(
                Application.id.in_(ids),
                Application.review_round_started_at.is_not(None),
                Assignment.expert_id.is_not(None),
                Assignment.invited_at <= Application.review_round_started_at,
            )
        ).all():
            excluded[app_id].add(expert_id)

    exp_stmt = (
        select(ExpertProfile, User.email, User.name)
        .join(User, ExpertProfile.user_id == User.id)
        .where(User.active.is_(True))
    )
    if expert_ids is not None:
        exp_stmt = exp_stmt.where(ExpertProfile.user_id.in_(expert_ids))
    expert_rows = db.session.execute(exp_stmt).all()
    loads = loads_in_call(call.id, [p.user_id for p, _, _ in expert_rows]) if subtract_loads else {}

    experts = [
        c.Expert(
            id=p.user_id,
            person_id=p.user_id,
            unit_id=p.unit_id,
            disciplines=tuple(discipline_pair(d, levels) for d in p.disciplines or []),
            keywords=frozenset(p.keywords or []),
            former_units=tuple((f["unit_id"], int(f["until_year"])) for f in p.former_units or []),
            cap=max(p.load_cap - loads.get(p.user_id, 0), 0),
            email=email,
            name=name,
        )
        for p, email, name in expert_rows
    ]
    applications = [
        c.Application(
            id=r.id,
            person_id=r.applicant_id,
            unit_id=r.unit_id,
            discipline=discipline_pair(r.discipline_code or "", levels),
            keywords=frozenset(r.keywords or []),
            excluded_expert_ids=frozenset(excluded[r.id]),
            email=r.email,
            name=r.name,
        )
        for r in app_rows
    ]
    declared = [
        (a, b) for a, b in db.session.execute(select(DeclaredConflict.expert_id, DeclaredConflict.person_id)).all()
    ]
    names = {
        code: (zh, en)
        for code, zh, en in db.session.execute(select(Discipline.code, Discipline.name_zh, Discipline.name_en)).all()
    }
    return c.Problem(
        units=units,
        experts=experts,
        applications=applications,
        declared_conflicts=declared,
        k=k or call.program.experts_per_application,
        reference_year=call.year,
        discipline_names=names,
    )
