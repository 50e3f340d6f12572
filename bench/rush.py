"""Benchmark: the deadline rush (SPEC §9) — 300 applicants submitting in the last minute, over HTTP.

    .venv/bin/python bench/rush.py [--applicants 300] [--late 5] [--window 60] [--ramp] [--login-in-window]
        [--workers 2] [--job-workers 1] [--job-nice 10] [--books-wait 30] [--write-docs]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench_rush] [--redis-url redis://127.0.0.1:6379/11]

Target: "300 applicants submitting in the last minute: no lost or duplicated submission, no 5xx."

Set-up (untimed): a scratch PostgreSQL database (its name must start with "bench"; dropped and created
again) migrated from empty and loaded with the demo data; then N applicants, each with a complete draft
application to the 百人计划 call (an eligible profile, title, plan, the three required PDFs, one referee
whose letter has arrived), written with the app's own models and services and checked with
`services.review` (every draft can be submitted). N + `--late` accounts, one password hash shared.

The rush: the portal runs as in production — gunicorn (`--workers` sync workers, PORTAL_ENV=production,
a SECRET_KEY, REDIS_URL on a Redis database of its own, flushed first) and `--job-workers` `flask jobs
worker` processes (at `--job-nice`) that make the application books (申报书) and deliver the emails the
submissions queue; the web requests only enqueue them. The call's deadline is set 2 s + 40 s + the
window (`--window`, 60 s) ahead, a whole second; each simulated applicant (one thread, Python's
http.client, its own cookies) opens the login page, logs in (CSRF token from the form), lands on the
"check and submit" page and posts the submit form. The clicks on "submit" are planned evenly over the
window, up to 5 s before the deadline (`--ramp`: growing linearly towards it), each applicant logging in
10-40 s before its click; with `--login-in-window` the logins are spread over the window instead (up to
12 s before the deadline) and each clicks 1-4 s after its page has loaded. About 10 % double-click (two
concurrent POSTs of the same form), about 5 % post with a 0.01 s client timeout (the server still
handles the request) and click again 0.5-1.5 s later; `--late` applicants post 1-3 s after the deadline
and must be refused with the deadline message.

Then, from the database: every on-time application submitted exactly once (state, submission_count,
submitted_at before the deadline, one snapshot, one `application.submit` audit entry, one status email
to each unit admin, one application book made or one book job still queued when `--books-wait` runs
out), the late ones still drafts with nothing recorded, the audit chain intact; from the answers and
gunicorn's access log: no 5xx, no 4xx or request without an answer, the right message after each
submit; no error in the servers' logs. Prints one line per measure and exits 1 if a check fails
(the servers' logs are then kept in a temporary folder).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import html
import http.client
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdocs import fresh_postgresql, machine, paragraph, replace_section  # noqa: E402

PASSWORD = "rush-password-2026"
EMAIL = "rush{:04d}@bench.talent.cn"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅鹏飞宇浩然晨阳雪婷欣怡子涵思远博文"
TOPICS = [
    "代数几何中的算术问题",
    "随机偏微分方程的正则性理论",
    "高维数据的统计推断方法",
    "非线性色散方程的长时间行为",
    "组合优化问题的近似算法",
    "量子群与表示论",
    "复杂网络上的动力系统",
]
USER_AGENT = "bench-rush/1 (http.client)"
DOUBLE_SHARE, RETRY_SHARE, RETRY_TIMEOUT = 0.10, 0.05, 0.01  # a submit takes >= 30 ms: 0.01 s always times out
LEAD = (10.0, 40.0)  # seconds between an applicant's login and the click on "submit" (drawn per applicant)
LAST_CLICK = 5.0  # seconds before the deadline: the last planned on-time click
LAST_LOGIN = 12.0  # --login-in-window: the last on-time applicant opens the login page then


# -- Set-up -----------------------------------------------------------------------------------------


def applicant_name(i: int) -> str:
    rng = random.Random(i)
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def pdf_bytes(pages: int) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def setup_database(total: int) -> tuple[int, list[tuple[int, str]], dict]:
    """Migrate, load the demo, add `total` applicants with a complete draft to the 百人计划 call.

    Returns (call id, [(application id, email)], timings). Runs inside a request context (the
    services translate their messages and build links)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from portal.accounts.models import Role, User, UserRole
    from portal.accounts.services import hash_password
    from portal.applications import services
    from portal.applications.models import Education, Position, Profile, Referee
    from portal.database import commit, utcnow
    from portal.extensions import db
    from portal.programs.models import Call, Program, Unit
    from portal.seed import load_demo
    from portal.storage import inspect_pdf, save_document

    timings = {}
    started = time.perf_counter()
    upgrade(directory=str(ROOT / "migrations"))
    timings["migrate"] = time.perf_counter() - started
    started = time.perf_counter()
    load_demo()
    timings["demo"] = time.perf_counter() - started

    started = time.perf_counter()
    call = db.session.execute(select(Call).join(Program).where(Program.code == "bairen")).scalars().first()
    unit_id = db.session.execute(select(Unit.id).where(Unit.code == "CAS-AMSS")).scalar_one()
    password_hash = hash_password(PASSWORD)  # one argon2id hash for all: hashing 300 would take ~30 s
    now = utcnow()
    users = []
    for i in range(total):
        user = User(
            email=EMAIL.format(i),
            name=applicant_name(i),
            password_hash=password_hash,
            locale="zh_CN",
            email_confirmed_at=now,
        )
        user.roles.append(UserRole(role=Role.APPLICANT.value))
        users.append(user)
    db.session.add_all(users)
    db.session.flush()
    for i, user in enumerate(users):  # eligible for 百人计划, as tests/factories.py make_profile
        db.session.add(
            Profile(
                user_id=user.id,
                gender="female" if i % 3 == 0 else "male",
                birth_date=datetime.date(1988 + i % 6, 1 + i % 12, 1 + i % 28),
                nationality="CN",
                id_type="id_card",
                id_number=f"11010119900501{i:04d}",
                phone=f"138{i:08d}",
                discipline_codes=["A01"],
                keywords=["代数几何", "数论"],
            )
        )
        db.session.add(
            Education(user_id=user.id, degree="phd", institution="Princeton University", country="US", year=2014)
        )
        db.session.add(
            Position(
                user_id=user.id,
                employer="MIT",
                country="US",
                title="Assistant Professor",
                post_level="assistant_professor",
                start_date=datetime.date(2015, 1, 1),
                end_date=datetime.date(2021, 1, 1),
                is_research=True,
            )
        )
    db.session.flush()
    pdfs = {pages: (pdf, inspect_pdf(pdf)) for pages, pdf in ((1, pdf_bytes(1)), (2, pdf_bytes(2)))}
    program = call.program
    applications = []
    for i, user in enumerate(users):
        application = services.start_application(call, user, unit_id)
        application.title = TOPICS[i % len(TOPICS)]
        application.discipline_code = "A01"
        application.keywords = ["代数几何", "数论"]
        application.plan = "拟研究代数几何与数论交叉领域中的若干核心问题，建立新的算术不变量理论。" * 3
        for doc in program.required_documents:
            pdf, info = pdfs[2]
            save_document(
                pdf,
                kind=doc["code"],
                original_name=f"{doc['code']}.pdf",
                owner_id=user.id,
                application_id=application.id,
                checked=info,
            )
        for r in range(program.referees_required or 0):  # the referee's letter has arrived
            pdf, info = pdfs[1]
            letter = save_document(
                pdf,
                kind="referee_letter",
                original_name="letter.pdf",
                owner_id=None,
                application_id=application.id,
                checked=info,
            )
            application.referees.append(
                Referee(
                    name=f"推荐人{r + 1}",
                    email=f"referee{r}.{i}@bench.talent.cn",
                    institution="北京大学",
                    title="教授",
                    token_hash=secrets.token_hex(32),
                    expires_at=call.closes_at,
                    letter_document_id=letter.id,
                    letter_received_at=now,
                )
            )
        applications.append(application)
    db.session.flush()
    timings["applicants"] = time.perf_counter() - started
    started = time.perf_counter()
    refused = {a.id: services.review(a).problems for a in applications}
    refused = {k: v for k, v in refused.items() if v}
    if refused:
        raise SystemExit(f"set-up error: {len(refused)} drafts cannot be submitted, e.g. {next(iter(refused.items()))}")
    commit()
    timings["review"] = time.perf_counter() - started
    return call.id, [(a.id, u.email) for a, u in zip(applications, users, strict=True)], timings


# -- A tiny HTTP client: one applicant, its own cookies ------------------------------------------------


@dataclass
class Answer:
    status: int | None  # None: no answer (timeout or connection error)
    location: str
    body: str
    seconds: float
    cookies: dict
    error: str = ""


@dataclass
class Record:
    """What one request did, for the statistics."""

    kind: str  # login-page, login, page, submit, follow
    status: int | None
    seconds: float
    sent_at: float  # time.time() when sent
    error: str = ""
    deliberate_timeout: bool = False


class Browser:
    """One applicant's browser: cookies kept by hand (the session cookie is Secure in production, as
    behind the TLS proxy; http.cookiejar would not send it back over plain HTTP), no redirects followed."""

    def __init__(self, host: str, port: int, records: list, lock: threading.Lock):
        self.host, self.port, self.records, self.lock = host, port, records, lock
        self.cookies: dict[str, str] = {}

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        form: dict | None = None,
        *,
        timeout: float = 60.0,
        cookies: dict | None = None,
        deliberate_timeout: bool = False,
        keep_cookies: bool = True,
    ) -> Answer:
        jar = dict(self.cookies if cookies is None else cookies)
        headers = {"User-Agent": USER_AGENT, "Accept-Language": "zh-CN", "Connection": "close"}
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        sent_at, started = time.time(), time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            seconds = time.perf_counter() - started
            error = "timeout" if isinstance(exc, (socket.timeout, TimeoutError)) else type(exc).__name__
            with self.lock:
                self.records.append(Record(kind, None, seconds, sent_at, error, deliberate_timeout))
            return Answer(None, "", "", seconds, jar, error)
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        for header in response.msg.get_all("Set-Cookie") or []:
            morsels = SimpleCookie()
            morsels.load(header)
            for name, morsel in morsels.items():
                if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                    jar.pop(name, None)
                else:
                    jar[name] = morsel.value
        if keep_cookies:
            self.cookies = jar
        with self.lock:
            self.records.append(Record(kind, response.status, seconds, sent_at))
        location = urllib.parse.urlsplit(response.getheader("Location") or "")
        path_only = location.path + (f"?{location.query}" if location.query else "")
        return Answer(response.status, path_only, text, seconds, jar)


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
ALERT = re.compile(r'<div class="alert alert-(\w+)[^"]*" role="alert">\s*(.*?)\s*<button', re.S)


def csrf_token(page: str, marker: str = "") -> str:
    start = page.find(marker) if marker else 0
    found = CSRF.search(page, max(start, 0))
    if not found:
        raise ValueError("no csrf_token in the page")
    return found.group(1) or found.group(2)


def alerts(page: str) -> list[tuple[str, str]]:
    return [(category, html.unescape(re.sub(r"\s+", " ", text)).strip()) for category, text in ALERT.findall(page)]


# -- One applicant ---------------------------------------------------------------------------------------


@dataclass
class Plan:
    index: int
    application_id: int
    email: str
    kind: str  # single, double, retry, late
    login_at: float  # time.time()
    click_at: float | None  # None: click `think` seconds after the page has loaded
    think: float = 0.0


@dataclass
class Outcome:
    plan: Plan
    clicked_at: float | None = None
    messages: list = field(default_factory=list)  # [(category, text)] after each submit POST that answered
    problems: list = field(default_factory=list)
    retry_timed_out: bool | None = None


def wait_until(moment: float) -> None:
    while True:
        left = moment - time.time()
        if left <= 0:
            return
        time.sleep(min(left, 0.5))


def run_applicant(plan: Plan, browser: Browser, outcome: Outcome) -> None:
    try:
        _run_applicant(plan, browser, outcome)
    except Exception as exc:  # noqa: BLE001 - a page the client cannot read is a finding, not a crash
        outcome.problems.append(f"{type(exc).__name__}: {exc}")


def _run_applicant(plan: Plan, browser: Browser, outcome: Outcome) -> None:
    """Login page, login, the check-and-submit page, think, submit (once, twice at once, or again after a
    timeout), then read the message each answer leads to."""
    review_path = f"/applications/{plan.application_id}/edit/review"
    submit_path = f"/applications/{plan.application_id}/submit"
    wait_until(plan.login_at)
    page = browser.request("login-page", "GET", "/account/login?" + urllib.parse.urlencode({"next": review_path}))
    if page.status != 200:
        outcome.problems.append(f"login page: {page.status} {page.error}")
        return
    answer = browser.request(
        "login",
        "POST",
        "/account/login",
        {"csrf_token": csrf_token(page.body), "email": plan.email, "password": PASSWORD, "next": review_path},
    )
    if answer.status != 302 or answer.location != review_path:
        outcome.problems.append(f"login: {answer.status} {answer.error} -> {answer.location!r}")
        return
    page = browser.request("page", "GET", review_path)
    if page.status != 200 or 'id="submit-form"' not in page.body:
        outcome.problems.append(f"submit page: {page.status} {page.error}")
        return
    if 'id="problems-none"' not in page.body:
        outcome.problems.append(
            "the submit page lists problems: "
            + "; ".join(re.findall(r"<li>(.*?)</li>", page.body.split('id="problems"', 1)[-1])[:3])
        )
    form = {"csrf_token": csrf_token(page.body, 'id="submit-form"'), "pledge": "y", "submit": "提交申请"}
    if plan.click_at is None:
        time.sleep(plan.think)
    else:  # a slow login or page may make the click later than planned
        wait_until(plan.click_at)
    outcome.clicked_at = time.time()

    def post(timeout=60.0, deliberate=False):
        answer = browser.request(
            "submit", "POST", submit_path, form, timeout=timeout, deliberate_timeout=deliberate, keep_cookies=False
        )
        if answer.status is None:
            return answer
        if answer.status != 302:
            outcome.problems.append(f"submit: {answer.status}")
            return answer
        # Each response carries its own flash message in its session cookie: read it with that cookie.
        landed = browser.request("follow", "GET", answer.location, cookies=answer.cookies, keep_cookies=False)
        found = [m for m in alerts(landed.body) if m[0] != "success" or "欢迎" not in m[1]]
        outcome.messages.append((answer.location, found))
        return answer

    if plan.kind == "double":  # a double click: two POSTs of the same form at once
        second = threading.Thread(target=post)
        second.start()
        post()
        second.join()
    elif plan.kind == "retry":  # gives up at once (RETRY_TIMEOUT), clicks again a little later
        first = post(timeout=RETRY_TIMEOUT, deliberate=True)
        outcome.retry_timed_out = first.status is None
        if first.status is None:
            time.sleep(random.Random(plan.index).uniform(0.5, 1.5))
            post()
    else:
        post()


def make_plans(
    drafts: list[tuple[int, str]],
    n: int,
    late: int,
    deadline: float,
    window: float,
    ramp: bool = False,
    login_in_window: bool = False,
) -> list[Plan]:
    """When each applicant logs in and clicks "submit"; who double-clicks or retries is drawn at random.

    The clicks are spread evenly over the window, up to LAST_CLICK seconds before the deadline (ramp:
    density growing linearly towards it); each applicant logs in LEAD seconds before its click. With
    `login_in_window`, the logins are spread so over the window instead (up to LAST_LOGIN seconds before
    the deadline), and each clicks 1-4 s after the submit page has loaded."""
    rng = random.Random(2026)
    plans = []
    kinds = ["double"] * round(n * DOUBLE_SHARE) + ["retry"] * round(n * RETRY_SHARE)
    kinds += ["single"] * (n - len(kinds))
    rng.shuffle(kinds)
    span = window - (LAST_LOGIN if login_in_window else LAST_CLICK)
    for i, ((application_id, email), kind) in enumerate(zip(drafts[:n], kinds, strict=False)):
        moment = deadline - window + span * (math.sqrt(rng.random()) if ramp else rng.random())
        if login_in_window:
            plans.append(Plan(i, application_id, email, kind, moment, None, rng.uniform(1.0, 4.0)))
        else:
            plans.append(Plan(i, application_id, email, kind, moment - rng.uniform(*LEAD), moment))
    for j, (application_id, email) in enumerate(drafts[n : n + late]):
        login_at = deadline - 8 + j * 0.5 if login_in_window else deadline - LEAD[1] + j * (LEAD[1] - 5) / max(late, 1)
        plans.append(Plan(n + j, application_id, email, "late", login_at, deadline + 1 + j * 2 / max(late - 1, 1)))
    return plans


# -- The servers -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_servers(
    env: dict, scratch: Path, port: int, workers: int, job_workers: int, job_nice: int
) -> list[subprocess.Popen]:
    """gunicorn as in the README's deployment section, and the RQ workers (`flask jobs worker`), these at
    the CPU priority `job_nice` (as systemd's Nice=)."""
    log = open(scratch / "gunicorn.log", "w")  # noqa: SIM115 - the servers write to it after we return
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--access-logfile",
                str(scratch / "access.log"),
                "--access-logformat",
                '%(h)s "%(r)s" %(s)s %(D)s',
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
    ]
    jobs_log = open(scratch / "jobs.log", "w")  # noqa: SIM115 - the servers write to it after we return
    procs += [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "portal", "jobs", "worker"],
            cwd=ROOT,
            env=env,
            stdout=jobs_log,
            stderr=jobs_log,
            preexec_fn=(lambda: os.nice(job_nice)) if job_nice else None,
        )
        for _ in range(job_workers)
    ]
    try:
        wait_until_serving(scratch, port, procs[0])
        for _ in range(4 * workers):  # every worker imports and compiles its first templates
            for path in ("/", "/account/login"):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", path)
                connection.getresponse().read()
                connection.close()
    except BaseException:
        stop(procs)
        raise
    return procs


def wait_until_serving(scratch: Path, port: int, gunicorn: subprocess.Popen) -> None:
    """Return once /healthz answers; exit with gunicorn's log if it does not within a minute."""
    give_up = time.time() + 60
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        if gunicorn.poll() is not None or time.time() > give_up:
            raise SystemExit(f"gunicorn did not start:\n{(scratch / 'gunicorn.log').read_text()[-3000:]}")
        time.sleep(0.2)


def stop(procs: list[subprocess.Popen]) -> None:
    """Stop the servers this bench started (SIGTERM, then SIGKILL after a minute)."""
    for p in procs:  # gunicorn: graceful stop; RQ: warm shutdown (finishes the current job)
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


def cpu_seconds(pid: int, with_children: bool = False) -> float:
    """User + system CPU time of a running process (and of its running children), from /proc."""
    total = 0.0
    pids = [pid]
    if with_children:
        with contextlib.suppress(OSError):
            pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def servers_cpu(procs: list[subprocess.Popen]) -> tuple[float, float]:
    """CPU seconds used so far by gunicorn (master and workers) and by the job workers."""
    return cpu_seconds(procs[0].pid, with_children=True), sum(cpu_seconds(p.pid) for p in procs[1:])


def server_errors(scratch: Path) -> list[str]:
    """Tracebacks and ERROR lines in the logs of gunicorn and the job workers."""
    found = []
    for name in ("gunicorn.log", "jobs.log"):
        text = (scratch / name).read_text(errors="replace")
        for block in re.split(r"\n(?=\S)", text):
            if "Traceback" in block or "[ERROR]" in block or " ERROR " in block:
                found.append(f"{name}: {block.strip()[:3000]}")
    return found


# -- Checks against the database --------------------------------------------------------------------------


def check_database(plans: list[Plan], deadline_dt, queued: dict[int, int]) -> dict:
    """Each on-time application submitted exactly once, each late one untouched; `queued`: the book jobs
    still waiting in the queue, per application."""
    from sqlalchemy import func, select

    from portal.applications.models import Application
    from portal.applications.services import unit_admins_for
    from portal.audit.models import AuditEntry
    from portal.audit.services import verify_chain
    from portal.extensions import db
    from portal.notifications.models import OutboxMessage
    from portal.storage import Document

    ids = [p.application_id for p in plans]
    apps = {a.id: a for a in db.session.execute(select(Application).where(Application.id.in_(ids))).scalars()}
    submits = dict(
        db.session.execute(
            select(AuditEntry.object_id, func.count())
            .where(
                AuditEntry.object_type == "Application",
                AuditEntry.action.in_(("application.submit", "application.resubmit")),
                AuditEntry.object_id.in_([str(i) for i in ids]),
            )
            .group_by(AuditEntry.object_id)
        ).all()
    )
    books = dict(
        db.session.execute(
            select(Document.application_id, func.count())
            .where(Document.application_id.in_(ids), Document.kind.like("book-%"))
            .group_by(Document.application_id)
        ).all()
    )
    # The submission tells the unit: one status email per unit admin (of the unit or a unit above it).
    emails: dict[int, int] = {}
    for body in db.session.execute(
        select(OutboxMessage.body_text).where(OutboxMessage.template == "application_status")
    ).scalars():
        found = re.search(r"/applications/(\d+)\s", body)
        if found:
            emails[int(found.group(1))] = emails.get(int(found.group(1)), 0) + 1
    admins = {a.id: len(unit_admins_for(a.unit_id)) for a in apps.values()}
    made_at = dict(
        db.session.execute(
            select(Document.application_id, Document.uploaded_at).where(
                Document.application_id.in_(ids), Document.kind == "book-1"
            )
        ).all()
    )
    facts = {
        "exactly_once": 0,
        "problems": [],
        "late_untouched": 0,
        "books": 0,
        "books_queued": 0,
        "book_lag": [
            (made_at[a.id] - a.submitted_at).total_seconds()
            for a in apps.values()
            if a.id in made_at and a.submitted_at
        ],
    }
    for plan in plans:
        a = apps.get(plan.application_id)
        audit, made, mails = (
            submits.get(str(plan.application_id), 0),
            books.get(plan.application_id, 0),
            emails.get(plan.application_id, 0),
        )
        waiting = queued.get(plan.application_id, 0)
        if plan.kind == "late":
            if (
                a.state == "draft"
                and a.submission_count == 0
                and a.submitted_at is None
                and a.snapshot is None
                and audit == 0
                and made == 0
                and mails == 0
                and waiting == 0
            ):
                facts["late_untouched"] += 1
            else:
                facts["problems"].append(
                    f"late application {a.id}: state {a.state}, {a.submission_count} "
                    f"submission(s), {audit} audit entries, {made} book(s), {mails} email(s)"
                )
            continue
        ok = (
            a.state == "submitted"
            and a.submission_count == 1
            and a.submitted_at is not None
            and a.submitted_at < deadline_dt
            and a.snapshot is not None
            and a.snapshot.get("submitted_at") == a.submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            and audit == 1
            and mails == admins[a.id] > 0
        )
        # One book, made or still waiting for a job worker: never none (lost job), never two.
        facts["books"] += made == 1 and waiting == 0 and a.book_document_id is not None
        facts["books_queued"] += made == 0 and waiting == 1
        if ok:
            facts["exactly_once"] += 1
        else:
            facts["problems"].append(
                f"application {a.id} ({plan.kind}): state {a.state}, submission_count {a.submission_count}, "
                f"submitted_at {a.submitted_at}, snapshot {'yes' if a.snapshot else 'no'}, {audit} submit audit "
                f"entries, {mails} status email(s) to the unit (expected {admins[a.id]})"
            )
        if made + waiting != 1:
            facts["problems"].append(
                f"application {a.id}: {made} application book(s) and {waiting} book job(s) in the queue"
            )
    facts["chain_rows"], broken = verify_chain()
    facts["chain_ok"] = broken is None
    if broken is not None:
        facts["problems"].append(f"audit chain broken: {broken}")
    db.session.rollback()
    return facts


def wait_for_books(plans: list[Plan], until: float) -> tuple[int, float]:
    """Wait until every on-time application has its book, or the time `until`; (books, time.time())."""
    from sqlalchemy import func, select

    from portal.applications.models import Application
    from portal.extensions import db

    ids = [p.application_id for p in plans if p.kind != "late"]
    while True:
        done = db.session.execute(
            select(func.count())
            .select_from(Application)
            .where(Application.id.in_(ids), Application.book_document_id.is_not(None))
        ).scalar_one()
        db.session.rollback()
        if done == len(ids) or time.time() > until:
            return done, time.time()
        time.sleep(0.5)


# -- Statistics and report -----------------------------------------------------------------------------------


def queued_books(redis_url: str) -> tuple[dict[int, int], int]:
    """The application-book jobs still in the queue, per application id, and the number of failed jobs."""
    from redis import Redis
    from rq import Queue
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    from portal.jobs import QUEUE

    queue = Queue(QUEUE, connection=Redis.from_url(redis_url))
    queued: dict[int, int] = {}
    jobs = queue.get_jobs() + [queue.fetch_job(i) for i in StartedJobRegistry(queue=queue).get_job_ids()]
    for job in jobs:
        if job is not None and job.args and job.args[0] == "portal.applications.services.generate_book":
            queued[job.args[1]] = queued.get(job.args[1], 0) + 1
    return queued, FailedJobRegistry(queue=queue).count


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def spread(values_s: list[float]) -> dict:
    ms = [v * 1000 for v in values_s]
    return (
        {"n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95), "max": max(ms)}
        if ms
        else {"n": 0, "p50": math.nan, "p95": math.nan, "max": math.nan}
    )


def access_log(scratch: Path) -> tuple[dict, dict]:
    """Status counts of every request gunicorn answered, and server-side seconds per submit POST."""
    statuses: dict[int, int] = {}
    submit_server = []
    for line in (scratch / "access.log").read_text().splitlines():
        found = re.match(r'\S+ "(\S+) (\S+) [^"]*" (\d{3}) (\d+)', line)
        if not found:
            continue
        method, path, status, micros = found.groups()
        statuses[int(status)] = statuses.get(int(status), 0) + 1
        if method == "POST" and path.endswith("/submit"):
            submit_server.append(int(micros) / 1e6)
    return statuses, {"submit_server": submit_server}


def versions() -> str:
    import gunicorn
    import psycopg
    import rq
    from sqlalchemy import text

    from portal.extensions import db

    server = db.session.execute(text("SHOW server_version")).scalar().split()[0]
    db.session.rollback()
    return (
        f"Python {platform.python_version()}, gunicorn {gunicorn.__version__} (sync workers), "
        f"psycopg {psycopg.__version__}, PostgreSQL {server}, RQ {rq.__version__}"
    )


def scenario(r: dict) -> str:
    """Who does what when, in words."""
    spread_text = (
        "over the window, more and more towards the deadline (density growing linearly, twice the mean rate at the end)"
        if r["ramp"]
        else "evenly over the window"
    )
    if r["login_in_window"]:
        timing = (
            f"The logins are spread {spread_text}, the last {LAST_LOGIN:.0f} s before the deadline, "
            "and each applicant clicks 1-4 s after the submit page has loaded. "
        )
    else:
        timing = (
            f"The clicks on “submit” are planned {spread_text}, the last "
            f"{LAST_CLICK:.0f} s before the deadline; each applicant logs in {LEAD[0]:.0f}-{LEAD[1]:.0f} s "
            "before its click (a slow login or page would make the click later: "
            + (
                f"{r['delayed_clicks']} clicks were more than 1 s late, the latest by {r['max_click_delay']:.1f} s). "
                if r["delayed_clicks"]
                else "none was more than 1 s late). "
            )
        )
    return timing + (
        f"{r['doubles']} applicants double-click (two concurrent POSTs of the same form), {r['retries']} post with "
        f"a {RETRY_TIMEOUT} s client timeout and click again 0.5-1.5 s later ({r['retry_timeouts']} of those first "
        f"POSTs timed out; gunicorn handled {r['submits_handled']} submit POSTs of the {r['submits_sent']} sent), "
        f"and {r['late']} post 1-3 s after the deadline."
    )


def books_line(r: dict) -> str:
    n = r["applicants"]
    if r["books"] == n:
        text = f"{n}/{n} made, the last {r['books_after']:.1f} s after the deadline"
    else:
        text = (
            f"{r['books']}/{n} made by {r['books_after']:.0f} s after the deadline, {r['books_queued']} waiting "
            "in the queue (one job each)"
        )
    return text + f", {r['failed_jobs']} failed job(s)"


def write_docs(path: Path, command: str, r: dict) -> None:
    """Replace (or add at the end) the "## Deadline rush (bench/rush.py)" section of ``path``."""

    def ms(s: dict) -> str:
        return f"{s['p50']:.0f} / {s['p95']:.0f} / {s['max']:.0f} ms"

    heading = "## Deadline rush (bench/rush.py)"
    n = r["applicants"]
    body = [heading, ""]
    body += paragraph(
        f"Command (from the repository root), run on {datetime.date.today().isoformat()} on a shared "
        f"machine: {r['machine']}; {r['versions']}:"
    )
    body += [f"    {command}", ""]
    workers_text = f"{r['job_workers']} `flask jobs worker` process{'es' if r['job_workers'] != 1 else ''}"
    body += paragraph(
        f"{n} applicants submit to one call in the last {r['window']:.0f} seconds before its deadline, over HTTP, "
        f"against the portal served as in production: gunicorn with {r['workers']} sync workers "
        "(PORTAL_ENV=production, a SECRET_KEY, REDIS_URL), PostgreSQL on the same machine, and "
        f"{workers_text} (at `nice` {r['job_nice']}) making the application books (申报书) and delivering the emails "
        "the submissions enqueue; the web requests only enqueue them. Set-up, untimed: a scratch PostgreSQL "
        "database migrated from empty with the demo data, and per applicant an account, an eligible profile and a "
        "complete draft to the 百人计划 call (title, plan, the three required PDFs, one referee letter), every draft "
        f"checked submittable with `services.review` ({r['setup']:.0f} s). Each simulated applicant (a thread with "
        "its own cookies; Python's http.client) opens the login page, logs in with the form's CSRF token, lands on "
        "the check-and-submit page and posts the submit form. " + scenario(r)
    )
    body += [
        "| measure | result | target (SPEC §9) |",
        "| --- | --- | --- |",
        f"| on-time applications submitted exactly once | {r['exactly_once']} / {n} | all, none lost or duplicated |",
        f"| late submissions refused with the deadline message, nothing recorded | {r['late_ok']} / {r['late']} "
        "| all |",
        f"| 5xx responses (of {r['requests']:,} requests in gunicorn's access log) | {r['5xx']} | 0 |",
        f"| other unexpected answers (4xx, connection errors, wrong message) | {r['unexpected']} | 0 |",
        f"| on-time submit POSTs sent, first to last | {-r['first_submit']:.1f} s to {-r['last_submit']:.1f} s "
        "before the deadline | within the last minute |",
        f"| login POST latency p50 / p95 / max | {ms(r['login'])} | |",
        f"| submit page latency p50 / p95 / max | {ms(r['page'])} | |",
        f"| submit POST latency p50 / p95 / max | {ms(r['submit'])} | |",
        f"| submit POST, time in gunicorn, p50 / p95 / max | {ms(r['submit_server'])} | |",
        f"| wall time: first login page to last answer / first submit POST to last answer | {r['wall']:.1f} s "
        f"/ {r['submit_wall']:.1f} s | |",
        f"| CPU time during the rush: gunicorn (per applicant) / job worker{'s' if r['job_workers'] != 1 else ''} "
        f"| {r['cpu_web']:.1f} s ({r['cpu_web'] / (n + r['late']) * 1000:.0f} ms) / {r['cpu_jobs']:.1f} s | |",
        f"| application books (申报书), one each | {books_line(r)} | |",
        f"| from submission to its book (job queue), p50 / max | {r['book_lag']['p50'] / 1000:.1f} s / "
        f"{r['book_lag']['max'] / 1000:.1f} s | |",
        f"| audit chain after the rush | intact ({r['chain_rows']:,} entries) | |",
        "",
    ]
    body += paragraph(
        "Checked from the database once the servers have stopped: each on-time application is in state submitted "
        "with submission_count 1, submitted_at before the deadline and equal to its snapshot's, exactly one "
        "`application.submit` audit entry and exactly one status email to each unit admin in the outbox; each has "
        "exactly one application book, or none yet and exactly one book job waiting in the Redis queue (the bench "
        "waits for the books until `--books-wait` seconds after the deadline; no job may have failed); each late "
        "one is still a draft with no submission, snapshot, audit entry, email, book or job; the audit log's hash "
        "chain verifies (`flask audit verify`'s check). From the answers: every login lands on the submit page, "
        "which shows no missing item; every submit POST redirects to a page with the right message (申请已提交 for "
        "one POST of a double click and 该申请此前已提交，未重复提交 for the other; 申请已提交 or "
        "该申请此前已提交 after a retry; the deadline with its time for the late ones); gunicorn's access log holds "
        "no 5xx and its and the job workers' logs no error. Latencies are measured by the client and include the "
        "wait in gunicorn's listen queue; the submit POST's server-side time is gunicorn's own (`%(D)s`)."
    )
    if not r["login_in_window"]:
        body += paragraph(
            "With the logins in the last minute too (`--login-in-window`: the 305 logins spread over the 48 s up to "
            "12 s before the deadline, each click 1-4 s after the page), the first full run on 2026-11-21 (job "
            "worker at nice 0; load average 1.1 before, 5.0 after, other benchmarks running) got only 98 of the 300 "
            "submissions in before the deadline. The login is the bottleneck: POST /account/login took 509 ms p50 "
            "(680 ms p95) in gunicorn, as verifying an argon2id hash (the library defaults: t=3, 64 MiB, p=4) costs "
            "~160 ms of CPU on this machine, 149 s of worker time for the 305 logins against 25 s for all the "
            "submit POSTs; the queue in front of the 2 sync workers grew to 15-29 s (submit page p50 15.5 s), so "
            "the other 202 clicked, or were answered, after the deadline and were refused (their applications "
            "stayed drafts). No answer was a 5xx and the audit chain stayed intact. Even on a quiet machine the "
            "305 logins alone need ~30 s of the 2 workers' time (~200 ms each), most of the minute's capacity: "
            "for a last-minute rush of logins too, plan more cores or web machines."
        )
    body += paragraph(
        f"The machine is shared: its 1-minute load average was {r['load'][0]:.2f} before the run and "
        f"{r['load'][1]:.2f} after it, and the client's {n + r['late']} threads, gunicorn, PostgreSQL and the job "
        f"worker{'s' if r['job_workers'] != 1 else ''} share its {os.cpu_count()} cores, so the latencies are an "
        "upper bound; they should be measured again on a quiet machine (or with the client on another one)."
    )
    replace_section(path, heading, body)


# -- Main ------------------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applicants", type=int, default=300, help="on-time applicants (default 300)")
    parser.add_argument("--late", type=int, default=5, help="applicants who post after the deadline (default 5)")
    parser.add_argument("--window", type=float, default=60.0, help="the rush: the last N seconds (default 60)")
    parser.add_argument(
        "--ramp",
        action="store_true",
        help="arrivals growing linearly towards the deadline (twice the mean rate at the end) instead of evenly spread",
    )
    parser.add_argument(
        "--login-in-window",
        action="store_true",
        help="the applicants also log in during the window (up to 12 s before the deadline) "
        "instead of 10-40 s before their click",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--job-workers", type=int, default=1, help="`flask jobs worker` processes (default 1)")
    parser.add_argument(
        "--job-nice",
        type=int,
        default=10,
        help="CPU priority of the job workers, as `nice -n` (default 10: the books they make yield "
        "the CPU to the web requests; 0 for none)",
    )
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/bench_rush",
        help="scratch PostgreSQL database, dropped and created again (its name must start with 'bench')",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/11",
        help="Redis database for the job queue and the login throttle, flushed first",
    )
    parser.add_argument(
        "--books-wait",
        type=float,
        default=30.0,
        help="wait for the application books until this many seconds after the deadline (default "
        "30); the books not made by then must each have one job waiting in the queue",
    )
    parser.add_argument(
        "--write-docs", action="store_true", help="replace the Deadline rush section of docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    if args.window <= LAST_LOGIN + 5:
        parser.error(f"--window must be more than {LAST_LOGIN + 5:.0f} seconds")
    lead = 0.0 if args.login_in_window else LEAD[1]  # the first logins come this long before the window

    from redis import Redis

    load_before = os.getloadavg()[0]
    print(f"# load average before: {load_before:.2f} ({os.cpu_count()} cores)", flush=True)
    fresh_postgresql(args.database_url)
    Redis.from_url(args.redis_url).flushdb()
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-rush-") as tmp:
        scratch = Path(tmp)
        env = dict(os.environ)
        env.update(
            {
                "PORTAL_ENV": "production",
                "SECRET_KEY": secrets.token_urlsafe(48),
                "DATABASE_URL": args.database_url,
                "REDIS_URL": args.redis_url,
                "PORTAL_INSTANCE_DIR": str(scratch / "instance"),
                "UPLOAD_FOLDER": str(scratch / "uploads"),
                "PORTAL_BASE_URL": "https://talent.example.cn",
                "MAIL_SERVER": "",
                "RATELIMIT_STORAGE_URI": "",
                "FLASK_APP": "wsgi.py",
            }
        )
        os.environ.update(env)

        from flask_babel import force_locale
        from flask_babel import gettext as _
        from sqlalchemy import update

        from portal import create_app
        from portal.applications.services import beijing
        from portal.extensions import db
        from portal.programs.models import Call

        app = create_app()
        with app.test_request_context():
            app.config["REDIS_URL"] = ""  # set-up: its few emails are logged in this process, no job left behind
            started = time.perf_counter()
            call_id, drafts, timings = setup_database(args.applicants + args.late)
            app.config["REDIS_URL"] = args.redis_url
            setup_seconds = time.perf_counter() - started
            print(
                f"# set-up: {setup_seconds:.1f} s (migrate {timings['migrate']:.1f} s, demo {timings['demo']:.1f} s,"
                f" {len(drafts)} applicants with complete drafts {timings['applicants']:.1f} s, all checked "
                f"submittable {timings['review']:.1f} s)",
                flush=True,
            )
            port = free_port()
            procs = start_servers(env, scratch, port, args.workers, args.job_workers, args.job_nice)
            try:
                # The deadline: a whole second, the window (+ the logins before it, + 2 s to start the
                # threads) from now.
                deadline = math.ceil(time.time() + 2 + lead + args.window)
                deadline_dt = datetime.datetime.fromtimestamp(deadline, datetime.UTC)
                db.session.execute(update(Call).where(Call.id == call_id).values(closes_at=deadline_dt))
                db.session.commit()
                with force_locale("zh_CN"):
                    expected = {
                        "submitted": _("Your application has been submitted. Your unit will review it."),
                        "already": _("This application had already been submitted; nothing was submitted twice."),
                        "closed": _(
                            "The call closed at %(time)s (Beijing time); submissions are no longer accepted.",
                            time=beijing(deadline_dt),
                        ),
                    }
                plans = make_plans(
                    drafts, args.applicants, args.late, deadline, args.window, args.ramp, args.login_in_window
                )
                records: list[Record] = []
                lock = threading.Lock()
                outcomes = [Outcome(plan) for plan in plans]
                threads = [
                    threading.Thread(
                        target=run_applicant, args=(o.plan, Browser("127.0.0.1", port, records, lock), o), daemon=True
                    )
                    for o in outcomes
                ]
                print(
                    f"# rush: {args.applicants} applicants submit in the last {args.window:.0f} s before "
                    f"{deadline_dt:%H:%M:%S} UTC (logins "
                    + (
                        "in the window too"
                        if args.login_in_window
                        else f"{LEAD[0]:.0f}-{LEAD[1]:.0f} s before each click, from {args.window + LEAD[1]:.0f} s "
                        "before the deadline"
                    )
                    + f"), {args.late} after it; gunicorn {args.workers} workers on port {port}, "
                    f"{args.job_workers} job worker(s) at nice {args.job_nice}",
                    flush=True,
                )
                cpu_before = servers_cpu(procs)
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(timeout=max(1.0, deadline + 120 - time.time()))
                if any(t.is_alive() for t in threads):
                    failures.append("some applicants had not finished 2 minutes after the deadline")
                cpu_rush = [after - before for after, before in zip(servers_cpu(procs), cpu_before, strict=True)]
                _books, books_at = wait_for_books(plans, deadline + args.books_wait)
            finally:
                stop(procs)
            queued, failed_jobs = queued_books(args.redis_url)
            load_after = os.getloadavg()[0]
            facts = check_database(plans, deadline_dt, queued)
            version_text = versions()
        statuses, server = access_log(scratch)
        logged_errors = server_errors(scratch)
        kept = Path(tempfile.mkdtemp(prefix="bench-rush-logs-"))
        for name in ("gunicorn.log", "jobs.log", "access.log"):
            (kept / name).write_bytes((scratch / name).read_bytes())

    # -- Evaluate the answers ----------------------------------------------------------------------------------
    unexpected, answered_right = [], {}
    for o in outcomes:
        p = o.plan
        unexpected += [f"applicant {p.index} ({p.kind}): {problem}" for problem in o.problems]
        if o.problems:
            answered_right[p.index] = False
            continue
        texts = [(where, [t for _c, t in found]) for where, found in o.messages]
        flat = [t for _where, found in texts for t in found]
        if p.kind == "late":
            ok = bool(texts) and all(
                where.endswith("/edit/review") and expected["closed"] in found for where, found in texts
            )
        elif p.kind == "single":
            ok = len(texts) == 1 and flat == [expected["submitted"]]
        elif p.kind == "double":
            ok = len(texts) == 2 and sorted(flat) == sorted([expected["submitted"], expected["already"]])
        elif o.retry_timed_out:  # the timed-out first POST shows nothing; the retry "submitted" or "already"
            ok = len(texts) == 1 and flat in ([expected["submitted"]], [expected["already"]])
        else:
            ok = len(texts) == 1 and flat == [expected["submitted"]]
        answered_right[p.index] = ok
        if not ok:
            unexpected.append(f"applicant {p.index} ({p.kind}): messages {texts}")
    wrong = len(unexpected)
    errors = [r for r in records if r.status is None and not r.deliberate_timeout]
    unexpected += [f"{r.kind}: no answer ({r.error})" for r in errors]
    client_4xx = [r for r in records if r.status is not None and 400 <= r.status < 500]
    unexpected += [f"{r.kind}: HTTP {r.status}" for r in client_4xx]
    five = sum(count for status, count in statuses.items() if status >= 500)
    requests = sum(statuses.values())
    on_time = [o for o in outcomes if o.plan.kind != "late"]
    click_delays = [
        o.clicked_at - o.plan.click_at for o in outcomes if o.clicked_at is not None and o.plan.click_at is not None
    ]
    submits = [r for r in records if r.kind == "submit"]
    on_time_sent = [r.sent_at - deadline for r in submits if r.sent_at < deadline]
    late_sent = [r.sent_at - deadline for r in submits if r.sent_at >= deadline]
    results = {
        "applicants": args.applicants,
        "late": args.late,
        "window": args.window,
        "workers": args.workers,
        "ramp": args.ramp,
        "book_lag": spread(facts["book_lag"]),
        "submits_handled": len(server["submit_server"]),
        "submits_sent": len(submits),
        "cpu_web": cpu_rush[0],
        "cpu_jobs": cpu_rush[1],
        "job_workers": args.job_workers,
        "job_nice": args.job_nice,
        "login_in_window": args.login_in_window,
        "delayed_clicks": sum(d > 1 for d in click_delays),
        "max_click_delay": max(click_delays, default=0.0),
        "setup": setup_seconds,
        "doubles": sum(o.plan.kind == "double" for o in on_time),
        "retries": sum(o.plan.kind == "retry" for o in on_time),
        "retry_timeouts": sum(bool(o.retry_timed_out) for o in on_time),
        "exactly_once": facts["exactly_once"],
        "late_ok": 0,
        "5xx": five,
        "requests": requests,
        "unexpected": len(unexpected),
        "first_submit": min(on_time_sent, default=math.nan),
        "last_submit": max(on_time_sent, default=math.nan),
        "login": spread([r.seconds for r in records if r.kind == "login" and r.status is not None]),
        "page": spread([r.seconds for r in records if r.kind == "page" and r.status is not None]),
        "submit": spread([r.seconds for r in submits if r.status is not None]),
        "submit_server": spread(server["submit_server"]),
        "wall": max(r.sent_at + r.seconds for r in records) - min(r.sent_at for r in records),
        "submit_wall": max(r.sent_at + r.seconds for r in submits) - min(r.sent_at for r in submits),
        "books": facts["books"],
        "books_queued": facts["books_queued"],
        "failed_jobs": failed_jobs,
        "books_after": books_at - deadline,
        "chain_rows": facts["chain_rows"],
        "load": (load_before, load_after),
        "machine": machine(),
        "versions": version_text,
    }
    late_answered = sum(answered_right[o.plan.index] for o in outcomes if o.plan.kind == "late")
    results["late_ok"] = min(late_answered, facts["late_untouched"])

    n = args.applicants
    print(
        f"submitted: {facts['exactly_once']}/{n} exactly once (state, submission_count, snapshot, one submit "
        f"audit entry, one status email per unit admin)",
        flush=True,
    )
    print(f"late: {results['late_ok']}/{args.late} refused with the deadline message, nothing recorded")
    print(
        f"5xx: {five} (of {requests} requests in gunicorn's access log: "
        + ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))
        + ")"
    )
    print(
        f"unexpected answers: {len(unexpected)} ({wrong} applicants with a wrong or missing answer or message, "
        f"{len(errors)} requests without an answer, {len(client_4xx)} x 4xx)"
    )
    print(
        f"double clicks: {results['doubles']}; retries after a {RETRY_TIMEOUT} s timeout: {results['retries']} "
        f"({results['retry_timeouts']} timed out); submit POSTs sent: {len(submits)}, handled by gunicorn: "
        f"{results['submits_handled']}"
    )
    if not args.login_in_window:
        print(
            f"clicks more than 1 s later than planned (slow login or page): {results['delayed_clicks']}, "
            f"the latest by {results['max_click_delay']:.1f} s"
        )
    print(
        f"submit POSTs sent from {-results['first_submit']:.1f} s to {-results['last_submit']:.1f} s before the "
        f"deadline; late ones {min(late_sent, default=math.nan):.1f}-{max(late_sent, default=math.nan):.1f} s after"
    )
    for key, label in (("login", "login"), ("page", "submit page"), ("submit", "submit")):
        s = results[key]
        print(f"{label} p50: {s['p50']:.0f} ms, p95: {s['p95']:.0f} ms, max: {s['max']:.0f} ms ({s['n']} requests)")
    s = results["submit_server"]
    print(f"submit server-side (gunicorn) p50: {s['p50']:.0f} ms, p95: {s['p95']:.0f} ms, max: {s['max']:.0f} ms")
    print(
        f"rush wall time: {results['wall']:.1f} s (first login page to last answer); submissions: "
        f"{results['submit_wall']:.1f} s (first submit POST to last answer)"
    )
    print(
        f"CPU time during the rush: gunicorn {results['cpu_web']:.1f} s "
        f"({results['cpu_web'] / (n + args.late) * 1000:.0f} ms per applicant), job worker(s) "
        f"{results['cpu_jobs']:.1f} s"
    )
    s = results["book_lag"]
    print(
        f"books: {books_line(results)}; from submission to book p50: {s['p50'] / 1000:.1f} s, "
        f"max: {s['max'] / 1000:.1f} s"
    )
    print(f"audit chain: {'intact' if facts['chain_ok'] else 'BROKEN'} ({facts['chain_rows']} entries)")
    print(f"server errors logged: {len(logged_errors)}")
    print(f"# load average after: {load_after:.2f}", flush=True)

    failures += facts["problems"] + unexpected + logged_errors
    if facts["exactly_once"] != n:
        failures.append(f"only {facts['exactly_once']}/{n} applications submitted exactly once")
    if five:
        failures.append(f"{five} responses with a 5xx status")
    if facts["books"] + facts["books_queued"] != n or failed_jobs:
        failures.append(f"books: {books_line(results)}")
    if results["late_ok"] != args.late:
        failures.append(f"{results['late_ok']}/{args.late} late applicants refused properly")
    if failures:
        print(f"FAILED: {len(failures)} problem(s); the servers' logs are in {kept}", file=sys.stderr)
        for problem in failures[:30]:
            print("  " + problem, file=sys.stderr)
        return 1
    shutil.rmtree(kept, ignore_errors=True)
    if args.write_docs:
        command = ".venv/bin/python bench/rush.py " + " ".join(argv if argv is not None else sys.argv[1:])
        write_docs(ROOT / "docs" / "benchmarks.md", command.strip(), results)
        print("# wrote docs/benchmarks.md", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
