"""Letter verbs: versioned templates, issuing (one or in batch), revoking and verifying letters (SPEC §6.4)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from ..accounts.models import User
from ..accounts.services import external_url
from ..applications.documents import save_document
from ..applications.models import Application
from ..audit.services import record
from ..database import commit, rollback, utcnow
from ..extensions import db
from ..notifications.services import queue_email
from ..programs.models import Call, Program
from . import render
from .chinese import chinese_date, serial_number
from .models import OUTCOMES, Letter, LetterJob, LetterTemplate

log = logging.getLogger(__name__)

#: Application state -> letter outcome.
OUTCOME_FOR_STATE = {"awarded": "approved", "rejected": "rejected", "waitlisted": "waitlisted"}
OUTCOME_LABELS = {"approved": _l("Selection letter"), "rejected": _l("Non-selection notice"),
                  "waitlisted": _l("Waiting-list notice")}
STATUS_LABELS = {"valid": _l("Valid"), "revoked": _l("Revoked")}

_STATIC = Path(render.STATIC_ROOT)
DEFAULT_TERMS = {
    "approved": ["入选者应在收到通知后三十日内签订任务书，明确聘期目标、年度计划和考核指标。",
                 "专项经费须按照国家有关规定管理使用，专款专用，不得挪作他用。"],
    "rejected": ["您可自收到本通知之日起十五日内登录人才计划管理平台查看评审意见，并可按规定申请复审。",
                 "符合条件的，欢迎您参加下一年度申报。"],
    "waitlisted": ["候补资格有效期至本年度评审工作结束之日。",
                   "如有入选者放弃或被取消入选资格，将按候补顺序递补，并另行书面通知。"],
}


class LetterError(Exception):
    """A letter cannot be issued or revoked; the message is for the program admin."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- templates

def default_source(outcome: str) -> str:
    """The built-in template of an outcome (portal/static/letters/<name>.html)."""
    name = {"approved": "approval", "rejected": "rejected", "waitlisted": "waitlisted"}[outcome]
    return (_STATIC / f"{name}.html").read_text(encoding="utf-8")


def template_versions(program: Program, outcome: str) -> list[LetterTemplate]:
    """Every version of a program's template for an outcome, newest first."""
    return db.session.execute(
        select(LetterTemplate).where(LetterTemplate.program_id == program.id, LetterTemplate.outcome == outcome)
        .order_by(LetterTemplate.version.desc())).scalars().all()


def template_for(program: Program, outcome: str) -> LetterTemplate:
    """The latest version; version 1 is seeded (flushed) from the default template when there is none."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    latest = db.session.execute(
        select(LetterTemplate).where(LetterTemplate.program_id == program.id, LetterTemplate.outcome == outcome)
        .order_by(LetterTemplate.version.desc()).limit(1)).scalar()
    if latest is None:
        latest = LetterTemplate(program_id=program.id, outcome=outcome, version=1, source=default_source(outcome),
                                note="默认模板 / default template")
        db.session.add(latest)
        db.session.flush()
    return latest


def save_template(program: Program, outcome: str, source: str, actor, note: str = "") -> LetterTemplate:
    """Store a new version after proving it renders in the sandbox; raises render.TemplateError if refused."""
    render.check_template(source)
    # A full render on sample data also catches undefined placeholders and refused assets (file:, http:).
    render.render_letter_pdf(source, sample_context(program, outcome))
    current = template_for(program, outcome)
    version = LetterTemplate(program_id=program.id, outcome=outcome, version=current.version + 1, source=source,
                             note=(note or "")[:500], created_by_id=getattr(actor, "id", None))
    db.session.add(version)
    db.session.flush()
    record("letter.template_saved", version, actor=actor,
           data={"program_id": program.id, "outcome": outcome, "version": version.version})
    return version


def sample_context(program: Program, outcome: str) -> dict:
    """Sample values for the live preview: the program's own name and year, a made-up recipient."""
    year = db.session.execute(select(func.max(Call.year)).where(Call.program_id == program.id)).scalar()
    code = "SAMP-LE00-0000-0000"
    return render.sample_context(
        issuer_name=_issuer(), program_name=program.name_zh, program_year=year or _today().year,
        serial_year=_today().year, serial_no=12, serial=serial_number(_today().year, 12),
        outcome=outcome, terms=list(DEFAULT_TERMS[outcome]), issue_date=_today(), verification_code=code,
        verification_url=external_url("verify.show", code=code))


def _issuer() -> str:
    return current_app.config.get("LETTER_ISSUER_NAME") or "人才计划办公室"


def _today() -> date:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    return datetime.now(zone).date()


# ---------------------------------------------------------------- issuing

def new_verification_code() -> str:
    """80 random bits as 16 base32 characters in groups of four: unguessable, short enough to type."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalise_code(code: str) -> str:
    """What a person typed (any case, spaces, missing dashes) as the stored form."""
    raw = re.sub(r"[^A-Z2-7]", "", (code or "").upper())[:16]
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def _next_serial(program_id: int, year: int) -> int:
    """The next number of the program's year, with the program row locked until the transaction ends."""
    db.session.execute(select(Program.id).where(Program.id == program_id).with_for_update())
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE; a write takes its database lock now, before the max is read.
        db.session.execute(text("UPDATE programs SET id = id WHERE id = :id"), {"id": program_id})
    last = db.session.execute(select(func.max(Letter.serial_no)).where(
        Letter.program_id == program_id, Letter.serial_year == year)).scalar()
    return (last or 0) + 1


def valid_letter(application_id: int) -> Letter | None:
    """The application's letter in force, if any."""
    return db.session.execute(select(Letter).where(Letter.application_id == application_id,
                                                   Letter.status == "valid")).scalar()


def letter_context(application: Application, outcome: str, serial_year: int, serial_no: int, code: str,
                   issue_date: date) -> dict:
    """The placeholders of a real letter."""
    program = application.call.program
    return {
        "issuer_name": _issuer(), "serial_year": serial_year, "serial_no": serial_no,
        "serial": serial_number(serial_year, serial_no), "recipient_name": application.applicant.name,
        "program_name": program.name_zh, "program_year": application.call.year, "outcome": outcome,
        "unit_name": application.unit.name_zh if application.unit else "", "project_title": application.title,
        "terms": list(DEFAULT_TERMS[outcome]), "issue_date": issue_date, "verification_code": code,
        "verification_url": external_url("verify.show", code=code),
    }


def issue_letter(application: Application, actor, reason: str = "") -> Letter:
    """Render, store and record the application's letter; a letter in force is revoked and replaced."""
    outcome = OUTCOME_FOR_STATE.get(application.state)
    if outcome is None:
        raise LetterError(str(_l("No letter for an application in this state.")))
    program = application.call.program
    template = template_for(program, outcome)
    issue_date = _today()
    year = issue_date.year
    serial_no = _next_serial(program.id, year)
    code = new_verification_code()
    pdf = render.render_letter_pdf(template.source, letter_context(application, outcome, year, serial_no, code,
                                                                   issue_date))
    document = save_document(pdf, kind="letter", original_name=f"letter-{year}-{serial_no:04d}.pdf", owner_id=None)
    previous = valid_letter(application.id)
    version = (db.session.execute(select(func.max(Letter.version)).where(
        Letter.application_id == application.id)).scalar() or 0) + 1
    letter = Letter(application_id=application.id, program_id=program.id, template_id=template.id, outcome=outcome,
                    serial_year=year, serial_no=serial_no, serial=serial_number(year, serial_no),
                    verification_code=code, version=version, status="valid", document_id=document.id,
                    sha256=document.sha256, issued_at=utcnow(), issued_by_id=getattr(actor, "id", None))
    db.session.add(letter)
    db.session.flush()
    if previous is not None:
        _revoke(previous, actor, reason or "重新签发 / re-issued", replaced_by=letter)
    record("letter.issued", letter, actor=actor,
           data={"application_id": application.id, "serial": letter.serial, "version": version,
                 "sha256": letter.sha256, "replaces": previous.id if previous else None})
    user = application.applicant
    queue_email(user.email, "letter_issued", locale=user.locale or "zh_CN", user=user, letter=letter,
                program_name=program.name_zh if (user.locale or "zh").startswith("zh") else program.name_en,
                link=external_url("my_letters.download", application_id=application.id))
    return letter


def _revoke(letter: Letter, actor, reason: str, replaced_by: Letter | None = None) -> None:
    # Only the row changes: the stored PDF and its hash stay exactly as issued.
    letter.status = "revoked"
    letter.revoked_at = utcnow()
    letter.revoked_reason = (reason or "")[:500]
    letter.replaced_by_id = replaced_by.id if replaced_by else None
    db.session.flush()
    record("letter.revoked", letter, actor=actor, data={"reason": letter.revoked_reason,
                                                        "replaced_by": letter.replaced_by_id})


def revoke_letter(letter: Letter, actor, reason: str) -> None:
    """Revoke a letter in force without replacing it."""
    if letter.status != "valid":
        raise LetterError(str(_l("This letter is already revoked.")))
    _revoke(letter, actor, reason)


def verify_pdf(letter: Letter, data: bytes) -> bool:
    """True only if `data` is byte for byte the issued PDF."""
    return hmac.compare_digest(hashlib.sha256(data or b"").hexdigest(), letter.sha256)


# ---------------------------------------------------------------- batches

def applications_needing_letters(call_id: int) -> list[int]:
    """Ids of the call's decided applications without a letter in force for their current outcome."""
    rows = db.session.execute(
        select(Application.id, Application.state, Letter.outcome)
        .outerjoin(Letter, (Letter.application_id == Application.id) & (Letter.status == "valid"))
        .where(Application.call_id == call_id, Application.state.in_(OUTCOME_FOR_STATE))
        .order_by(Application.id)).all()
    return [app_id for app_id, state, outcome in rows if outcome != OUTCOME_FOR_STATE[state]]


def start_batch(call: Call, actor) -> LetterJob:
    """A queued job for every letter the call still needs (the caller commits, then enqueues run_batch)."""
    job = LetterJob(call_id=call.id, status="queued", total=len(applications_needing_letters(call.id)),
                    created_by_id=getattr(actor, "id", None))
    db.session.add(job)
    db.session.flush()
    record("letter.batch_started", job, actor=actor, data={"call_id": call.id, "total": job.total})
    return job


def run_batch(job_id: int) -> None:
    """The job: issue each letter, committing after each so the progress bar moves; failures are recorded."""
    job = db.session.get(LetterJob, job_id)
    if job is None or job.status != "queued":
        return  # already run (a retried job must not issue letters twice)
    job.status = "running"
    commit()
    try:
        actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
        ids = applications_needing_letters(job.call_id)
        job.total = len(ids)
        commit()
        render.get_renderer().warm_up()
        errors = []
        for application_id in ids:
            written = len(db.session.info.get("files_written", []))
            try:
                with db.session.begin_nested():
                    issue_letter(db.session.get(Application, application_id), actor)
                job.done += 1
            except Exception as exc:  # one bad letter must not stop the batch
                log.exception("letter for application %s failed", application_id)
                for path in db.session.info.get("files_written", [])[written:]:
                    path.unlink(missing_ok=True)
                del db.session.info.get("files_written", [])[written:]
                job.failed += 1
                errors.append(f"application {application_id}: {getattr(exc, 'message', None) or exc}")
                job.error = "\n".join(errors)[-5000:]
            commit()
        job.status = "failed" if job.failed and not job.done else "done"
    except Exception as exc:
        rollback()
        job = db.session.get(LetterJob, job_id)
        job.status = "failed"
        job.error = ((job.error or "") + f"\n{exc}").strip()[-5000:]
        log.exception("letter batch %s failed", job_id)
    job.finished_at = utcnow()
    commit()


def chinese_issue_date(letter: Letter) -> str:
    """The letter's date as printed on it."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    return chinese_date(letter.issued_at.astimezone(zone).date())
