"""Background jobs: RQ on Redis when REDIS_URL is set, in-process otherwise.

A job is a function registered under a stable name, which is what the queue carries (with the arguments)::

    @job("letters.run_batch")
    def run_batch(job_id: int) -> None: ...

    enqueue(run_batch, job_id)              # now (no Redis) or on a worker
    database.after_commit(run_batch, job_id)  # once the transaction has committed

The name stays when the function moves to another module. A worker runs only registered names: a name nothing
registered (a job queued by an older release, a typo) is refused with :class:`UnknownJob` instead of importing
whatever a dotted path in Redis says. Workers run the jobs in the application given to :func:`use_app` (``flask jobs
worker`` gives its own), else in one made by the factory given to :func:`configure` (create_app gives itself).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app

QUEUE = "portal"

_registry: dict[str, Callable[..., Any]] = {}
_worker_app = None
_app_factory: Callable[[], Any] | None = None


class UnknownJob(LookupError):
    """A job name that no function is registered under."""


def job(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the job `name` (returned unchanged, with `job_name` set)."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        known = _registry.get(name)
        if known is not None and (known.__module__, known.__qualname__) != (func.__module__, func.__qualname__):
            raise ValueError(f"job name {name!r} is already taken by {known.__module__}.{known.__qualname__}")
        _registry[name] = func
        func.job_name = name  # type: ignore[attr-defined]
        return func

    return register


def registered() -> dict[str, Callable[..., Any]]:
    """The registered jobs by name."""
    return dict(_registry)


def name_of(func: Callable[..., Any]) -> str:
    """The name `func` is registered under; TypeError if it is not a registered job."""
    name = getattr(func, "job_name", None)
    if name is None or name not in _registry:
        what = getattr(func, "__qualname__", func)
        raise TypeError(f"{what!r} is not a job: register it with @portal.jobs.job(name)")
    return name


def lookup(name: str) -> Callable[..., Any]:
    """The job registered under `name`; UnknownJob if there is none."""
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry))
        raise UnknownJob(f"no job is registered under the name {name!r} (known: {known})") from None


def configure(factory: Callable[[], Any]) -> None:
    """The application factory a worker uses when no application was given to `use_app` (create_app gives itself)."""
    global _app_factory
    _app_factory = factory


def use_app(app) -> None:
    """Run the jobs of this process in `app` (a worker started by `flask jobs worker` has one)."""
    global _worker_app
    _worker_app = app


def run_job(name: str, *args, **kwargs):
    """Entry point executed by RQ workers: run the registered job `name` inside the worker's application."""
    global _worker_app
    if _worker_app is None:  # one app per worker process, not per job
        if _app_factory is None:
            raise RuntimeError("jobs have no application: start workers with `flask jobs worker`")
        _worker_app = _app_factory()
    with _worker_app.app_context():
        return lookup(name)(*args, **kwargs)


@functools.lru_cache(maxsize=8)
def redis_connection(url: str):
    """One Redis client (and its connection pool) per URL and process, shared by the queue and the caches."""
    from redis import Redis

    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def enqueue(func: Callable[..., Any], *args, **kwargs):
    """Run the job `func(*args)` in the background (RQ) or right away when no Redis is configured."""
    name = name_of(func)
    url = current_app.config.get("REDIS_URL")
    if not url:
        return func(*args, **kwargs)
    from rq import Queue

    queue = Queue(QUEUE, connection=redis_connection(url))
    return queue.enqueue(run_job, name, *args, **kwargs)
