"""Background jobs: RQ on Redis when REDIS_URL is set, in-process otherwise."""
from __future__ import annotations

import functools
import importlib

from flask import current_app


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


QUEUE = "portal"

_worker_app = None


def use_app(app) -> None:
    """Run the jobs of this process in `app` (a worker started by `flask jobs worker` has one)."""
    global _worker_app
    _worker_app = app


def run_job(path: str, *args, **kwargs):
    """Entry point executed by RQ workers: run the function inside an application context."""
    global _worker_app
    if _worker_app is None:  # one app per worker process, not per job
        from .. import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        return _resolve(path)(*args, **kwargs)


@functools.lru_cache(maxsize=8)
def redis_connection(url: str):
    """One Redis client (and its connection pool) per URL and process, shared by the queue and the caches."""
    from redis import Redis

    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def enqueue(path: str, *args, **kwargs):
    """Run `path(*args)` in the background (RQ) or right away when no Redis is configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return _resolve(path)(*args, **kwargs)
    from rq import Queue

    queue = Queue(QUEUE, connection=redis_connection(url))
    return queue.enqueue(run_job, path, *args, **kwargs)
