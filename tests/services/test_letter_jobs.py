"""Letter batches as background jobs: chunks shared by workers, atomic progress, one finisher (SPEC §6.4)."""
import pytest
from sqlalchemy import select

from portal.letters import services
from portal.letters.models import Letter, LetterJob
from tests.conftest import make_app, reset_schema, scratch_database
from tests.factories import submitted_application

REDIS_URL = "redis://127.0.0.1:6379/7"


def _awarded(db, make_user, count):
    applications = []
    for i in range(count):
        application = submitted_application(db, make_user, name=f"批量{i}")
        application.state = "awarded"
        db.session.commit()
        applications.append(application)
    return applications


def test_in_process_batch_runs_its_chunks_with_correct_counts(db, make_user):
    from portal.seed import load_demo

    load_demo()
    applications = _awarded(db, make_user, 5)
    admin = make_user("program_admin", name="陈静")
    job = services.start_batch(applications[0].call, admin)
    db.session.commit()
    services.run_batch(job.id, chunk_size=2)  # 3 chunks, run one after another here
    job = db.session.get(LetterJob, job.id)
    db.session.refresh(job)
    assert (job.status, job.total, job.done, job.failed) == ("done", 5, 5, 0)
    assert job.finished_at is not None
    serials = sorted(db.session.execute(select(Letter.serial_no)).scalars())
    assert serials == list(range(1, 6))
    services.run_batch_chunk(job.id, [a.id for a in applications])  # a finished job does nothing
    assert len(db.session.execute(select(Letter)).scalars().all()) == 5


def _redis():
    try:
        from redis import Redis

        connection = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        connection.ping()
        return connection
    except Exception:  # noqa: BLE001 - no Redis here: skipped below
        return None


def test_batch_through_rq_completes_with_consecutive_serials(app):
    connection = _redis()
    if connection is None:
        pytest.skip("Redis is not reachable at " + REDIS_URL)
    connection.flushdb()
    from rq import Queue, SimpleWorker

    from portal import jobs
    from portal.accounts.services import create_user
    from portal.extensions import db
    from portal.seed import load_demo

    url, drop = scratch_database(app)
    job_app = make_app(DATABASE_URL=url, REDIS_URL=REDIS_URL, LETTER_BATCH_CHUNK=2)
    reset_schema(job_app)
    previous = jobs._worker_app
    try:
        with job_app.app_context():
            load_demo()
            counter = {"n": 0}

            def make_user(*roles, name="测试用户", **_kwargs):
                counter["n"] += 1
                user = create_user(f"rq{counter['n']}@example.cn", name, "a-long-password",
                                   [(r, None) for r in roles], actor="test")
                db.session.commit()
                return user

            applications = _awarded(db, make_user, 6)
            admin = make_user("program_admin", name="陈静")
            job = services.start_batch(applications[0].call, admin)
            db.session.commit()
            job_id = job.id
            from portal.database import after_commit, commit

            after_commit("portal.letters.services.run_batch", job_id)
            commit()  # enqueues run_batch on Redis; nothing runs yet
            assert db.session.get(LetterJob, job_id).status == "queued"

        queue = Queue(jobs.QUEUE, connection=connection)
        assert queue.count == 1
        jobs.use_app(job_app)
        SimpleWorker([queue], connection=connection).work(burst=True)  # run_batch, then its 3 chunks

        with job_app.app_context():
            job = db.session.get(LetterJob, job_id)
            assert (job.status, job.total, job.done, job.failed) == ("done", 6, 6, 0), job.error
            serials = sorted(db.session.execute(select(Letter.serial_no)).scalars())
            assert serials == list(range(1, 7))
            db.engine.dispose()
    finally:
        jobs._worker_app = previous
        connection.flushdb()
        drop()


def test_batch_reserves_consecutive_serials_and_blocks_single_issues_meanwhile(db, make_user):
    """A batch numbers its letters up front (one short lock); a single issue waits for the batch to end."""
    from portal.seed import load_demo

    load_demo()
    applications = _awarded(db, make_user, 4)
    admin = make_user("program_admin", name="陈静")
    job = services.start_batch(applications[0].call, admin)
    db.session.commit()
    with pytest.raises(services.LetterError):
        services.start_batch(applications[0].call, admin)
    with pytest.raises(services.LetterError):
        services.issue_letter(applications[0], admin)
    services.run_batch(job.id, chunk_size=3)
    assert db.session.get(LetterJob, job.id).status == "done"
    serials = sorted(db.session.execute(select(Letter.serial_no)).scalars())
    assert serials == [1, 2, 3, 4]
    again = services.issue_letter(applications[0], admin)  # re-issue after the batch: the next number
    assert again.serial_no == 5
