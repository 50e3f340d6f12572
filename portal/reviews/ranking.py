"""A call's ranking (SPEC §4.1, §6.1): load applications and evaluations in a fixed number of queries, aggregate."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from ..accounts.models import User
from ..applications.models import Application
from ..audit.services import record
from ..extensions import db
from ..programs.models import Call, Discipline, Unit
from . import scoring
from .models import Assignment, Evaluation, EvaluationScheme, UnitReview
from .schemes import SchemeError, scheme_for_call, to_scoring

# Applications that have passed the formal check: they are (or were) in front of the experts and the committee.
REVIEW_STATES = ("under_review", "reviewed", "approved", "rejected", "waitlisted", "in_notice", "awarded", "appeal")
# Assignments that still count as an evaluation the office is waiting for (or has received).
LIVE_ASSIGNMENT_STATUSES = ("invited", "accepted", "submitted")
# Outside evaluators are invited one by one, so their expected number is what was actually invited.
INVITED_COMPONENTS = ("user", "social")

# Order in which flags are shown, most serious first; (zh, en) labels like COMPONENT_LABELS.
FLAG_ORDER = (scoring.FLAG_INTEGRITY, scoring.FLAG_MISSING, scoring.FLAG_DISAGREEMENT, scoring.FLAG_TIE_AT_QUOTA)
FLAG_LABELS = {
    scoring.FLAG_INTEGRITY: ("诚信问题", "Integrity"),
    scoring.FLAG_MISSING: ("评价缺失", "Missing evaluations"),
    scoring.FLAG_DISAGREEMENT: ("意见分歧", "Disagreement"),
    scoring.FLAG_TIE_AT_QUOTA: ("名额线并列", "Tie at the quota line"),
}
OPTION_KEYS = ("trimmed", "familiarity_weights", "normalise", "disagreement_threshold")


class RankingError(Exception):
    """The ranking cannot be computed (no scheme, or stored scores that do not fit the scheme)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RankingRow:
    """One application's line in the ranking."""

    application: Application
    position: int  # 1-based place in the list; the quota line is drawn after position == quota
    rank: int | None
    final: float | None
    component_scores: dict[str, float | None]
    n_evaluations: dict[str, int]
    std_dev: float | None
    flags: tuple[str, ...]  # in FLAG_ORDER
    unit_rank: int | None
    integrity_cleared: bool

    @property
    def applicant_name(self) -> str:
        return self.application.applicant.name

    @property
    def unit(self) -> Unit:
        return self.application.unit

    @property
    def discipline_code(self) -> str:
        return self.application.discipline_code

    @property
    def n_total(self) -> int:
        return sum(self.n_evaluations.values())


@dataclass(frozen=True)
class Ranking:
    """A call's ranking under one set of aggregation options."""

    call: Call
    scheme: EvaluationScheme
    options: scoring.Options
    rows: list[RankingRow]
    disciplines: dict[str, Discipline]

    @property
    def components(self) -> list[str]:
        return list(self.scheme.definition["components"])

    @property
    def quota_line_after(self) -> int | None:
        """The position after which the quota line falls; None when everyone fits or there is no quota."""
        quota = self.options.quota
        return quota if quota and quota < len(self.rows) else None


def _applications(call: Call) -> list[Application]:
    return db.session.execute(
        select(Application).where(Application.call_id == call.id, Application.state.in_(REVIEW_STATES))
        # Only what the ranking shows: snapshots and plans are large and a call may hold thousands. Applicants'
        # roles are never shown; without lazyload every applicant would fetch them (selectin).
        .options(load_only(Application.id, Application.call_id, Application.applicant_id, Application.unit_id,
                           Application.state, Application.title, Application.discipline_code,
                           Application.integrity_flag, Application.integrity_cleared_reason),
                 joinedload(Application.applicant).options(load_only(User.id, User.name), lazyload(User.roles)),
                 joinedload(Application.unit),
                 joinedload(Application.unit_review).load_only(UnitReview.id, UnitReview.application_id,
                                                               UnitReview.unit_rank))
        .order_by(Application.id)).unique().scalars().all()


def _evaluations(call: Call) -> list:
    # Only the columns aggregation needs: comments (the confidential ones too) never leave the database here.
    # After an accepted appeal only the new round counts: evaluations of assignments made before the appeal was
    # granted stay on record but are left out (the unit's own assessment, with no assignment, always counts).
    from ..decisions.models import Appeal

    round_start = (select(Appeal.application_id, func.max(Appeal.decided_at).label("since"))
                   .where(Appeal.status == "accepted").group_by(Appeal.application_id).subquery())
    return db.session.execute(
        select(Evaluation.id, Evaluation.application_id, Evaluation.evaluator_key, Evaluation.component,
               Evaluation.scores, Evaluation.familiarity, Evaluation.integrity_ok)
        .join(Application, Application.id == Evaluation.application_id)
        .outerjoin(Assignment, Assignment.id == Evaluation.assignment_id)
        .outerjoin(round_start, round_start.c.application_id == Evaluation.application_id)
        .where(Application.call_id == call.id, Application.state.in_(REVIEW_STATES),
               Evaluation.status == "submitted",
               or_(Evaluation.assignment_id.is_(None), round_start.c.since.is_(None),
                   Assignment.invited_at > round_start.c.since))
        .order_by(Evaluation.id)).all()


def _invited_counts(call: Call) -> dict[tuple[int, str], int]:
    rows = db.session.execute(
        select(Assignment.application_id, Assignment.kind, func.count())
        .join(Application, Application.id == Assignment.application_id)
        .where(Application.call_id == call.id, Application.state.in_(REVIEW_STATES),
               Assignment.kind.in_(INVITED_COMPONENTS), Assignment.status.in_(LIVE_ASSIGNMENT_STATUSES))
        .group_by(Assignment.application_id, Assignment.kind)).all()
    return {(application_id, kind): n for application_id, kind, n in rows}


def _disciplines(applications: list[Application]) -> dict[str, Discipline]:
    codes = sorted({a.discipline_code for a in applications if a.discipline_code})
    if not codes:
        return {}
    return {d.code: d for d in db.session.execute(select(Discipline).where(Discipline.code.in_(codes))).scalars()}


def _cleared(application: Application) -> bool:
    return not application.integrity_flag and bool((application.integrity_cleared_reason or "").strip())


def ranking_for_call(call: Call, options: scoring.Options) -> Ranking:
    """The call's applications in review, aggregated and ranked under `options` (quota from the call)."""
    try:
        stored = scheme_for_call(call)
        scheme = to_scoring(stored.definition)
    except (SchemeError, ValueError, KeyError, TypeError) as exc:
        raise RankingError(getattr(exc, "message", str(exc))) from exc
    applications = _applications(call)
    by_id = {a.id: a for a in applications}
    invited = _invited_counts(call)

    expected = {"peer": call.program.experts_per_application, "unit": 1}
    options = replace(options, quota=call.total_quota,
                      expected_per_component={k: v for k, v in expected.items() if k in scheme.components})
    evaluations = [
        scoring.Evaluation(
            evaluation_id=row.id, application_id=row.application_id, evaluator_id=row.evaluator_key,
            component=row.component, criteria=dict(row.scores or {}), familiarity=row.familiarity,
            # A flag the office has cleared with a reason no longer blocks; the application shows it as cleared.
            integrity_ok=bool(row.integrity_ok) or _cleared(by_id[row.application_id]))
        # An application that left the review states between the two reads is simply not ranked this time.
        for row in _evaluations(call) if row.application_id in by_id]
    try:
        results = scoring.aggregate(evaluations, scheme, options, application_ids=list(by_id))
    except ValueError as exc:
        raise RankingError(str(exc)) from exc

    rows = []
    for position, result in enumerate(results, start=1):
        application = by_id[result.application_id]
        flags = set(result.flags)
        if application.integrity_flag:
            flags.add(scoring.FLAG_INTEGRITY)
        for component in INVITED_COMPONENTS:
            # Each outside evaluator invited is one evaluation expected; an unanswered invitation is missing.
            if component in scheme.components and \
                    result.n_evaluations[component] < invited.get((application.id, component), 0):
                flags.add(scoring.FLAG_MISSING)
        review = application.unit_review
        rows.append(RankingRow(
            application=application, position=position, rank=result.rank, final=result.final,
            component_scores=result.component_scores, n_evaluations=result.n_evaluations,
            std_dev=result.std_dev, flags=tuple(f for f in FLAG_ORDER if f in flags),
            unit_rank=review.unit_rank if review is not None else None, integrity_cleared=_cleared(application)))
    return Ranking(call=call, scheme=stored, options=options, rows=rows, disciplines=_disciplines(applications))


def options_dict(options: scoring.Options) -> dict:
    """The stored form of the options (Call.aggregation)."""
    return {"trimmed": options.trimmed, "familiarity_weights": options.familiarity_weights,
            "normalise": options.normalise, "disagreement_threshold": options.disagreement_threshold}


def save_options(call: Call, options: dict, actor) -> dict:
    """Store the options as the call's default aggregation, with an audit entry; the caller commits."""
    unknown = set(options) - set(OPTION_KEYS)
    if unknown:
        raise RankingError(f"unknown aggregation options: {sorted(unknown)}")
    try:
        threshold = float(options.get("disagreement_threshold", 15.0))
    except (TypeError, ValueError):
        threshold = math.nan
    if not (math.isfinite(threshold) and 0 <= threshold <= 100):
        raise RankingError("the disagreement threshold must be between 0 and 100")
    before = dict(call.aggregation or {})
    after = {"trimmed": bool(options.get("trimmed", False)),
             "familiarity_weights": bool(options.get("familiarity_weights", False)),
             "normalise": bool(options.get("normalise", False)), "disagreement_threshold": threshold}
    # A new dict, not an in-place update: plain JSON columns do not notice mutation.
    call.aggregation = after
    record("call.aggregation_saved", call, actor=actor, data={"before": before, "after": after})
    db.session.flush()
    return after
