"""A call's statistics count what is there, in a fixed number of queries (SPEC §8)."""

from datetime import date

from sqlalchemy import select

from portal.applications.models import Profile
from portal.stats.services import age_band, call_statistics
from tests.factories import call_of, submitted_application


def _people(db, make_user, rows):
    applications = []
    for name, gender, birth, unit in rows:
        application = submitted_application(db, make_user, name=name, unit_code=unit)
        profile = db.session.execute(select(Profile).where(Profile.user_id == application.applicant_id)).scalar_one()
        profile.gender, profile.birth_date = gender, birth
        applications.append(application)
    db.session.commit()
    return applications


def _zh(breakdown):
    return {zh: n for (zh, _en), n in breakdown.rows}


def _en(breakdown):
    return {en: n for (_zh, en), n in breakdown.rows}


def test_age_bands_at_the_cutoff_date():
    assert [age_band(a)[0] for a in (30, 35, 36, 40, 41, 55, 56, None)] == [
        "35 岁及以下",
        "35 岁及以下",
        "36–40 岁",
        "36–40 岁",
        "41–45 岁",
        "51–55 岁",
        "56 岁及以上",
        "未填写",
    ]
    assert age_band(38)[1] == "36-40"


def test_counts_by_state_unit_gender_and_age(demo, db, make_user, count_queries, monkeypatch):
    from portal.stats import services

    monkeypatch.setattr(services, "CACHE_SECONDS", 0)  # count afresh every time here
    call = call_of(db, "bairen")
    before = call_statistics(call)
    cutoff = call.cutoff_date
    _people(
        db,
        make_user,
        [
            ("甲", "female", date(cutoff.year - 30, 1, 1), "CAS-AMSS"),
            ("乙", "male", date(cutoff.year - 38, cutoff.month, cutoff.day), "CAS-AMSS"),  # 38 on the day
            ("丙", "female", None, "CAS-IOP"),
        ],
    )
    queries, stats = count_queries(lambda: call_statistics(call))
    assert stats.submitted == before.submitted + 3
    assert _zh(stats.by_state)["已提交"] == _zh(before.by_state).get("已提交", 0) + 3
    gender = _zh(stats.by_gender)
    assert gender["女"] == _zh(before.by_gender).get("女", 0) + 2
    ages = _zh(stats.by_age)
    assert ages["35 岁及以下"] >= 1 and ages["36–40 岁"] >= 1 and ages["未填写"] >= 1
    assert stats.by_unit.total == stats.submitted == stats.by_discipline.total == stats.by_age.total
    assert queries <= 14, queries

    # One count serves both languages: the page picks the label.
    assert "Female" in _en(stats.by_gender) and "36-40" in _en(stats.by_age)


def test_statistics_are_counted_once_a_minute(demo, db, make_user, count_queries):
    from portal.stats import services

    call = call_of(db, "bairen")
    services._cache.clear()
    first, stats = count_queries(lambda: call_statistics(call))
    again, cached = count_queries(lambda: call_statistics(call))
    assert first > 0 and again == 0
    assert cached.submitted == stats.submitted and cached.call is call and cached.counted_at == stats.counted_at
