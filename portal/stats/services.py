"""A call's statistics (SPEC §8): applications by status, unit, discipline, gender and age band; evaluation progress;
the distribution of final scores. A fixed number of queries whatever the size of the call."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from ..applications.models import Application, Profile
from ..applications.views import STATE_TEXT
from ..extensions import db
from ..programs.models import Call, Discipline, Unit
from ..reviews.models import Assignment, Evaluation
from ..reviews.reminders import OPEN_STATUSES, today

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


def _pick(pair, english: bool) -> str:
    return pair[1] if english else pair[0]


def _age(birth: date | None, cutoff: date) -> int | None:
    if birth is None:
        return None
    return cutoff.year - birth.year - ((cutoff.month, cutoff.day) < (birth.month, birth.day))


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


def call_statistics(call: Call, locale: str = "zh_CN") -> CallStatistics:
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

    people = db.session.execute(select(Profile.gender, Profile.birth_date).select_from(Application)
                                .outerjoin(Profile, Profile.user_id == Application.applicant_id).where(in_call)).all()
    gender_labels = {"female": ("女", "female"), "male": ("男", "male"), "": ("未填写", "not given")}
    genders: dict[str, int] = {}
    bands: dict[str, int] = {}
    order = [age_band(high, english) for high in AGE_BANDS] + [age_band(AGE_BANDS[-1] + 1, english),
                                                               age_band(None, english)]
    for gender, birth in people:
        label = _pick(gender_labels.get(gender or "", gender_labels[""]), english)
        genders[label] = genders.get(label, 0) + 1
        band = age_band(_age(birth, call.cutoff_date), english)
        bands[band] = bands.get(band, 0) + 1
    by_gender = Breakdown(sorted(genders.items(), key=lambda row: -row[1]))
    by_age = Breakdown([(band, bands[band]) for band in order if bands.get(band)])

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
               Assignment.due_date < today())).scalar_one()
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
                          assignments, overdue, evaluations, Breakdown(scores if finals else []), len(finals))
