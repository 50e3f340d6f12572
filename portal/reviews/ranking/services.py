"""A call's ranking (SPEC §4.1, §6.1): load applications and evaluations in a fixed number of queries, aggregate."""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import pickle
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import NamedTuple

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event, func, inspect, or_, select, update
from sqlalchemy.orm import Session, joinedload, lazyload, load_only

from ... import jobs
from ...accounts.models import User
from ...applications.models import Application
from ...applications.workflow import REVIEW_STATES
from ...audit.services import record
from ...database import after_commit
from ...errors import Refusal
from ...extensions import db
from ...programs.models import Call, Discipline, Unit
from ..assignment.lifecycle import LIVE
from ..evaluation.schemes import SchemeError, options_for_call, scheme_for_call, to_scoring
from ..models import Assignment, Evaluation, EvaluationScheme, EvaluationStatus, UnitReview
from . import scoring

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


class RankingError(Refusal):
    """The ranking cannot be computed (no scheme, or stored scores that do not fit the scheme)."""


@dataclass(frozen=True)
class RankingRow:
    """One application's line in the ranking."""

    application: Application
    position: int  # 1-based place in the whole list; the quota line is drawn after position == quota
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
    """A call's ranking under one set of aggregation options: `rows` holds the requested page (all rows when no
    page was asked for); `total` counts every ranked application."""

    call: Call
    scheme: EvaluationScheme
    options: scoring.Options
    rows: list[RankingRow]
    disciplines: dict[str, Discipline]
    total: int = 0
    page: int = 1
    per_page: int | None = None

    @property
    def components(self) -> list[str]:
        return list(self.scheme.definition["components"])

    @property
    def quota_line_after(self) -> int | None:
        """The position after which the quota line falls; None when everyone fits or there is no quota."""
        quota = self.options.quota
        return quota if quota and quota < self.total else None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1

    def iter_pages(self):
        """Page numbers for the pager (the same shape as Flask-SQLAlchemy's: None marks a gap)."""
        last = self.pages
        shown = sorted({1, 2, last - 1, last} | set(range(self.page - 2, self.page + 3)))
        previous = 0
        for number in shown:
            if 1 <= number <= last:
                if number > previous + 1:
                    yield None
                yield number
                previous = number


class _Line(NamedTuple):
    """One application's aggregate with its flags: what is cached (no ORM object, nothing to display). A named
    tuple: 20,000 of them unpickle from the shared cache in ~25 ms, ten times faster than a dataclass."""

    application_id: int
    rank: int | None
    final: float | None
    component_scores: dict[str, float | None]
    n_evaluations: dict[str, int]
    std_dev: float | None
    flags: tuple[str, ...]
    unit_rank: int | None
    integrity_cleared: bool


def _facts(call: Call) -> list:
    """(id, integrity_flag, integrity_cleared_reason, unit_rank) of the call's applications in review."""
    return db.session.execute(
        select(Application.id, Application.integrity_flag, Application.integrity_cleared_reason, UnitReview.unit_rank)
        .outerjoin(UnitReview, UnitReview.application_id == Application.id)
        .where(Application.call_id == call.id, Application.state.in_(REVIEW_STATES))
        .order_by(Application.id)
    ).all()


def _applications(ids: list[int]) -> dict[int, Application]:
    if not ids:
        return {}
    return {
        a.id: a
        for a in db.session.execute(
            select(Application)
            .where(Application.id.in_(ids))
            # Only what the ranking shows: snapshots and plans are large. Applicants' roles are never shown; without
            # lazyload every applicant would fetch them (selectin).
            .options(
                load_only(
                    Application.id,
                    Application.call_id,
                    Application.applicant_id,
                    Application.unit_id,
                    Application.state,
                    Application.title,
                    Application.discipline_code,
                    Application.integrity_flag,
                    Application.integrity_cleared_reason,
                ),
                joinedload(Application.applicant).options(load_only(User.id, User.name), lazyload(User.roles)),
                joinedload(Application.unit),
            )
        )
        .unique()
        .scalars()
    }


def _evaluations(call: Call) -> list:
    # Only the columns aggregation needs: comments (the confidential ones too) never leave the database here.
    # After an accepted appeal only the new round counts: evaluations of assignments made before the appeal was
    # granted stay on record but are left out (the unit's own assessment, with no assignment, always counts).
    return db.session.execute(
        select(
            Evaluation.id,
            Evaluation.application_id,
            Evaluation.evaluator_key,
            Evaluation.component,
            Evaluation.scores,
            Evaluation.familiarity,
            Evaluation.integrity_ok,
        )
        .join(Application, Application.id == Evaluation.application_id)
        .outerjoin(Assignment, Assignment.id == Evaluation.assignment_id)
        .where(
            Application.call_id == call.id,
            Application.state.in_(REVIEW_STATES),
            Evaluation.status == EvaluationStatus.SUBMITTED,
            or_(
                Evaluation.assignment_id.is_(None),
                Application.review_round_started_at.is_(None),
                Assignment.invited_at > Application.review_round_started_at,
            ),
        )
        .order_by(Evaluation.id)
    ).all()


def _invited_counts(call: Call) -> dict[tuple[int, str], int]:
    rows = db.session.execute(
        select(Assignment.application_id, Assignment.kind, func.count())
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Application.call_id == call.id,
            Application.state.in_(REVIEW_STATES),
            Assignment.kind.in_(INVITED_COMPONENTS),
            Assignment.status.in_(LIVE),
        )
        .group_by(Assignment.application_id, Assignment.kind)
    ).all()
    return {(application_id, kind): n for application_id, kind, n in rows}


def _disciplines(codes) -> dict[str, Discipline]:
    codes = sorted({code for code in codes if code})
    if not codes:
        return {}
    return {d.code: d for d in db.session.execute(select(Discipline).where(Discipline.code.in_(codes))).scalars()}


def _is_cleared(integrity_flag: bool, cleared_reason: str | None) -> bool:
    return not integrity_flag and bool((cleared_reason or "").strip())


def _compute(call: Call, scheme: scoring.Scheme, options: scoring.Options) -> list[_Line]:
    """Aggregate the call's evaluations (four queries) into its lines, best first."""
    facts = {row.id: row for row in _facts(call)}
    invited = _invited_counts(call)
    evaluations = [
        scoring.Evaluation(
            evaluation_id=row.id,
            application_id=row.application_id,
            evaluator_id=row.evaluator_key,
            component=row.component,
            criteria=dict(row.scores or {}),
            familiarity=row.familiarity,
            # A flag the office has cleared with a reason no longer blocks; the application shows it as cleared.
            integrity_ok=bool(row.integrity_ok)
            or _is_cleared(
                facts[row.application_id].integrity_flag, facts[row.application_id].integrity_cleared_reason
            ),
        )
        # An application that left the review states between the two reads is simply not ranked this time.
        for row in _evaluations(call)
        if row.application_id in facts
    ]
    try:
        results = scoring.aggregate(evaluations, scheme, options, application_ids=list(facts))
    except ValueError as exc:
        raise RankingError(str(exc)) from exc
    lines = []
    for result in results:
        fact = facts[result.application_id]
        flags = set(result.flags)
        if fact.integrity_flag:
            flags.add(scoring.FLAG_INTEGRITY)
        for component in INVITED_COMPONENTS:
            # Each outside evaluator invited is one evaluation expected; an unanswered invitation is missing.
            if component in scheme.components and result.n_evaluations[component] < invited.get(
                (result.application_id, component), 0
            ):
                flags.add(scoring.FLAG_MISSING)
        lines.append(
            _Line(
                result.application_id,
                result.rank,
                result.final,
                result.component_scores,
                result.n_evaluations,
                result.std_dev,
                tuple(f for f in FLAG_ORDER if f in flags),
                fact.unit_rank,
                _is_cleared(fact.integrity_flag, fact.integrity_cleared_reason),
            )
        )
    return lines


# Computed rankings, reused while the call's ranking stamp stays the same (a few per process, and for a day in
# Redis when REDIS_URL is set).
SHARED_TTL = 24 * 3600
# How long a worker waits for another that is computing the same ranking before computing it itself.
COMPUTE_WAIT = 15.0
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16
_CACHE_LOCK = threading.Lock()


def _cache_key(call: Call, stored: EvaluationScheme, options: scoring.Options) -> tuple:
    # The database and the call's creation time are in the key too: a test (or a second app in the process)
    # may hold another call under the same id.
    return (
        db.engine.url.render_as_string(hide_password=True),
        call.id,
        call.created_at,
        call.ranking_stamp,
        stored.id,
        options.trimmed,
        options.familiarity_weights,
        options.normalise,
        options.disagreement_threshold,
        options.quota,
        tuple(sorted((options.expected_per_component or {}).items())),
    )


def _shared_cache():
    """The Redis connection that all web workers and instances share a computed ranking through, if any."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    return jobs.redis_connection(url)


def _shared_key(key: tuple) -> str:
    return "portal:ranking:" + hashlib.sha256(repr(key).encode("utf-8")).hexdigest()


def _shared_get(key: tuple) -> list[_Line] | None:
    try:
        connection = _shared_cache()
        data = connection.get(_shared_key(key)) if connection is not None else None
    except RedisError:  # the cache is an optimisation: without Redis, compute
        return None
    return pickle.loads(data) if data else None  # written by this application only (as RQ's jobs are)


def _shared_put(key: tuple, lines: list[_Line]) -> None:
    try:
        connection = _shared_cache()
        if connection is not None:
            connection.set(_shared_key(key), pickle.dumps(lines, protocol=pickle.HIGHEST_PROTOCOL), ex=SHARED_TTL)
    except RedisError:
        pass


def _compute_once(key: tuple, call: Call, scheme: scoring.Scheme, options: scoring.Options) -> list[_Line]:
    """Compute and share the lines; when another worker is already computing the same ones (a Redis lock), wait
    for its result (up to COMPUTE_WAIT seconds) rather than spend the same seconds of CPU beside it."""
    connection = None
    try:
        connection = _shared_cache()
        mine = connection is None or connection.set(
            _shared_key(key) + ":computing", os.getpid(), nx=True, ex=int(COMPUTE_WAIT) + 1
        )
    except RedisError:
        mine = True
    if not mine:
        deadline = time.monotonic() + COMPUTE_WAIT
        while time.monotonic() < deadline:
            time.sleep(0.05)
            lines = _shared_get(key)
            if lines is not None:
                return lines
    try:
        lines = _compute(call, scheme, options)
        _shared_put(key, lines)
        return lines
    finally:
        if connection is not None and mine:
            with contextlib.suppress(RedisError):
                connection.delete(_shared_key(key) + ":computing")


def _lines(call: Call, stored: EvaluationScheme, scheme: scoring.Scheme, options: scoring.Options) -> list[_Line]:
    """The computed lines, from a cache when nothing they depend on has changed since: this process's (a few
    rankings), then the one shared through Redis (when REDIS_URL is set), else computed and put in both."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.flush()  # so that the changes of this transaction are seen (and recorded below)
    if not current_app.config.get("RANKING_CACHE", True) or call.id in changed_calls(session):
        return _compute(call, scheme, options)  # this transaction changed the call: its own view
    key = _cache_key(call, stored, options)
    with _CACHE_LOCK:
        lines = _CACHE.get(key)
        if lines is not None:
            _CACHE.move_to_end(key)
            return lines
    lines = _shared_get(key)
    if lines is None:
        lines = _compute_once(key, call, scheme, options)
    with _CACHE_LOCK:
        _CACHE[key] = lines
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return lines


@jobs.job("ranking.warm")
def warm(call_id: int, stamp: int) -> None:
    """Background job after a change: compute the call's ranking under its default options, so that the next
    person to open it finds it ready. Skipped when a newer change has been committed since (its job follows)."""
    call = db.session.get(Call, call_id)
    if call is None or call.ranking_stamp != stamp:
        return
    with contextlib.suppress(RankingError):
        ranking_for_call(call, options_for_call(call), page=1)


def _prepare(call: Call, options: scoring.Options):
    """The call's scheme (stored and for scoring) and the options completed with its quota and expected counts."""
    try:
        stored = scheme_for_call(call)
        scheme = to_scoring(stored.definition)
    except (SchemeError, ValueError, KeyError, TypeError) as exc:
        raise RankingError(getattr(exc, "message", str(exc))) from exc
    expected = {"peer": call.program.experts_per_application, "unit": 1}
    options = replace(
        options,
        quota=call.total_quota,
        expected_per_component={k: v for k, v in expected.items() if k in scheme.components},
    )
    return stored, scheme, options


def ranking_lines(call: Call) -> list[_Line]:
    """The call's aggregate under its default options, best first (cached like the ranking page)."""
    stored, scheme, options = _prepare(call, options_for_call(call))
    return _lines(call, stored, scheme, options)


def ranking_for_call(call: Call, options: scoring.Options, *, page: int | None = None, per_page: int = 50) -> Ranking:
    """The call's applications in review, aggregated and ranked under `options` (quota from the call).

    With `page`, only that page's rows are loaded (per_page each); without, every row. The aggregate itself is
    computed once per change of the call's data (see `ranking_stamp`) and reused by later requests."""
    stored, scheme, options = _prepare(call, options)
    lines = _lines(call, stored, scheme, options)
    total = len(lines)
    if page is not None:
        page = min(max(1, page), max(1, math.ceil(total / per_page)))
        start = (page - 1) * per_page
        shown = list(enumerate(lines[start : start + per_page], start=start + 1))
    else:
        shown = list(enumerate(lines, start=1))
    applications = _applications([line.application_id for _position, line in shown])
    rows = [
        RankingRow(
            application=applications[line.application_id],
            position=position,
            rank=line.rank,
            final=line.final,
            component_scores=line.component_scores,
            n_evaluations=line.n_evaluations,
            std_dev=line.std_dev,
            flags=line.flags,
            unit_rank=line.unit_rank,
            integrity_cleared=line.integrity_cleared,
        )
        # An application deleted since the aggregate was computed is not shown.
        for position, line in shown
        if line.application_id in applications
    ]
    return Ranking(
        call=call,
        scheme=stored,
        options=options,
        rows=rows,
        disciplines=_disciplines(row.application.discipline_code for row in rows),
        total=total,
        page=page or 1,
        per_page=per_page if page is not None else None,
    )


def page_of(call: Call, options: scoring.Options, application_id: int, per_page: int) -> int:
    """The page of the ranking on which an application stands (1 when it is not ranked)."""
    try:
        stored, scheme, options = _prepare(call, options)
    except RankingError:
        return 1
    for index, line in enumerate(_lines(call, stored, scheme, options)):
        if line.application_id == application_id:
            return index // per_page + 1
    return 1


# ---------------------------------------------------------------- what changes a ranking


def changed_calls(session) -> set[int]:
    """Calls whose ranking data this session's transaction has changed (flushed) so far."""
    info = session.info
    apps = info.get("ranking_changed_apps")
    if apps:
        calls = set(session.execute(select(Application.call_id).where(Application.id.in_(apps))).scalars())
        info.setdefault("ranking_changed_calls", set()).update(calls)
        apps.clear()
    return info.get("ranking_changed_calls", set())


def mark_changed(session, *, call_ids=(), application_ids=()) -> None:
    """Note that this transaction changes the ranking of these calls (or of these applications' calls); their
    stamps are bumped when it commits. The ORM changes are noted by themselves; Core writes call this."""
    session.info.setdefault("ranking_changed_calls", set()).update(call_ids)
    session.info.setdefault("ranking_changed_apps", set()).update(application_ids)


def _was_or_is_in_review(application: Application) -> bool:
    history = inspect(application).attrs.state.history
    states = {application.state, *history.deleted}
    return bool(states & set(REVIEW_STATES))


def _note_changes(session, _flush_context) -> None:
    calls, apps = set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Application):
            if _was_or_is_in_review(obj):
                calls.add(obj.call_id)
        elif isinstance(obj, (Evaluation, Assignment, UnitReview)):
            if obj.application_id is not None:
                apps.add(obj.application_id)
        elif isinstance(obj, Call):
            changes = inspect(obj).attrs
            if any(changes[name].history.has_changes() for name in ("scheme_id", "total_quota", "aggregation")):
                calls.add(obj.id)
    if calls or apps:
        mark_changed(session, call_ids=calls - {None}, application_ids=apps)


def _bump_stamps(session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this event: flush now so that its changes are noted
    calls = sorted(changed_calls(session))
    _forget_changes(session)
    if not calls:
        return
    stamps = session.execute(
        update(Call)
        .where(Call.id.in_(calls))
        .values(ranking_stamp=Call.ranking_stamp + 1)
        .returning(Call.id, Call.ranking_stamp)
        .execution_options(synchronize_session=False)
    ).all()
    if has_app_context() and current_app.config.get("REDIS_URL") and not current_app.config.get("TESTING"):
        for call_id, stamp in stamps:  # a worker computes the new ranking before anyone asks for it
            after_commit(warm, call_id, stamp)


def _forget_changes(session) -> None:
    session.info.pop("ranking_changed_apps", None)
    session.info.pop("ranking_changed_calls", None)


#: The Session events that keep rankings fresh: what changed is noted at each flush, the calls' stamps are bumped in
#: the commit (so a cached ranking is recomputed), and a rollback forgets what it had noted.
LISTENERS = (("after_flush", _note_changes), ("before_commit", _bump_stamps), ("after_rollback", _forget_changes))


def register_listeners() -> None:
    """Listen to every Session for what changes a ranking (called by create_app; registering again is a no-op).

    Explicit rather than at import, so that a ranking's freshness never depends on who imported this module."""
    for name, listener in LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def save_options(call: Call, options: dict, actor) -> dict:
    """Store the options (their stored form, e.g. from the options form; missing ones take the defaults) as the
    call's default aggregation, with an audit entry; the caller commits."""
    try:
        after = scoring.Options.from_mapping(options).to_mapping()
    except ValueError as exc:
        raise RankingError(str(exc)) from None
    before = dict(call.aggregation or {})
    # A new dict, not an in-place update: plain JSON columns do not notice mutation.
    call.aggregation = after
    record("call.aggregation_saved", call, actor=actor, data={"before": before, "after": after})
    db.session.flush()
    return after
