"""Jobs are registered functions: enqueued and run by name, and a worker runs nothing else."""

from __future__ import annotations

import pytest

from portal import jobs
from portal.applications.services import generate_book
from portal.database import after_commit, commit, rollback
from portal.letters.services import run_batch, run_batch_chunk
from portal.notifications.services import deliver_many
from portal.reviews.ranking.services import warm

JOBS = {
    "applications.generate_book": generate_book,
    "letters.run_batch": run_batch,
    "letters.run_batch_chunk": run_batch_chunk,
    "notifications.deliver_many": deliver_many,
    "ranking.warm": warm,
}


@pytest.fixture(autouse=True)
def _registry():
    """The jobs a test registers are forgotten after it."""
    before = dict(jobs._registry)
    yield
    jobs._registry.clear()
    jobs._registry.update(before)


def test_the_apps_jobs_are_registered_under_their_names(app):
    registered = jobs.registered()
    for name, func in JOBS.items():
        assert registered[name] is func
        assert jobs.name_of(func) == name


def test_a_worker_runs_a_registered_job_in_its_app_by_name(app):
    calls = []

    @jobs.job("tests.record")
    def record(*args):
        calls.append((args, jobs._worker_app is app))
        return len(calls)

    previous = jobs._worker_app
    jobs.use_app(app)
    try:
        assert jobs.run_job("tests.record", 1, "two") == 1
    finally:
        jobs._worker_app = previous
    assert calls == [((1, "two"), True)]


def test_a_worker_refuses_a_name_nothing_registered(app):
    previous = jobs._worker_app
    jobs.use_app(app)
    try:
        with pytest.raises(jobs.UnknownJob, match="'portal.letters.services.run_batch'"):
            jobs.run_job("portal.letters.services.run_batch", 1)  # the dotted path of old is no name
    finally:
        jobs._worker_app = previous


def test_a_worker_without_an_app_makes_one_with_the_configured_factory(app):
    made = []
    previous_app, previous_factory = jobs._worker_app, jobs._app_factory

    @jobs.job("tests.app_name")
    def app_name():
        from flask import current_app

        return current_app.name

    def factory():
        made.append(app)
        return app

    jobs._worker_app = None
    jobs.configure(factory)
    try:
        assert jobs.run_job("tests.app_name") == app.name
        assert jobs.run_job("tests.app_name") == app.name
    finally:
        jobs._worker_app, jobs._app_factory = previous_app, previous_factory
    assert made == [app]  # one app per worker process, not per job


def test_create_app_configures_the_factory(app):
    from portal import create_app

    assert jobs._app_factory is create_app


def test_enqueue_and_after_commit_take_registered_functions_only(db):
    def not_a_job():
        pass

    with pytest.raises(TypeError, match="not a job"):
        jobs.enqueue(not_a_job)
    with pytest.raises(TypeError, match="not a job"):
        after_commit(not_a_job)
    with pytest.raises(TypeError, match="not a job"):
        after_commit("portal.letters.services.run_batch", 1)


def test_after_commit_runs_the_job_after_the_commit_and_never_after_a_rollback(db):
    ran = []

    @jobs.job("tests.after_commit")
    def note(value):
        ran.append(value)

    after_commit(note, "rolled back")
    rollback()
    after_commit(note, "committed")
    assert ran == []
    commit()  # no REDIS_URL in the tests: the job runs right after the commit, in this process
    assert ran == ["committed"]


def test_a_name_is_taken_once():
    @jobs.job("tests.taken")
    def first():
        pass

    with pytest.raises(ValueError, match="already taken"):

        @jobs.job("tests.taken")
        def second():
            pass
