"""Automatic assignment of a call (SPEC §5.4): preview, commit in one transaction, replace a decliner."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from ...accounts.models import User
from ...accounts.services import external_url
from ...applications.models import Application
from ...applications.workflow import State
from ...audit.services import record
from ...database import utcnow
from ...extensions import db
from ...i18n import is_english
from ...notifications.services import queue_email
from ..errors import ReviewError
from ..models import Assignment
from ..ranking.services import mark_changed
from . import solver as solver
from .lifecycle import LIVE, AssignmentStatus
from .pool import build_problem
from .services import assign_expert, review_due_date


@dataclass
class Preview:
    """A solver result for a call, not yet written; `fingerprint` ties a commit to what was previewed."""

    call_id: int
    mode: str
    seed: int | None
    k: int
    result: solver.AssignmentResult
    applications: dict[int, Application]
    experts: dict[int, User]
    fingerprint: str

    def pairs_of(self) -> dict[int, list]:
        """(expert id, affinity) per application, for the page's one line per application."""
        grouped: dict[int, list] = {}
        for application_id, expert_id, affinity in self.result.pairs:
            grouped.setdefault(application_id, []).append((expert_id, affinity))
        return grouped

    def warnings_of(self) -> dict[int, list]:
        grouped: dict[int, list] = {}
        for warning in self.result.warnings:
            grouped.setdefault(warning.application_id, []).append(warning)
        return grouped


def applications_to_assign(call) -> list[int]:
    """Applications under review that have no live expert yet (partly staffed ones are completed by hand)."""
    staffed = select(Assignment.application_id).where(Assignment.expert_id.is_not(None), Assignment.status.in_(LIVE))
    return (
        db.session.execute(
            select(Application.id)
            .where(
                Application.call_id == call.id, Application.state == State.UNDER_REVIEW, Application.id.not_in(staffed)
            )
            .order_by(Application.id)
        )
        .scalars()
        .all()
    )


def preview(call, *, mode: str = "optimal", seed: int | None = None, k: int | None = None) -> Preview:
    """Solve without writing anything: the optimal min-cost flow, or a reproducible random draw (随机抽取)."""
    k = k or call.program.experts_per_application
    if k < 3:
        raise ReviewError(_("Every application needs at least 3 experts."))
    ids = applications_to_assign(call)
    problem = build_problem(call, application_ids=ids, k=k)
    if mode == "random":
        if seed is None:
            raise ReviewError(_("A random draw needs a seed."))
        result = solver.random_draw(problem, seed)
    else:
        result = solver.assign(problem)
    # The preview lists every application with its applicant's name: load them together (no query per row).
    applications = {
        a.id: a
        for a in db.session.execute(
            select(Application)
            .where(Application.id.in_(ids))
            .options(
                load_only(Application.id, Application.title, Application.discipline_code, Application.applicant_id),
                joinedload(Application.applicant).options(load_only(User.id, User.name), lazyload(User.roles)),
            )
        ).scalars()
    }
    expert_ids = sorted({e for _a, e, _f in result.pairs})
    experts = {
        u.id: u
        for u in db.session.execute(select(User).where(User.id.in_(expert_ids)).options(lazyload(User.roles))).scalars()
    }
    digest = hashlib.sha256(json.dumps([[a, e] for a, e, _f in result.pairs]).encode()).hexdigest()
    return Preview(call.id, mode, seed, k, result, applications, experts, digest)


def commit_preview(call, *, mode: str, seed: int | None, k: int | None, fingerprint: str, actor) -> Preview:
    """Solve again and write every assignment in one transaction, if it is still what the admin previewed."""
    fresh = preview(call, mode=mode, seed=seed, k=k)
    if fresh.fingerprint != fingerprint:
        raise ReviewError(
            _("The applications or the expert pool changed since the preview. Preview again before committing.")
        )
    if not fresh.result.pairs:
        raise ReviewError(_("There is nothing to assign."))
    due, now = review_due_date(call), utcnow()
    method = "random" if mode == "random" else "auto"
    db.session.execute(
        insert(Assignment),
        [
            {
                "application_id": a,
                "kind": "expert",
                "expert_id": e,
                "status": AssignmentStatus.INVITED.value,
                "due_date": due,
                "invited_at": now,
                "method": method,
                "created_by_id": actor.id,
                "no_conflict_statement": "",
                "decline_reason": "",
                "external_name": "",
            }
            for a, e, _f in fresh.result.pairs
        ],
    )

    mark_changed(db.session, call_ids=[call.id])  # a Core insert: the ranking's change tracking does not see it
    counts: dict[int, int] = {}
    for _a, e, _f in fresh.result.pairs:
        counts[e] = counts.get(e, 0) + 1
    program = call.program
    for expert_id, n in counts.items():  # one email per expert, not one per application
        expert = fresh.experts[expert_id]
        queue_email(
            expert.email,
            "expert_invitation",
            locale=expert.locale,
            user=expert,
            count=n,
            program_name=program.name(expert.locale),
            due=due,
            link=external_url("expert.queue"),
        )
    result = fresh.result
    record(
        "assignment.committed",
        call,
        actor=actor,
        data={
            "mode": mode,
            "seed": seed,
            "k": fresh.k,
            "pairs": len(result.pairs),
            "experts": len(counts),
            "applications": len(fresh.applications),
            "shortfalls": len(result.shortfalls),
            "objective": round(result.objective, 3),
            "fingerprint": fingerprint,
        },
    )
    db.session.flush()
    return fresh


def replace(assignment: Assignment, actor) -> Assignment:
    """A new expert for one application whose expert declined; no other assignment moves."""
    if assignment.status != AssignmentStatus.DECLINED or assignment.kind != "expert":
        raise ReviewError(_("Only a declined expert is replaced."))
    application = assignment.application
    call = application.call
    live = db.session.execute(
        select(Assignment.application_id, Assignment.expert_id)
        .join(Application)
        .where(
            Application.call_id == call.id,
            Application.state == State.UNDER_REVIEW,
            Assignment.expert_id.is_not(None),
            Assignment.status.in_(LIVE),
        )
    ).all()
    declined_before = (
        db.session.execute(
            select(Assignment.expert_id).where(
                Assignment.application_id == application.id, Assignment.status == AssignmentStatus.DECLINED
            )
        )
        .scalars()
        .all()
    )
    ids = sorted({a for a, _e in live} | {application.id})
    problem = build_problem(call, application_ids=ids, subtract_loads=False)
    pairs = [(a, e) for a, e in live] + [(application.id, assignment.expert_id)]
    found = solver.replace_expert(problem, pairs, application.id, assignment.expert_id, exclude=declined_before)
    if found.expert_id is None:
        english = is_english()
        reason = (found.shortfall.reason_en if english else found.shortfall.reason_zh) if found.shortfall else ""
        raise ReviewError(_("No replacement is available: %(reason)s", reason=reason))
    replacement = assign_expert(application, db.session.get(User, found.expert_id), actor, method="replace")
    record(
        "assignment.replaced",
        application,
        actor=actor,
        data={"declined": assignment.expert_id, "replacement": found.expert_id},
    )
    return replacement
