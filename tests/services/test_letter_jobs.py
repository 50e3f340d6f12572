"""Letter batches as background jobs: chunks shared by workers, atomic progress, one finisher (SPEC §6.4)."""

import pytest
from sqlalchemy import select

from portal.database import local_today
from portal.letters import services
from portal.letters.models import Letter, LetterJob
from tests.conftest import make_app, reset_schema, scratch_database
from tests.factories import submitted_application

REDIS_URL = "redis://127.0.0.1:6379/7"


def _awarded(db, make_user, count):
    return [submitted_application(db, make_user, name=f"批量{i}", state="awarded") for i in range(count)]


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
    services.run_batch_chunk(job.id, [[a.id, 1] for a in applications])  # a finished job does nothing
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
                user = create_user(
                    f"rq{counter['n']}@example.cn", name, "a-long-password", [(r, None) for r in roles], actor="test"
                )
                db.session.commit()
                return user

            applications = _awarded(db, make_user, 6)
            admin = make_user("program_admin", name="陈静")
            job = services.start_batch(applications[0].call, admin)
            db.session.commit()
            job_id = job.id
            from portal.database import after_commit, commit

            after_commit(services.run_batch, job_id)
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
            db.session.remove()  # give its connection back first: dispose() closes only the pooled ones
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


def _running_batch(db, make_user, count):
    from portal.seed import load_demo

    load_demo()
    applications = _awarded(db, make_user, count)
    admin = make_user("program_admin", name="陈静")
    job = services.start_batch(applications[0].call, admin)
    db.session.commit()
    first = services.reserve_serials(applications[0].call.program_id, local_today().year, count)
    job.status, job.total = "running", count
    db.session.commit()
    return job, [[a.id, first + i] for i, a in enumerate(applications)]


def test_a_chunk_loads_its_rows_once_and_writes_each_letter_in_a_few_statements(db, make_user, count_queries):
    """Statements of a chunk: a constant for loading (and delivering) plus 7 per letter (document, letter,
    email, audit lock + chain head + entry, progress), and here 2 for the test's savepoint per commit."""
    job, items = _running_batch(db, make_user, 9)
    services.warm_up_renderer()
    small, _ = count_queries(lambda: services.run_batch_chunk(job.id, items[:3]))
    large, _ = count_queries(lambda: services.run_batch_chunk(job.id, items[3:]))
    per_letter = (large - small) / 3
    assert per_letter < 10, (small, large)  # ~23 before the chunk loaded its rows once
    assert small <= 3 * 9 + 20, small
    job = db.session.get(LetterJob, job.id)
    db.session.refresh(job)
    assert (job.status, job.done, job.failed) == ("done", 9, 0)


def test_a_batch_replaces_a_letter_whose_outcome_changed(db, make_user):
    """A waitlisted candidate who is awarded later gets a new letter (version 2); the old one is revoked."""
    from portal.audit.models import AuditEntry

    job, items = _running_batch(db, make_user, 2)
    services.run_batch_chunk(job.id, items)
    application = db.session.get(services.Application, items[0][0])
    old = services.valid_letter(application.id)
    assert old.outcome == "approved"
    application.state = "waitlisted"
    db.session.commit()
    admin = db.session.get(services.User, job.created_by_id)
    second = services.start_batch(application.call, admin)
    db.session.commit()
    assert second.total == 1
    services.run_batch(second.id)
    db.session.refresh(old)
    new = services.valid_letter(application.id)
    assert (new.outcome, new.version, new.serial_no) == ("waitlisted", 2, 3)
    assert (old.status, old.replaced_by_id) == ("revoked", new.id)
    actions = (
        db.session.execute(
            select(AuditEntry.action).where(AuditEntry.object_type == "Letter", AuditEntry.object_id == str(old.id))
        )
        .scalars()
        .all()
    )
    assert actions == ["letter.issued", "letter.revoked"]
    assert db.session.get(LetterJob, second.id).status == "done"


def test_a_chunk_delivers_its_emails_together_once_every_letter_is_stored(db, make_user, monkeypatch):
    from portal.notifications import services as mail

    delivered = []
    real = mail.deliver_many
    monkeypatch.setattr(mail, "deliver_many", lambda ids: delivered.append(list(ids)) or real(ids))
    job, items = _running_batch(db, make_user, 4)
    services.run_batch_chunk(job.id, items)
    assert len(delivered) == 1 and len(delivered[0]) == 4
    statuses = (
        db.session.execute(select(mail.OutboxMessage.status).where(mail.OutboxMessage.id.in_(delivered[0])))
        .scalars()
        .all()
    )
    assert statuses == ["logged"] * 4
