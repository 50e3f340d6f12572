"""A call's statistics (SPEC §8): applications by status, unit, discipline, gender and age band; evaluation progress;
the distribution of final scores. A fixed number of queries whatever the size of the call."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime


from sqlalchemy import case, func, select

from ..applications.models import Application, Profile
from ..applications.views import STATE_TEXT
from ..database import local_today, utcnow
from ..extensions import db
from ..programs.models import Call, Discipline, Unit
from ..reviews.models import Assignment, Evaluation
from ..reviews.reminders import OPEN_STATUSES

#: Upper bounds (inclusive) of the age bands at the call's cutoff date; the last band is open.
AGE_BANDS = (35, 40, 45, 50, 55)
#: Units shown one by one; the rest are summed up in one line.
TOP_UNITS = 15
ASSIGNMENT_STATUSES = ("invited", "accepted", "submitted", "declined", "withdrawn")


@dataclass
class Breakdown:
    """Counts under labels, largest first unless the order means something (states, bands)."""

    rows: list[tuple[str, int]] = field(default_factory=list)

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


def _pick(pair, english: bool) -> str:
    return pair[1] if english else pair[0]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_band(age: int | None, english: bool) -> str:
    if age is None:
        return "unknown" if english else "未填写"
    low = 0
    for high in AGE_BANDS:
        if age <= high:
            return (f"{low}-{high}" if low else f"≤ {high}") if english else (
                f"{low}–{high} 岁" if low else f"{high} 岁及以下")
        low = high + 1
    return f"≥ {low}" if english else f"{low} 岁及以上"


#: Seconds a worker reuses a call's statistics: they count tens of thousands of rows, and a minute old is fresh
#: enough for a chart (the page says when they were counted).
CACHE_SECONDS = 60
_cache: dict[tuple, tuple[float, "CallStatistics"]] = {}
_cache_lock = threading.Lock()


def call_statistics(call: Call, locale: str = "zh_CN") -> CallStatistics:
    """The call's statistics, counted at most once a minute per worker and language."""
    key = (db.engine.url.render_as_string(hide_password=True), call.id, call.created_at, locale)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return replace(hit[1], call=call)
    stats = _count(call, locale)
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = (now + CACHE_SECONDS, replace(stats, call=None))
    return stats


def _count(call: Call, locale: str) -> CallStatistics:
    english = locale.startswith("en")
    in_call = (Application.call_id == call.id) & (Application.state != "draft")

    states = dict(db.session.execute(select(Application.state, func.count()).where(in_call)
                                     .group_by(Application.state)).all())
    by_state = Breakdown([(_pick(STATE_TEXT[s], english), states[s]) for s in STATE_TEXT if states.get(s)])

    units = db.session.execute(
        select(Unit.name_zh, Unit.name_en, func.count()).join(Application, Application.unit_id == Unit.id)
        .where(in_call).group_by(Unit.id, Unit.name_zh, Unit.name_en).order_by(func.count().desc(), Unit.name_zh)).all()
    unit_rows = [((en if english and en else zh), n) for zh, en, n in units]
    if len(unit_rows) > TOP_UNITS + 1:
        rest = sum(n for _label, n in unit_rows[TOP_UNITS:])
        others = len(unit_rows) - TOP_UNITS
        unit_rows = unit_rows[:TOP_UNITS] + [(f"{others} other units" if english else f"其他 {others} 个单位", rest)]
    by_unit = Breakdown(unit_rows)

    codes = db.session.execute(select(Application.discipline_code, func.count()).where(in_call)
                               .group_by(Application.discipline_code)).all()
    disciplines = {d.code: d for d in db.session.execute(select(Discipline)).scalars()}
    first_level: dict[str, int] = {}
    for code, n in codes:
        discipline = disciplines.get(code or "")
        while discipline is not None and discipline.parent_code:
            discipline = disciplines.get(discipline.parent_code)
        key = discipline.code if discipline is not None else ""
        first_level[key] = first_level.get(key, 0) + n
    by_discipline = Breakdown(sorted(
        ((f"{key} {disciplines[key].name(locale)}" if key else ("not given" if english else "未填写"), n)
         for key, n in first_level.items()), key=lambda row: (-row[1], row[0])))

    # Gender and age band are counted by the database: a national call has tens of thousands of applicants.
    profile_join = (select(func.count()).select_from(Application)
                    .outerjoin(Profile, Profile.user_id == Application.applicant_id).where(in_call))
    gender_labels = {"female": ("女", "female"), "male": ("男", "male"), "": ("未填写", "not given")}
    genders: dict[str, int] = {}
    for gender, n in db.session.execute(profile_join.add_columns(Profile.gender).with_only_columns(
            Profile.gender, func.count()).group_by(Profile.gender)).all():
        label = _pick(gender_labels.get(gender or "", gender_labels[""]), english)
        genders[label] = genders.get(label, 0) + n
    by_gender = Breakdown(sorted(genders.items(), key=lambda row: -row[1]))

    # Age at the cutoff date <= high  <=>  born after the cutoff date (high + 1) years earlier.
    band = case(*[(Profile.birth_date > _years_before(call.cutoff_date, high + 1), index)
                  for index, high in enumerate(AGE_BANDS)],
                (Profile.birth_date.is_not(None), len(AGE_BANDS)), else_=len(AGE_BANDS) + 1)
    bands = dict(db.session.execute(profile_join.with_only_columns(band.label("band"), func.count())
                                    .group_by("band")).all())
    labels = [age_band(high, english) for high in AGE_BANDS] + [age_band(AGE_BANDS[-1] + 1, english),
                                                                age_band(None, english)]
    by_age = Breakdown([(label, bands[index]) for index, label in enumerate(labels) if bands.get(index)])

    statuses = dict(db.session.execute(
        select(Assignment.status, func.count()).join(Application, Application.id == Assignment.application_id)
        .where(Application.call_id == call.id).group_by(Assignment.status)).all())
    status_labels = {"invited": ("已邀请", "invited"), "accepted": ("已接受", "accepted"),
                     "submitted": ("已提交", "submitted"), "declined": ("已谢绝", "declined"),
                     "withdrawn": ("已撤回", "withdrawn")}
    assignments = Breakdown([(_pick(status_labels[s], english), statuses[s]) for s in ASSIGNMENT_STATUSES
                             if statuses.get(s)])
    overdue = db.session.execute(
        select(func.count()).select_from(Assignment).join(Application, Application.id == Assignment.application_id)
        .where(Application.call_id == call.id, Assignment.status.in_(OPEN_STATUSES),
               Assignment.due_date < local_today())).scalar_one()
    evaluations = db.session.execute(
        select(func.count()).select_from(Evaluation).join(Application, Application.id == Evaluation.application_id)
        .where(Application.call_id == call.id, Evaluation.status == "submitted")).scalar_one()

    scores = [(f"{10 * i}–{10 * i + 9}" if i < 9 else "90–100", 0) for i in range(10)]
    try:
        from ..reviews.ranking import RankingError, ranking_lines

        finals = [line.final for line in ranking_lines(call) if line.final is not None]
    except RankingError:
        finals = []
    for final in finals:
        index = min(9, int(final // 10))
        label, n = scores[index]
        scores[index] = (label, n + 1)
    return CallStatistics(call, sum(states.values()), by_state, by_unit, by_discipline, by_gender, by_age,
                          assignments, overdue, evaluations, Breakdown(scores if finals else []), len(finals),
                          counted_at=utcnow())
