"""Letter verbs: versioned templates, issuing (one or in batch), revoking and verifying letters (SPEC §6.4)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import random
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from .. import jobs
from ..accounts.models import User
from ..accounts.services import external_url
from ..applications.models import Application
from ..audit.services import record
from ..chinese import chinese_date, serial_number
from ..database import commit, local_today, rollback, to_local, utcnow
from ..errors import Refusal
from ..extensions import db
from ..notifications.services import deliver_later, queue_email
from ..programs.models import Call, Program
from ..storage import PdfInfo, save_document
from . import rendering
from .models import ACTIVE_JOB_STATUSES, OUTCOMES, Letter, LetterJob, LetterJobStatus, LetterStatus, LetterTemplate

log = logging.getLogger(__name__)

#: Application state -> letter outcome.
OUTCOME_FOR_STATE = {"awarded": "approved", "rejected": "rejected", "waitlisted": "waitlisted"}
OUTCOME_LABELS = {
    "approved": _l("Selection letter"),
    "rejected": _l("Non-selection notice"),
    "waitlisted": _l("Waiting-list notice"),
}

_STATIC = Path(rendering.STATIC_ROOT)
DEFAULT_TERMS = {
    "approved": [
        "入选者应在收到通知后三十日内签订任务书，明确聘期目标、年度计划和考核指标。",
        "专项经费须按照国家有关规定管理使用，专款专用，不得挪作他用。",
    ],
    "rejected": [
        "您可自收到本通知之日起十五日内登录人才计划管理平台查看评审意见，并可按规定申请复审。",
        "符合条件的，欢迎您参加下一年度申报。",
    ],
    "waitlisted": [
        "候补资格有效期至本年度评审工作结束之日。",
        "如有入选者放弃或被取消入选资格，将按候补顺序递补，并另行书面通知。",
    ],
}


class LetterError(Refusal):
    """A letter cannot be issued or revoked; the message is for the program admin."""


# ---------------------------------------------------------------- templates


def default_source(outcome: str) -> str:
    """The built-in template of an outcome (portal/static/letters/<name>.html)."""
    name = {"approved": "approval", "rejected": "rejected", "waitlisted": "waitlisted"}[outcome]
    return (_STATIC / f"{name}.html").read_text(encoding="utf-8")


def template_versions(program: Program, outcome: str) -> list[LetterTemplate]:
    """Every version of a program's template for an outcome, newest first."""
    return (
        db.session.execute(
            select(LetterTemplate)
            .where(LetterTemplate.program_id == program.id, LetterTemplate.outcome == outcome)
            .order_by(LetterTemplate.version.desc())
        )
        .scalars()
        .all()
    )


def template_for(program: Program, outcome: str) -> LetterTemplate:
    """The latest version; version 1 is seeded (flushed) from the default template when there is none."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    latest = db.session.execute(
        select(LetterTemplate)
        .where(LetterTemplate.program_id == program.id, LetterTemplate.outcome == outcome)
        .order_by(LetterTemplate.version.desc())
        .limit(1)
    ).scalar()
    if latest is None:
        latest = LetterTemplate(
            program_id=program.id,
            outcome=outcome,
            version=1,
            source=default_source(outcome),
            note="默认模板 / default template",
        )
        db.session.add(latest)
        db.session.flush()
    return latest


def save_template(program: Program, outcome: str, source: str, actor, note: str = "") -> LetterTemplate:
    """Store a new version after proving it renders in the sandbox; raises TemplateError if refused."""
    rendering.check_template(source)
    # A full render on sample data also catches undefined placeholders and refused assets (file:, http:).
    rendering.render_letter_pdf(source, sample_context(program, outcome))
    current = template_for(program, outcome)
    version = LetterTemplate(
        program_id=program.id,
        outcome=outcome,
        version=current.version + 1,
        source=source,
        note=(note or "")[:500],
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    record(
        "letter.template_saved",
        version,
        actor=actor,
        data={"program_id": program.id, "outcome": outcome, "version": version.version},
    )
    return version


def sample_context(program: Program, outcome: str) -> dict:
    """Sample values for the live preview: the program's own name and year, a made-up recipient."""
    year = db.session.execute(select(func.max(Call.year)).where(Call.program_id == program.id)).scalar()
    code = "SAMP-LE00-0000-0000"
    return rendering.sample_context(
        issuer_name=_issuer(),
        program_name=program.name_zh,
        program_year=year or local_today().year,
        serial_year=local_today().year,
        serial_no=12,
        serial=serial_number(local_today().year, 12),
        outcome=outcome,
        terms=list(DEFAULT_TERMS[outcome]),
        issue_date=local_today(),
        verification_code=code,
        verification_url=external_url("verify.show", code=code),
    )


def _issuer() -> str:
    return current_app.config.get("LETTER_ISSUER_NAME") or "人才计划办公室"


# ---------------------------------------------------------------- issuing


def new_verification_code() -> str:
    """80 random bits as 16 base32 characters in groups of four: unguessable, short enough to type."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalise_code(code: str) -> str:
    """What a person typed (any case, spaces, missing dashes) as the stored form."""
    raw = re.sub(r"[^A-Z2-7]", "", (code or "").upper())[:16]
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _next_serial(program_id: int, year: int) -> int:
    """The next number of the program's year, with the program row locked until the transaction ends."""
    db.session.execute(select(Program.id).where(Program.id == program_id).with_for_update())
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE; a write takes its database lock now, before the max is read.
        db.session.execute(text("UPDATE programs SET id = id WHERE id = :id"), {"id": program_id})
    last = db.session.execute(
        select(func.max(Letter.serial_no)).where(Letter.program_id == program_id, Letter.serial_year == year)
    ).scalar()
    return (last or 0) + 1


def valid_letter(application_id: int) -> Letter | None:
    """The application's letter in force, if any."""
    return db.session.execute(
        select(Letter).where(Letter.application_id == application_id, Letter.status == LetterStatus.VALID)
    ).scalar()


def letter_context(
    application: Application, outcome: str, serial_year: int, serial_no: int, code: str, issue_date: date
) -> dict:
    """The placeholders of a real letter."""
    program = application.call.program
    return {
        "issuer_name": _issuer(),
        "serial_year": serial_year,
        "serial_no": serial_no,
        "serial": serial_number(serial_year, serial_no),
        "recipient_name": application.applicant.name,
        "program_name": program.name_zh,
        "program_year": application.call.year,
        "outcome": outcome,
        "unit_name": application.unit.name_zh if application.unit else "",
        "project_title": application.title,
        "terms": list(DEFAULT_TERMS[outcome]),
        "issue_date": issue_date,
        "verification_code": code,
        "verification_url": external_url("verify.show", code=code),
    }


def _page_count(pdf: bytes) -> int:
    """Pages of a PDF we rendered ourselves (no need for the upload checks' full parse)."""
    return max(1, len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf)))


def batch_running(program_id: int) -> bool:
    """Whether a batch of this program's letters is queued or running (it holds reserved serial numbers)."""
    return (
        db.session.execute(
            select(LetterJob.id)
            .join(Call, Call.id == LetterJob.call_id)
            .where(Call.program_id == program_id, LetterJob.status.in_(ACTIVE_JOB_STATUSES))
            .limit(1)
        ).first()
        is not None
    )


def reserve_serials(program_id: int, year: int, count: int) -> int:
    """The first of `count` consecutive serial numbers for a batch, taken under the program's lock.

    A batch renders its letters in parallel on several workers: numbering them up front keeps the
    lock for one short transaction instead of for every render."""
    return _next_serial(program_id, year) if count else 0


@dataclass(frozen=True)
class RenderedLetter:
    """A letter rendered ahead of the transaction that stores it (batches render outside any lock)."""

    outcome: str
    template_id: int
    serial_no: int
    issue_date: date
    code: str
    pdf: bytes


def render_for(application: Application, serial_no: int, template: LetterTemplate | None = None) -> RenderedLetter:
    """Render the application's letter with a reserved serial number; writes nothing (a batch passes the
    template it loaded for its chunk)."""
    outcome = OUTCOME_FOR_STATE.get(application.state)
    if outcome is None:
        raise LetterError(str(_l("No letter for an application in this state.")))
    if template is None or template.outcome != outcome:
        template = template_for(application.call.program, outcome)
    issue_date, code = local_today(), new_verification_code()
    context = letter_context(application, outcome, issue_date.year, serial_no, code, issue_date)
    pdf = rendering.render_letter_pdf(template.source, context)
    return RenderedLetter(outcome, template.id, serial_no, issue_date, code, pdf)


_LOOK_UP = object()


def issue_letter(
    application: Application,
    actor,
    reason: str = "",
    *,
    rendered: RenderedLetter | None = None,
    previous=_LOOK_UP,
    version: int | None = None,
) -> Letter:
    """Render, store and record the application's letter; a letter in force is revoked and replaced.

    A batch passes a letter it already `rendered` with a reserved serial number, and the `previous`
    letter in force (or None) and the new `version` it loaded for its whole chunk; otherwise the
    next number is taken under the program's lock (refused while a batch of the program holds
    numbers) and the rest is looked up here."""
    program = application.call.program
    if rendered is None:
        if OUTCOME_FOR_STATE.get(application.state) is None:
            raise LetterError(str(_l("No letter for an application in this state.")))
        if batch_running(program.id):
            raise LetterError(
                str(_l("Letters of this program are being issued in a batch; try again when it has finished."))
            )
        rendered = render_for(application, _next_serial(program.id, local_today().year))
    outcome, code, serial_no, pdf = rendered.outcome, rendered.code, rendered.serial_no, rendered.pdf
    year = rendered.issue_date.year
    if previous is _LOOK_UP:
        previous = valid_letter(application.id)
    if version is None:
        version = (
            db.session.execute(select(func.max(Letter.version)).where(Letter.application_id == application.id)).scalar()
            or 0
        ) + 1
    info = PdfInfo(size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(), page_count=_page_count(pdf))
    document = save_document(
        pdf, kind="letter", original_name=f"letter-{year}-{serial_no:04d}.pdf", owner_id=None, checked=info
    )
    if previous is not None:  # first, as an application has one letter in force at most
        _mark_revoked(previous, reason or "重新签发 / re-issued")
    letter = Letter(
        application_id=application.id,
        program_id=program.id,
        template_id=rendered.template_id,
        outcome=outcome,
        serial_year=year,
        serial_no=serial_no,
        serial=serial_number(year, serial_no),
        verification_code=code,
        version=version,
        status=LetterStatus.VALID.value,
        document_id=document.id,
        sha256=document.sha256,
        issued_at=utcnow(),
        issued_by_id=getattr(actor, "id", None),
    )
    db.session.add(letter)
    db.session.flush()
    user = application.applicant
    queue_email(
        user.email,
        "letter_issued",
        locale=user.locale or "zh_CN",
        user=user,
        letter=letter,
        program_name=program.name_zh if (user.locale or "zh").startswith("zh") else program.name_en,
        link=external_url("my_letters.download", application_id=application.id),
    )
    # The audit entries last: the chain's lock is held from the first entry to the commit.
    if previous is not None:
        previous.replaced_by_id = letter.id
        _record_revoked(previous, actor)
    record(
        "letter.issued",
        letter,
        actor=actor,
        data={
            "application_id": application.id,
            "serial": letter.serial,
            "version": version,
            "sha256": letter.sha256,
            "replaces": previous.id if previous else None,
        },
    )
    return letter


def _mark_revoked(letter: Letter, reason: str) -> None:
    # Only the row changes: the stored PDF and its hash stay exactly as issued.
    letter.status = LetterStatus.REVOKED.value
    letter.revoked_at = utcnow()
    letter.revoked_reason = (reason or "")[:500]
    db.session.flush()


def _record_revoked(letter: Letter, actor) -> None:
    db.session.flush()
    record(
        "letter.revoked",
        letter,
        actor=actor,
        data={"reason": letter.revoked_reason, "replaced_by": letter.replaced_by_id},
    )


def revoke_letter(letter: Letter, actor, reason: str) -> None:
    """Revoke a letter in force without replacing it."""
    if letter.status != LetterStatus.VALID:
        raise LetterError(str(_l("This letter is already revoked.")))
    _mark_revoked(letter, reason)
    _record_revoked(letter, actor)


def verify_pdf(letter: Letter, data: bytes) -> bool:
    """True only if `data` is byte for byte the issued PDF."""
    return hmac.compare_digest(hashlib.sha256(data or b"").hexdigest(), letter.sha256)


# ---------------------------------------------------------------- batches


def _needing_letters(call_id: int):
    """The call's decided applications without a letter in force for their current outcome (a SELECT of ids)."""
    outcome = case(*[(Application.state == state, value) for state, value in OUTCOME_FOR_STATE.items()])
    return (
        select(Application.id)
        .outerjoin(Letter, (Letter.application_id == Application.id) & (Letter.status == LetterStatus.VALID))
        .where(
            Application.call_id == call_id,
            Application.state.in_(OUTCOME_FOR_STATE),
            Letter.id.is_(None) | (Letter.outcome != outcome),
        )
    )


def applications_needing_letters(call_id: int) -> list[int]:
    """Ids of the call's decided applications without a letter in force for their current outcome."""
    return list(db.session.execute(_needing_letters(call_id).order_by(Application.id)).scalars())


def count_needing_letters(call_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(_needing_letters(call_id).subquery())).scalar_one()


#: Letters per background job of a batch: small enough that 2+ workers share a batch evenly, large
#: enough that the per-job overhead (queue round trip, session, actor) stays negligible.
BATCH_CHUNK_SIZE = 25
#: Attempts per letter when SQLite answers "database is locked" (two workers writing at once).
_LOCK_ATTEMPTS = 8


def start_batch(call: Call, actor) -> LetterJob:
    """A queued job for every letter the call still needs.

    The caller commits, then enqueues run_batch(job.id) (``after_commit``): run_batch splits the
    job into chunks of BATCH_CHUNK_SIZE letters, each its own background job, so that every worker
    takes a share of the batch."""
    if batch_running(call.program_id):
        raise LetterError(
            str(_l("Letters of this program are being issued in a batch; try again when it has finished."))
        )
    job = LetterJob(
        call_id=call.id,
        status=LetterJobStatus.QUEUED.value,
        total=count_needing_letters(call.id),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(job)
    db.session.flush()
    record("letter.batch_started", job, actor=actor, data={"call_id": call.id, "total": job.total})
    return job


@jobs.job("letters.run_batch")
def run_batch(job_id: int, chunk_size: int | None = None) -> None:
    """The job: claim it, fix its list of letters, and enqueue one job per chunk of letters.

    With RQ the chunks are shared by the workers; without REDIS_URL they run right here, one
    after another (same code). Progress (done / failed) is counted by the chunks, and the chunk
    that counts the last letter marks the job done (or failed)."""
    job = db.session.get(LetterJob, job_id)
    if job is None or job.status != LetterJobStatus.QUEUED:
        return  # already run (a retried job must not issue letters twice)
    ids = applications_needing_letters(job.call_id)
    call = db.session.get(Call, job.call_id)
    first = reserve_serials(call.program_id, local_today().year, len(ids))
    numbered = [[app_id, first + i] for i, app_id in enumerate(ids)]
    claimed = db.session.execute(
        update(LetterJob)
        .where(LetterJob.id == job_id, LetterJob.status == LetterJobStatus.QUEUED)
        .values(status=LetterJobStatus.RUNNING.value, total=len(ids), done=0, failed=0)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        rollback()
        return
    commit()
    if not ids:
        _finish_batch(job_id)
        return
    size = max(1, chunk_size or current_app.config.get("LETTER_BATCH_CHUNK") or BATCH_CHUNK_SIZE)
    for start in range(0, len(numbered), size):
        jobs.enqueue(run_batch_chunk, job_id, numbered[start : start + size])


@dataclass
class _Chunk:
    """What a chunk of a batch loads once for all its letters (four queries instead of ~15 per letter)."""

    applications: dict[int, Application]
    valid: dict[int, Letter]
    versions: dict[int, int]
    templates: dict[tuple[int, str], LetterTemplate]
    actor: User | None

    def template(self, application: Application) -> LetterTemplate | None:
        return self.templates.get((application.call.program_id, OUTCOME_FOR_STATE.get(application.state)))


def _load_chunk(application_ids: list[int], actor_id: int | None) -> _Chunk:
    applications = {
        a.id: a
        for a in db.session.execute(
            select(Application)
            .where(Application.id.in_(application_ids))
            .options(
                joinedload(Application.applicant),
                joinedload(Application.unit),
                joinedload(Application.call).joinedload(Call.program),
            )
        )
        .unique()
        .scalars()
    }
    valid = {
        letter.application_id: letter
        for letter in db.session.execute(
            select(Letter).where(Letter.application_id.in_(application_ids), Letter.status == LetterStatus.VALID)
        ).scalars()
    }
    versions = dict(
        db.session.execute(
            select(Letter.application_id, func.max(Letter.version))
            .where(Letter.application_id.in_(application_ids))
            .group_by(Letter.application_id)
        ).all()
    )
    templates = {}
    for application in applications.values():
        outcome = OUTCOME_FOR_STATE.get(application.state)
        key = (application.call.program_id, outcome)
        if outcome and key not in templates:
            templates[key] = template_for(application.call.program, outcome)
    actor = db.session.get(User, actor_id) if actor_id else None
    return _Chunk(applications, valid, versions, templates, actor)


@jobs.job("letters.run_batch_chunk")
def run_batch_chunk(job_id: int, letters: list) -> None:
    """One chunk of a batch: issue its letters, each in its own transaction together with the
    job's counter (done = done + 1, or failed = failed + 1), so concurrent chunks never lose a count
    and a chunk run twice (an RQ retry) skips the letters it already issued.

    The chunk's rows are loaded once and kept through the letters' commits; the applicants' emails
    go out together when the chunk ends (one delivery job, one SMTP connection)."""
    job = db.session.get(LetterJob, job_id)
    if job is None or job.status != LetterJobStatus.RUNNING:
        return
    actor_id = job.created_by_id
    warm_up_renderer()
    items = [(int(application_id), int(serial_no)) for application_id, serial_no in letters]
    session = db.session()
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = False  # the chunk's rows stay loaded through each letter's commit
    try:
        with deliver_later():
            # Committed at once: ends the read transaction (a template seeded just now included).
            chunk = _when_unlocked(_load_chunk, [application_id for application_id, _serial in items], actor_id)
            for application_id, serial_no in items:  # [application id, reserved serial number]
                _issue_batch_letter(job_id, application_id, serial_no, chunk)
    finally:
        session.expire_on_commit = expire_on_commit
    _finish_batch(job_id)


_warmed_pid = None


def warm_up_renderer() -> None:
    """Warm the process's letter renderer up once (fonts, caches: ~0.3 s); later calls cost nothing."""
    global _warmed_pid
    if _warmed_pid != os.getpid():  # a forked child starts from its parent's flag
        rendering.letter_renderer().warm_up()
        _warmed_pid = os.getpid()


def _is_locked(exc: Exception) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig or exc).lower()


def _when_unlocked(work, *args, **kwargs):
    """``work(*args, **kwargs)`` then commit; when SQLite answers "database is locked" (two workers writing at once),
    roll back and try again after a short, growing, random pause. Returns what ``work`` returned."""
    for attempt in range(_LOCK_ATTEMPTS):
        try:
            result = work(*args, **kwargs)
            commit()
            return result
        except OperationalError as exc:
            rollback()
            if not _is_locked(exc) or attempt + 1 == _LOCK_ATTEMPTS:
                raise
            time.sleep(0.02 * 2**attempt * (0.5 + random.random()))


def _issue_batch_letter(job_id: int, application_id: int, serial_no: int, chunk: _Chunk) -> None:
    """Issue one letter of a batch and count it, in one transaction; a letter that fails is counted as failed
    and does not stop the batch.

    The letter is rendered outside any transaction, so the ~30 ms render never holds a database lock
    the other workers wait for, and a retry after a lock conflict re-renders nothing."""
    try:
        application = chunk.applications.get(application_id)
        if application is None:
            raise LetterError(f"application {application_id} not found")
        outcome = OUTCOME_FOR_STATE.get(application.state)
        current = chunk.valid.get(application_id)
        if outcome is not None and current is not None and current.outcome == outcome:
            return  # issued (and counted) by an earlier run of this chunk
        rendered = render_for(application, serial_no, chunk.template(application))

        def store() -> Letter:
            letter = issue_letter(
                application,
                chunk.actor,
                rendered=rendered,
                previous=current,
                version=chunk.versions.get(application_id, 0) + 1,
            )
            _count(job_id, done=1)
            return letter

        letter = _when_unlocked(store)
    except Exception as exc:  # one bad letter must not stop the batch
        rollback()
        log.exception("letter for application %s failed", application_id)
        _when_unlocked(
            _count, job_id, failed=1, error=f"application {application_id}: {getattr(exc, 'message', None) or exc}"
        )
        return
    chunk.valid[application_id] = letter
    chunk.versions[application_id] = letter.version


def _count(job_id: int, *, done: int = 0, failed: int = 0, error: str = "") -> None:
    """Atomic progress update (done = done + 1), in the letter's own transaction."""
    values = {"done": LetterJob.done + done, "failed": LetterJob.failed + failed}
    if error:
        values["error"] = func.coalesce(LetterJob.error, "") + (error + "\n")
    db.session.execute(
        update(LetterJob).where(LetterJob.id == job_id).values(**values).execution_options(synchronize_session=False)
    )


def _finish_batch(job_id: int) -> None:
    """Mark the job done (or failed) once every letter is counted; only one chunk wins the UPDATE."""

    def finish() -> None:
        finished = db.session.execute(
            update(LetterJob)
            .where(
                LetterJob.id == job_id,
                LetterJob.status == LetterJobStatus.RUNNING,
                LetterJob.done + LetterJob.failed >= LetterJob.total,
            )
            .values(
                status=case(
                    ((LetterJob.failed > 0) & (LetterJob.done == 0), LetterJobStatus.FAILED.value),
                    else_=LetterJobStatus.DONE.value,
                ),
                finished_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if finished:
            job = db.session.get(LetterJob, job_id)
            db.session.refresh(job)
            if job.error and len(job.error) > 5000:
                job.error = job.error.strip()[-5000:]
            log.info("letter batch %s %s: %s done, %s failed", job_id, job.status, job.done, job.failed)

    _when_unlocked(finish)


def chinese_issue_date(letter: Letter) -> str:
    """The letter's date as printed on it."""
    return chinese_date(to_local(letter.issued_at).date())
