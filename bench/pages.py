"""Benchmark: list and ranking pages at national scale (SPEC §9).

    .venv/bin/python bench/pages.py [--database-url postgresql://postgres@127.0.0.1:5432/bench_pages]
        [--apps 20000] [--users 8] [--workers 2] [--rounds 25] [--write-docs]

A scratch PostgreSQL database (its name must start with "bench"; dropped and created again) gets one
call with 20,000 applications under review, 3,000 experts, 5 submitted evaluations per application
(100,000) and a program admin, a unit admin and an expert who can log in. The portal is served by
gunicorn (2 workers, production settings) and 8 simulated users, each logged in with its own session,
request the list and ranking pages in turn. Prints, per page, the SQL statements it issues (counted
in-process, at 20,000 applications and at 200, to show the number does not grow) and its latency
over HTTP: `page: p50 X ms, p95 X ms`. Target: <= 100 ms p95 at 8 concurrent users on 2 workers.
"""

from __future__ import annotations

import argparse
import datetime
import http.cookiejar
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdocs import fresh_postgresql, machine, paragraph, replace_section  # noqa: E402

PASSWORD = "bench-password-2026"
ADMIN, UNIT_ADMIN, EXPERT = "program@bench.example.cn", "unit@bench.example.cn", "expert@bench.example.cn"


def build(url: str, apps: int, experts: int, k: int, seed: int) -> dict:
    """Migrate the scratch database and fill it; returns the call id and the logins' facts."""
    import assign
    from sqlalchemy import insert, select, update

    from portal.accounts.models import User
    from portal.accounts.services import create_user
    from portal.applications.models import Application
    from portal.extensions import db
    from portal.programs.models import Call, Program
    from portal.reviews.evaluation.schemes import LEADING, seed_schemes
    from portal.reviews.models import Assignment, Evaluation

    fresh_postgresql(url)
    tmp = tempfile.mkdtemp(prefix="bench-pages-")
    app = assign.create_database(url, tmp)
    rng = random.Random(seed)
    with app.app_context():
        problem = assign.generate(apps=apps, experts=experts, units=max(30, apps // 60), roots=30, k=k, seed=seed)
        ids = assign.fill_database(problem, k)
        call_id = ids["call_id"]
        seed_schemes()
        db.session.commit()
        call = db.session.get(Call, call_id)
        db.session.execute(update(Program).where(Program.id == call.program_id).values(category="leading"))
        from portal.reviews.evaluation.schemes import fix_scheme

        fix_scheme(call)
        db.session.commit()

        # k distinct experts of the application's first-level discipline, each with a submitted evaluation.
        by_first = {}
        for expert in problem.experts:
            for first in sorted({first for first, _second in expert.disciplines}):
                by_first.setdefault(first, []).append(expert.id)
        now = datetime.datetime.now(datetime.UTC)
        rows = []
        for a in problem.applications:
            pool = by_first.get(a.discipline[0]) or [e.id for e in problem.experts]
            for expert in rng.sample(pool, min(k, len(pool))):
                rows.append(
                    {
                        "application_id": ids["app"][a.id],
                        "kind": "expert",
                        "expert_id": ids["expert"][expert],
                        "status": "submitted",
                        "due_date": ids["due"],
                        "invited_at": now - datetime.timedelta(days=20),
                        "responded_at": now - datetime.timedelta(days=19),
                        "method": "auto",
                        "created_by_id": ids["admin_id"],
                        "no_conflict_statement": "本人承诺无利益冲突",
                        "decline_reason": "",
                        "external_name": "",
                    }
                )
        db.session.execute(insert(Assignment), rows)
        db.session.commit()
        assignments = db.session.execute(
            select(Assignment.id, Assignment.application_id, Assignment.expert_id).where(Assignment.kind == "expert")
        ).all()
        criteria = list(LEADING)
        evaluations = []
        for assignment_id, application_id, expert_id in assignments:
            base = rng.gauss(75, 8)
            evaluations.append(
                {
                    "application_id": application_id,
                    "assignment_id": assignment_id,
                    "evaluator_key": f"user:{expert_id}",
                    "component": "peer",
                    "scores": {c: max(0, min(100, round(base + rng.gauss(0, 5)))) for c in criteria},
                    "familiarity": rng.choice(("familiar", "somewhat", "unfamiliar")),
                    "recommendation": rng.choice(("priority", "support", "support", "oppose")),
                    "comment_for_applicant": "研究基础扎实，建议进一步凝练科学问题。",
                    "comment_confidential": "",
                    "integrity_ok": True,
                    "integrity_note": "",
                    "status": "submitted",
                    "submitted_at": now - datetime.timedelta(days=rng.randint(1, 15)),
                    "updated_at": now,
                }
            )
        for start in range(0, len(evaluations), 20_000):
            db.session.execute(insert(Evaluation), evaluations[start : start + 20_000])
        db.session.commit()
        n_evaluations = len(evaluations)
        del rows, evaluations, assignments

        # Logins: the program admin, the admin of the unit with most applications, a busy expert.
        create_user(ADMIN, "陈静", PASSWORD, [("program_admin", None)], actor="bench")
        unit_id = db.session.execute(
            select(Application.unit_id)
            .where(Application.call_id == call_id)
            .group_by(Application.unit_id)
            .order_by(db.func.count().desc())
            .limit(1)
        ).scalar()
        create_user(UNIT_ADMIN, "王芳", PASSWORD, [("unit_admin", unit_id)], actor="bench")
        busiest = db.session.execute(
            select(Assignment.expert_id).group_by(Assignment.expert_id).order_by(db.func.count().desc()).limit(1)
        ).scalar()
        from portal.accounts.models import UserRole
        from portal.accounts.services import hash_password

        db.session.execute(
            update(User).where(User.id == busiest).values(email=EXPERT, password_hash=hash_password(PASSWORD))
        )
        if not db.session.execute(
            select(UserRole.id).where(UserRole.user_id == busiest, UserRole.role == "expert")
        ).first():
            db.session.add(UserRole(user_id=busiest, role="expert"))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum would have done on a live database
        facts = {
            "call_id": call_id,
            "applications": apps,
            "evaluations": n_evaluations,
            "experts": len(problem.experts),
            "unit_id": unit_id,
            "unit_applications": db.session.execute(
                select(db.func.count()).where(Application.unit_id == unit_id)
            ).scalar(),
            "expert_assignments": db.session.execute(
                select(db.func.count()).where(Assignment.expert_id == busiest)
            ).scalar(),
        }
        db.engine.dispose()
    return facts


def pages(call_id: int) -> list[tuple[str, str, str]]:
    """(label, login, path) of every list and ranking page measured."""
    return [
        ("office: call's applications", ADMIN, f"/office/calls/{call_id}"),
        ("office: call's applications, one state", ADMIN, f"/office/calls/{call_id}?state=under_review"),
        ("office: ranking", ADMIN, f"/office/calls/{call_id}/ranking"),
        (
            "office: ranking, other options",
            ADMIN,
            f"/office/calls/{call_id}/ranking?applied=1&normalise=1&threshold=20",
        ),
        ("office: decision session", ADMIN, f"/office/decisions/calls/{call_id}"),
        ("office: letters of the call", ADMIN, f"/office/letters/calls/{call_id}"),
        ("office: calls", ADMIN, "/office/"),
        ("office: expert pool", ADMIN, "/office/experts"),
        ("office: call's statistics", ADMIN, f"/office/calls/{call_id}/statistics"),
        ("unit: queue", UNIT_ADMIN, "/unit/"),
        ("unit: ranking", UNIT_ADMIN, f"/unit/calls/{call_id}/ranking"),
        ("expert: queue", EXPERT, "/expert/"),
    ]


def count_statements(url: str, call_id: int) -> dict[str, int]:
    """SQL statements each page issues, counted in-process with the test client."""
    from sqlalchemy import event

    os.environ["DATABASE_URL"] = url
    from portal import create_app
    from portal.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "REDIS_URL": "",
            "MAIL_SERVER": "",
        }
    )
    counts = {}
    with app.app_context():
        engine = db.engine
    statements = []

    def listener(*_args):
        statements.append(1)

    for login in (ADMIN, UNIT_ADMIN, EXPERT):
        client = app.test_client()
        client.post("/account/login", data={"email": login, "password": PASSWORD})
        for label, who, path in pages(call_id):
            if who != login:
                continue
            client.get(path)  # warm (caches, templates)
            statements.clear()
            event.listen(engine, "before_cursor_execute", listener)
            response = client.get(path)
            event.remove(engine, "before_cursor_execute", listener)
            assert response.status_code == 200, (path, response.status_code)
            counts[label] = len(statements)
    with app.app_context():
        db.engine.dispose()
    return counts


class _LocalSecureCookies(http.cookiejar.DefaultCookiePolicy):
    def return_ok_secure(self, cookie, request):
        return True


class Browser:
    """A logged-in user: cookies, CSRF token from the login form, timed GETs."""

    def __init__(self, base: str, email: str):
        self.base = base
        # Production cookies are Secure; the benchmark talks plain HTTP to 127.0.0.1 (no TLS proxy in front).
        jar = http.cookiejar.CookieJar(policy=_LocalSecureCookies())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = self.get("/account/login")[1]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', form
        )
        data = urllib.parse.urlencode({"csrf_token": token.group(1), "email": email, "password": PASSWORD}).encode()
        with self.opener.open(self.base + "/account/login", data=data, timeout=60) as response:
            response.read()
        status, body, _seconds = self.get("/")
        assert "/account/logout" in body, f"{email} could not log in"

    def get(self, path: str) -> tuple[int, str, float]:
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                body = response.read().decode("utf-8", "replace")
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read().decode("utf-8", "replace"), error.code
        return status, body, time.perf_counter() - started


def _server_env(url: str, redis_url: str) -> dict:
    return dict(
        os.environ,
        DATABASE_URL=url,
        PORTAL_ENV="production",
        SECRET_KEY="bench-pages-secret-key-0123456789",
        REDIS_URL=redis_url,
        MAIL_SERVER="",
        PORTAL_INSTANCE_DIR=tempfile.mkdtemp(prefix="bench-pages-instance-"),
    )


def serve(url: str, redis_url: str, workers: int, threads: int, port: int, log_path: Path) -> list[subprocess.Popen]:
    """gunicorn with `workers` workers of `threads` threads and one RQ worker, as in production (README)."""
    env = _server_env(url, redis_url)
    log = open(log_path, "w")  # noqa: SIM115 - the servers write to it after we return
    procs = [
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-w",
                str(workers),
                "--threads",
                str(threads),
                "-b",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "portal", "jobs", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        ),
    ]
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return procs
        except OSError:
            time.sleep(0.1)
    for proc in procs:
        proc.terminate()
    raise RuntimeError(f"gunicorn did not start: see {log_path}")


def last_change(url: str, redis_url: str, call_id: int) -> float:
    """An expert corrects an evaluation (an ORM change, committed as the app commits): the call's ranking stamp
    moves on and the background worker computes the new ranking. Returns the seconds until it is ready."""
    from redis import Redis
    from rq import Queue
    from rq.registry import StartedJobRegistry
    from sqlalchemy import select

    os.environ.update(DATABASE_URL=url, REDIS_URL=redis_url)
    from portal import create_app
    from portal.applications.models import Application
    from portal.database import commit
    from portal.extensions import db
    from portal.jobs import QUEUE
    from portal.reviews.models import Evaluation

    app = create_app({"SECRET_KEY": "bench", "REDIS_URL": redis_url, "MAIL_SERVER": ""})
    with app.app_context():
        evaluation = db.session.execute(
            select(Evaluation).join(Application).where(Application.call_id == call_id).limit(1)
        ).scalar_one()
        evaluation.familiarity = "familiar" if evaluation.familiarity != "familiar" else "somewhat"
        started = time.perf_counter()
        commit()  # enqueues the ranking.warm job after the commit
        db.engine.dispose()
    connection = Redis.from_url(redis_url)
    queue = Queue(QUEUE, connection=connection)
    time.sleep(0.2)
    while queue.count or StartedJobRegistry(QUEUE, connection=connection).count:
        time.sleep(0.1)
    return time.perf_counter() - started


def load(base: str, call_id: int, users: int, rounds: int) -> dict[str, list[float]]:
    """`users` threads, each its own logged-in browser, requesting every page `rounds` times in turn."""
    timings: dict[str, list[float]] = {label: [] for label, _who, _path in pages(call_id)}
    errors: list[str] = []
    lock = threading.Lock()
    logins = [ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, UNIT_ADMIN, UNIT_ADMIN, EXPERT]
    browsers = {}

    def user(index: int) -> None:
        email = logins[index % len(logins)]
        browser = Browser(base, email)
        mine = [(label, path) for label, who, path in pages(call_id) if who == email]
        rng = random.Random(index)
        browsers[index] = browser
        for _label, path in mine:  # warm-up, not counted: templates compiled, first loads of each worker
            browser.get(path)
        barrier.wait()
        for _ in range(rounds):
            rng.shuffle(mine)
            for label, path in mine:
                status, _body, seconds = browser.get(path)
                with lock:
                    if status != 200:
                        errors.append(f"{path}: {status}")
                    timings[label].append(seconds)

    barrier = threading.Barrier(users)
    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return timings


def write_docs(
    path: Path, command: str, facts: dict | None, counts: dict, timings: dict, args, cold: dict, ready: float
) -> None:
    """Replace the "## Pages (bench/pages.py)" section of ``path`` (the rest is kept)."""

    heading = "## Pages (bench/pages.py)"
    body = [heading, ""]
    body += paragraph(
        f"Command (from the repository root), run on {datetime.date.today().isoformat()} on a shared "
        f"machine: {machine()}; PostgreSQL on the same machine:"
    )
    body += [f"    {command}", ""]
    if facts:
        body += paragraph(
            f"One call with {facts['applications']:,} applications under review, {facts['experts']:,} experts and "
            f"{facts['evaluations']:,} submitted evaluations (5 per application), in a scratch PostgreSQL database "
            "filled in bulk and then analysed (VACUUM ANALYZE, as autovacuum does on a live database). The portal "
            f"runs under gunicorn ({args.workers} sync workers, PORTAL_ENV=production, REDIS_URL) with one `flask "
            f"jobs worker`. {args.users} simulated users, each logged in with its own session (5 program admins, 2 "
            "unit admins, 1 expert; Python threads on the same machine), request each of their pages once (a "
            f"warm-up, not counted), then all of them in a shuffled order, {args.rounds} times, all at once and "
            f"without pause: a closed loop with {args.users} requests in flight at every moment. The unit admin's "
            f"unit has {facts['unit_applications']} applications, the expert {facts['expert_assignments']} "
            "assignments."
        )
    body += ["| page | SQL statements | p50 | p95 | requests | target |", "| --- | --- | --- | --- | --- | --- |"]
    for label, values in timings.items():
        body.append(
            f"| {label} | {counts.get(label, '?')} | {statistics.median(values) * 1000:.0f} ms | "
            f"{percentile(values, 95) * 1000:.0f} ms | {len(values)} | <= 100 ms p95 |"
        )
    body.append("")
    body += paragraph(
        "SQL statements are counted in-process for one request of each page (after a first one), at this scale; "
        "tests/http check that they do not grow with the number of rows (ranking: 10 and 1,000 applications). "
        "Lists come 50 a page, with search and counts per state. The ranking's aggregate is "
        "computed once per change of its data (a stamp on the call, bumped by every commit that touches its "
        "evaluations, assignments, unit reviews, appeals or applications in review) and reused by every later "
        "request, in the worker's memory and, through Redis, in every other worker's: computing it takes "
        f"{cold['compute']:.1f} s here ({cold['evaluations']:.2f} s of it reading the 100,000 evaluations), which "
        "the first request after a change pays when the background worker has not computed it yet (it does so "
        "for the call's default options: here the ranking was ready "
        f"{ready:.1f} s after the last change was committed; the other options are computed by the first request "
        "that asks, here in the warm-up, while a second worker asking for the same waits for that result)."
    )
    body += paragraph(
        "Before this (the first run of this benchmark, same data): a call's applications, the decision session and "
        "the letters listed every application (2-3 s per page at 2,000 applications), and every ranking request "
        "computed the aggregate (gunicorn's 30 s timeout at 20,000 applications before the database was analysed, "
        "2.7-3 s after). The clients run on the same 2 cores as the server and PostgreSQL: the figures are an upper "
        "bound."
    )
    replace_section(path, heading, body)


def cold_ranking(url: str, call_id: int) -> dict:
    """Seconds to compute the ranking without the cache, and to read the evaluations alone."""
    os.environ["DATABASE_URL"] = url
    from portal import create_app
    from portal.extensions import db
    from portal.programs.models import Call
    from portal.reviews.evaluation.schemes import options_for_call
    from portal.reviews.ranking import services as ranking

    app = create_app({"SECRET_KEY": "bench", "RANKING_CACHE": False, "REDIS_URL": ""})
    with app.app_context():
        call = db.session.get(Call, call_id)
        started = time.perf_counter()
        ranking._evaluations(call)
        evaluations = time.perf_counter() - started
        started = time.perf_counter()
        ranking.ranking_for_call(call, options_for_call(call), page=1)
        compute = time.perf_counter() - started
        db.engine.dispose()
    return {"compute": compute, "evaluations": evaluations}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/bench_pages")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/10",
        help="Redis database for the job queue and the shared ranking cache (flushed first)",
    )
    parser.add_argument("--apps", type=int, default=20_000)
    parser.add_argument("--experts", type=int, default=3_000)
    parser.add_argument("-k", type=int, default=5, help="evaluations per application")
    parser.add_argument("--users", type=int, default=8, help="concurrent users")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (1: sync workers; more: gthread workers)"
    )
    parser.add_argument("--rounds", type=int, default=25, help="times each user requests each of its pages")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--skip-build", action="store_true", help="reuse the database of a previous run")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("PORTAL_INSTANCE_DIR", tempfile.mkdtemp(prefix="bench-pages-"))

    started = time.perf_counter()
    if args.skip_build:
        facts = None
    else:
        facts = build(args.database_url, args.apps, args.experts, args.k, args.seed)
        print(f"# built in {time.perf_counter() - started:.0f} s: {facts}", flush=True)
    call_id = facts["call_id"] if facts else 1
    counts = count_statements(args.database_url, call_id)
    for label, n in counts.items():
        print(f"# {label}: {n} SQL statements", flush=True)
    from redis import Redis

    Redis.from_url(args.redis_url).flushdb()
    log_path = Path(tempfile.mkdtemp(prefix="bench-pages-log-")) / "gunicorn.log"
    server = serve(args.database_url, args.redis_url, args.workers, args.threads, args.port, log_path)
    try:
        ready = last_change(args.database_url, args.redis_url, call_id)
        print(f"# ranking recomputed by the background worker {ready:.1f} s after the last change", flush=True)
        timings = load(f"http://127.0.0.1:{args.port}", call_id, args.users, args.rounds)
    finally:
        for proc in server:
            proc.terminate()
        for proc in server:
            proc.wait(timeout=30)
    worst = 0.0
    for label, values in timings.items():
        p50, p95 = statistics.median(values) * 1000, percentile(values, 95) * 1000
        worst = max(worst, p95)
        print(f"{label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms ({len(values)} requests)", flush=True)
    print(f"worst p95: {worst:.0f} ms (target <= 100 ms)", flush=True)
    cold = cold_ranking(args.database_url, call_id)
    print(
        f"ranking computed without the cache: {cold['compute']:.2f} s (reading the evaluations: "
        f"{cold['evaluations']:.2f} s)",
        flush=True,
    )
    if args.write_docs:
        command = ".venv/bin/python bench/pages.py " + " ".join(argv if argv is not None else sys.argv[1:])
        write_docs(ROOT / "docs" / "benchmarks.md", command.strip(), facts, counts, timings, args, cold, ready)
        print("# wrote docs/benchmarks.md", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
