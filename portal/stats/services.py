"""A call's statistics (SPEC §8): applications by status, unit, discipline, gender and age band; evaluation progress;
the distribution of final scores. A fixed number of queries whatever the size of the call.

Labels are (zh, en) pairs, picked by the page in the reader's language, so one count serves both languages."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import case, func, select

from ..applications.models import Application, Profile
from ..applications.workflow import STATE_LABELS, State
from ..database import local_today, utcnow
from ..extensions import db
from ..programs.models import Call, Discipline, Unit
from ..reviews.assignment.lifecycle import OPEN as OPEN_ASSIGNMENTS
from ..reviews.assignment.lifecycle import STATUS_LABELS as ASSIGNMENT_STATUS_LABELS
from ..reviews.assignment.pool import first_levels
from ..reviews.models import Assignment, Evaluation, EvaluationStatus
from ..reviews.ranking.services import RankingError, ranking_lines

Label = tuple[str, str]  # (zh, en)

#: Upper bounds (inclusive) of the age bands at the call's cutoff date; the last band is open.
AGE_BANDS = (35, 40, 45, 50, 55)
#: Units shown one by one; the rest are summed up in one line.
TOP_UNITS = 15
GENDER_LABELS = {"female": ("女", "Female"), "male": ("男", "Male"), "": ("未填写", "Not given")}
NOT_GIVEN: Label = ("未填写", "Not given")


@dataclass
class Breakdown:
    """Counts under labels, largest first unless the order means something (states, bands)."""

    rows: list[tuple[Label, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(n for _label, n in self.rows)

    @property
    def largest(self) -> int:
        return max((n for _label, n in self.rows), default=0)


@dataclass
class CallStatistics:
    call: Call
    submitted: int  # applications past the applicant's draft
    by_state: Breakdown
    by_unit: Breakdown
    by_discipline: Breakdown
    by_gender: Breakdown
    by_age: Breakdown
    assignments: Breakdown
    overdue: int
    evaluations_submitted: int
    scores: Breakdown  # final scores in bands of 10 points
    scored: int
    counted_at: datetime | None = None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_band(age: int | None) -> Label:
    """The band of an age at the cutoff date, e.g. ("36–40 岁", "36-40")."""
    if age is None:
        return NOT_GIVEN
    low = 0
    for high in AGE_BANDS:
        if age <= high:
            return (f"{low}–{high} 岁", f"{low}-{high}") if low else (f"{high} 岁及以下", f"≤ {high}")
        low = high + 1
    return f"{low} 岁及以上", f"≥ {low}"


#: Seconds a worker reuses a call's statistics: they count tens of thousands of rows, and a minute old is fresh
#: enough for a chart (the page says when they were counted).
CACHE_SECONDS = 60
_cache: dict[tuple, tuple[float, CallStatistics]] = {}
_cache_lock = threading.Lock()


def call_statistics(call: Call) -> CallStatistics:
    """The call's statistics, counted at most once a minute per worker."""
    key = (db.engine.url.render_as_string(hide_password=True), call.id, call.created_at)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return replace(hit[1], call=call)
    stats = _count(call)
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = (now + CACHE_SECONDS, replace(stats, call=None))
    return stats


def _count(call: Call) -> CallStatistics:
    in_call = (Application.call_id == call.id) & (Application.state != State.DRAFT)

    states = dict(
        db.session.execute(select(Application.state, func.count()).where(in_call).group_by(Application.state)).all()
    )
    by_state = Breakdown([(STATE_LABELS[state], states[state.value]) for state in State if states.get(state.value)])

    units = db.session.execute(
        select(Unit.name_zh, Unit.name_en, func.count())
        .join(Application, Application.unit_id == Unit.id)
        .where(in_call)
        .group_by(Unit.id, Unit.name_zh, Unit.name_en)
        .order_by(func.count().desc(), Unit.name_zh)
    ).all()
    unit_rows = [((zh, en or zh), n) for zh, en, n in units]
    if len(unit_rows) > TOP_UNITS + 1:
        others = len(unit_rows) - TOP_UNITS
        unit_rows = unit_rows[:TOP_UNITS] + [
            ((f"其他 {others} 个单位", f"{others} other units"), sum(n for _label, n in unit_rows[TOP_UNITS:]))
        ]
    by_unit = Breakdown(unit_rows)

    levels = first_levels()
    first: dict[str, int] = {}
    for code, n in db.session.execute(
        select(Application.discipline_code, func.count()).where(in_call).group_by(Application.discipline_code)
    ).all():
        key = levels.get(code or "", "")
        first[key] = first.get(key, 0) + n
    names = {
        d.code: d for d in db.session.execute(select(Discipline).where(Discipline.code.in_(list(first)))).scalars()
    }
    by_discipline = Breakdown(
        sorted(
            (
                (
                    (f"{key} {names[key].name_zh}", f"{key} {names[key].name_en or names[key].name_zh}")
                    if key in names
                    else NOT_GIVEN,
                    n,
                )
                for key, n in first.items()
            ),
            key=lambda row: (-row[1], row[0]),
        )
    )

    # Gender and age band are counted by the database: a national call has tens of thousands of applicants.
    with_profile = (
        select(func.count())
        .select_from(Application)
        .outerjoin(Profile, Profile.user_id == Application.applicant_id)
        .where(in_call)
    )
    genders: dict[Label, int] = {}
    for gender, n in db.session.execute(
        with_profile.with_only_columns(Profile.gender, func.count()).group_by(Profile.gender)
    ).all():
        label = GENDER_LABELS.get(gender or "", NOT_GIVEN)
        genders[label] = genders.get(label, 0) + n
    by_gender = Breakdown(sorted(genders.items(), key=lambda row: -row[1]))

    # Age at the cutoff date <= high  <=>  born after the cutoff date (high + 1) years earlier.
    band = case(
        *[
            (Profile.birth_date > _years_before(call.cutoff_date, high + 1), index)
            for index, high in enumerate(AGE_BANDS)
        ],
        (Profile.birth_date.is_not(None), len(AGE_BANDS)),
        else_=len(AGE_BANDS) + 1,
    )
    bands = dict(
        db.session.execute(with_profile.with_only_columns(band.label("band"), func.count()).group_by("band")).all()
    )
    labels = [age_band(high) for high in AGE_BANDS] + [age_band(AGE_BANDS[-1] + 1), age_band(None)]
    by_age = Breakdown([(label, bands[index]) for index, label in enumerate(labels) if bands.get(index)])

    in_call_assignments = (
        select(func.count())
        .select_from(Assignment)
        .join(Application, Application.id == Assignment.application_id)
        .where(Application.call_id == call.id)
    )
    statuses = dict(
        db.session.execute(
            in_call_assignments.with_only_columns(Assignment.status, func.count()).group_by(Assignment.status)
        ).all()
    )
    assignments = Breakdown(
        [(label, statuses[status]) for status, label in ASSIGNMENT_STATUS_LABELS.items() if statuses.get(status)]
    )
    overdue = db.session.execute(
        in_call_assignments.where(Assignment.status.in_(OPEN_ASSIGNMENTS), Assignment.due_date < local_today())
    ).scalar_one()
    evaluations = db.session.execute(
        select(func.count())
        .select_from(Evaluation)
        .join(Application, Application.id == Evaluation.application_id)
        .where(Application.call_id == call.id, Evaluation.status == EvaluationStatus.SUBMITTED)
    ).scalar_one()

    try:
        finals = [line.final for line in ranking_lines(call) if line.final is not None]
    except RankingError:
        finals = []
    bins = [0] * 10
    for final in finals:
        bins[min(9, int(final // 10))] += 1
    scores = []
    for i, n in enumerate(bins):
        label = f"{10 * i}–{10 * i + 9}" if i < 9 else "90–100"
        scores.append(((label, label), n))
    return CallStatistics(
        call,
        sum(states.values()),
        by_state,
        by_unit,
        by_discipline,
        by_gender,
        by_age,
        assignments,
        overdue,
        evaluations,
        Breakdown(scores if finals else []),
        len(finals),
        counted_at=utcnow(),
    )
