"""The computed ranking is reused until something it is computed from changes (SPEC §9: pages at scale)."""

from sqlalchemy import select

from portal.applications.models import Application
from portal.database import commit, utcnow
from portal.reviews.evaluation.schemes import options_for_call
from portal.reviews.models import Evaluation
from portal.reviews.ranking.services import ranking_for_call
from tests.factories import AppealFactory, EvaluationFactory, UnitReviewFactory, build_hand_case, top_scores


def _finals(call):
    ranking = ranking_for_call(call, options_for_call(call))
    return {
        row.application.id: (row.rank, round(row.final, 2) if row.final is not None else None, row.flags, row.unit_rank)
        for row in ranking.rows
    }


def _evaluation(db, application_id, key):
    return db.session.execute(
        select(Evaluation).where(Evaluation.application_id == application_id, Evaluation.evaluator_key == key)
    ).scalar_one()


def test_a_second_request_reuses_the_computed_ranking(demo, db, count_queries):
    call, _ids = build_hand_case(demo)
    first, before = count_queries(lambda: _finals(call))
    second, after = count_queries(lambda: _finals(call))
    assert before == after
    assert second < first  # the evaluations are not read again


def test_every_change_the_ranking_depends_on_is_seen_after_its_commit(demo, db, make_user):
    call, ids = build_hand_case(demo)
    a, b, c = ids["A"], ids["B"], ids["C"]
    assert _finals(call)[a][1] == 73.00

    _evaluation(db, a, "user:9002").scores = top_scores(100)  # a score changes
    commit()
    assert _finals(call)[a][1] == 24 + 0.7 * 90

    # Built, not flushed: the commit itself must note what it writes.
    db.session.add(
        EvaluationFactory.build(
            application=db.session.get(Application, c), evaluator_key="user:9002", scores=top_scores(40)
        )
    )
    commit()  # a new evaluation
    assert _finals(call)[c][1] == round(24 + 0.7 * (70 + 85 + 40) / 3, 2)

    db.session.get(Application, b).integrity_flag = True  # an integrity flag
    commit()
    assert "integrity" in _finals(call)[b][2]

    reviewer = make_user("program_admin")
    db.session.add(
        UnitReviewFactory.build(application=db.session.get(Application, a), reviewer=reviewer, unit_rank=2)
    )  # the unit's ranking
    commit()
    assert _finals(call)[a][3] == 2

    db.session.get(Application, c).state = "withdrawn"  # leaves the review
    commit()
    assert c not in _finals(call)

    call.total_quota = 1  # the quota (part of the options)
    commit()
    ranking = ranking_for_call(call, options_for_call(call))
    assert ranking.quota_line_after == 1


def test_a_transaction_sees_its_own_changes_and_a_rollback_leaves_the_cache_right(demo, db):
    call, ids = build_hand_case(demo)
    a = ids["A"]
    before = _finals(call)[a]
    _evaluation(db, a, "user:9002").scores = top_scores(100)
    assert _finals(call)[a][1] == 24 + 0.7 * 90  # not committed yet: computed afresh, not cached
    db.session.rollback()
    assert _finals(call)[a] == before


def test_appeals_and_scheme_pins_bump_the_calls_stamp(demo, db):
    call, ids = build_hand_case(demo)
    stamp = call.ranking_stamp
    granted = utcnow()  # what granting an appeal does: the appeal is decided, a new review round begins
    AppealFactory(
        application=db.session.get(Application, ids["A"]), reason="复审申请", status="accepted", decided_at=granted
    )
    db.session.get(Application, ids["A"]).review_round_started_at = granted
    commit()
    assert call.ranking_stamp == stamp + 1
    db.session.get(Application, ids["A"]).title = "新题目"  # in review: shown in the ranking
    commit()
    assert call.ranking_stamp == stamp + 2


def test_workers_share_a_computed_ranking_through_redis(app, demo, db, count_queries):
    import pytest
    from redis import Redis

    from portal.reviews.ranking import services as ranking

    url = "redis://127.0.0.1:6379/8"
    try:
        Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except Exception:  # noqa: BLE001 - no Redis here
        pytest.skip("Redis is not reachable at " + url)
    call, ids = build_hand_case(demo)
    app.config["REDIS_URL"] = url
    try:
        ranking.warm(call.id, call.ranking_stamp)  # what the background job does after a change
        ranking._CACHE.clear()  # another worker: nothing in its memory
        cold, _ = count_queries(lambda: _finals(call))
        ranking._CACHE.clear()
        ranking.warm(call.id, call.ranking_stamp - 1)  # an outdated job does nothing
        app.config["REDIS_URL"] = ""
        ranking._CACHE.clear()
        computed, finals = count_queries(lambda: _finals(call))
    finally:
        app.config["REDIS_URL"] = ""
        Redis.from_url(url).flushdb()
    assert cold < computed  # read from Redis: the evaluations were not read again
    assert finals[ids["A"]][1] == 73.00


def test_a_worker_waits_for_another_computing_the_same_ranking(app, demo, db, count_queries):
    import threading

    import pytest
    from redis import Redis

    from portal.reviews.ranking import services as ranking

    url = "redis://127.0.0.1:6379/8"
    try:
        redis = Redis.from_url(url, socket_connect_timeout=1)
        redis.flushdb()
    except Exception:  # noqa: BLE001 - no Redis here
        pytest.skip("Redis is not reachable at " + url)
    call, ids = build_hand_case(demo)
    app.config["REDIS_URL"] = url
    try:
        ranking.warm(call.id, call.ranking_stamp)
        (key,) = [k for k in redis.keys("portal:ranking:*") if not k.endswith(b":computing")]
        computed = redis.get(key)
        redis.delete(key)
        redis.set(key + b":computing", "another worker", ex=30)  # someone else is computing it
        threading.Timer(0.3, lambda: redis.set(key, computed)).start()  # ... and shares it 0.3 s later
        ranking._CACHE.clear()
        waited, finals = count_queries(lambda: _finals(call))
        app.config["REDIS_URL"] = ""
        ranking._CACHE.clear()
        alone, _ = count_queries(lambda: _finals(call))
    finally:
        app.config["REDIS_URL"] = ""
        redis.flushdb()
    assert waited < alone  # it took the other worker's result instead of reading the evaluations
    assert finals[ids["A"]][1] == 73.00


def test_create_app_registers_the_ranking_listeners_once(app, demo, db):
    """The stamps follow changes because create_app registers the listeners, not because ranking.py was imported;
    registering again (a second app in the process) does not bump a stamp twice."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from portal.reviews.ranking import services as ranking

    for name, listener in ranking.LISTENERS:
        assert event.contains(Session, name, listener), name
    ranking.register_listeners()
    call, ids = build_hand_case(demo)
    stamp = call.ranking_stamp
    db.session.get(Application, ids["A"]).title = "新题目"
    commit()
    assert call.ranking_stamp == stamp + 1


def test_importing_the_ranking_registers_nothing():
    import subprocess
    import sys

    code = (
        "from sqlalchemy import event\nfrom sqlalchemy.orm import Session\nfrom portal.reviews.ranking import services as ranking\n"
        "print(any(event.contains(Session, n, f) for n, f in ranking.LISTENERS))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
