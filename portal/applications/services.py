"""Application verbs: start, check, submit (idempotent, to the second), withdraw, and every state change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import jobs
from ..accounts.models import Role, User, UserRole
from ..accounts.services import external_url
from ..audit.services import record
from ..database import after_commit, commit, rollback, utcnow
from ..errors import Refusal
from ..extensions import db
from ..i18n import current_locale as _locale
from ..i18n import is_english
from ..notifications.services import queue_email
from ..programs import eligibility as rules
from ..programs.access import program_admins_for
from ..programs.models import Call, CallStatus, Discipline, Program, Unit
from ..programs.units import descendant_ids
from ..storage import clean_name, delete_document, inspect_pdf, save_document
from . import questions, workflow
from .access import actor_roles
from .book import render_book
from .models import Application, Award, Education, Position, Profile, Project, Work
from .workflow import EDITABLE_STATES, HELD_STATES, LIVE_STATES, State


class ApplicationError(Refusal):
    """A refused action on an application, with the reasons to show (already translated)."""


def beijing(value: datetime) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm:ss")


# ---------------------------------------------------------------- starting and editing


def start_application(call: Call, applicant: User, unit_id: int) -> Application:
    """A new draft for this call; an applicant with a live application to the call gets that one back."""
    now = utcnow()
    if not call.is_open(now):
        raise ApplicationError(_("This call is not open for applications."))
    existing = db.session.execute(
        select(Application).where(
            Application.call_id == call.id,
            Application.applicant_id == applicant.id,
            Application.state != State.WITHDRAWN,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    refused = unit_refusal(call.program, unit_id)
    if refused:
        raise ApplicationError(refused)
    profile = db.session.get(Profile, applicant.id)
    application = Application(
        call_id=call.id,
        applicant_id=applicant.id,
        unit_id=unit_id,
        state=State.DRAFT.value,
        keywords=list(profile.keywords) if profile else [],
        discipline_code=(profile.discipline_codes or [""])[0] if profile else "",
    )
    db.session.add(application)
    db.session.flush()
    record("application.created", application, actor=applicant, data={"call_id": call.id, "unit_id": unit_id})
    return application


def allowed_unit_ids(program: Program) -> set[int] | None:
    """The units an application to `program` may name: its unit subtree (SPEC §2), or None for every unit."""
    return descendant_ids(program.unit_scope_id) if program.unit_scope_id else None


def unit_refusal(program: Program, unit_id: int | None) -> str | None:
    """Why `unit_id` cannot review an application to `program` (in the user's language), or None."""
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        return _("Choose the unit that will review your application.")
    allowed = allowed_unit_ids(program)
    if allowed is not None and unit.id not in allowed:
        locale = _locale()
        return _(
            "%(program)s takes applicants of %(scope)s only: %(unit)s cannot review this application. Choose "
            "%(scope)s or one of its units.",
            program=program.name(locale),
            scope=program.unit_scope.name(locale),
            unit=unit.name(locale),
        )
    return None


def save_basics(
    application: Application,
    *,
    unit_id: int,
    title: str,
    discipline_code: str,
    keywords: list[str],
    actor: User | None = None,
) -> None:
    """The basics step: reviewing unit (within the program's units), title, discipline and keywords."""
    ensure_editable(application)
    refused = unit_refusal(application.call.program, unit_id)
    if refused:
        raise ApplicationError(refused)
    before = application.unit_id
    application.unit_id = unit_id
    application.title = title.strip()
    application.discipline_code = discipline_code
    application.keywords = list(keywords)
    if before != unit_id:
        record("application.unit_changed", application, actor=actor, data={"from": before, "to": unit_id})
    db.session.flush()


def ensure_editable(application: Application, now: datetime | None = None) -> None:
    if application.state_enum not in workflow.EDITABLE_STATES:
        raise ApplicationError(_("This application has been submitted and can no longer be changed."))
    if (now or utcnow()) >= application.call.closes_at:
        raise ApplicationError(
            _(
                "The call closed at %(time)s (Beijing time); the application can no longer be changed.",
                time=beijing(application.call.closes_at),
            )
        )


# ---------------------------------------------------------------- eligibility and completeness


def profile_facts(
    user_id: int, program: Program, *, extra: dict | None = None, exclude_application_id: int | None = None
) -> rules.ApplicantFacts:
    """What the eligibility rules look at about one person for `program`: the profile, the person's other
    applications (all of them, or all but `exclude_application_id`) and the program's answers `extra`.

    Also used without an application, e.g. by the program office's "try these rules" panel.
    """
    profile = db.session.get(Profile, user_id)
    educations = db.session.execute(select(Education).where(Education.user_id == user_id)).scalars().all()
    positions = db.session.execute(select(Position).where(Position.user_id == user_id)).scalars().all()
    stmt = (
        select(Application.state, Application.submitted_at, Program.level, Program.id, Call.year)
        .join(Call, Application.call_id == Call.id)
        .join(Program, Call.program_id == Program.id)
        .where(Application.applicant_id == user_id)
    )
    if exclude_application_id is not None:
        stmt = stmt.where(Application.id != exclude_application_id)
    others = db.session.execute(stmt).all()
    return rules.ApplicantFacts(
        birth_date=profile.birth_date if profile else None,
        nationality=profile.nationality if profile else "",
        education=tuple(rules.Education(e.degree, e.institution, e.country, e.year) for e in educations),
        positions=tuple(
            rules.Position(
                p.employer, p.country, p.title, p.post_level, p.start_date, p.end_date, p.is_research, p.full_time
            )
            for p in positions
        ),
        held_program_levels=frozenset(level for state, _s, level, _p, _y in others if state in HELD_STATES),
        live_application_levels=frozenset(level for state, _s, level, _p, _y in others if state in LIVE_STATES),
        previous_attempts=tuple(
            sorted(year for _st, submitted, _l, pid, year in others if pid == program.id and submitted is not None)
        ),
        extra=dict(extra or {}),
    )


def applicant_facts(application: Application) -> rules.ApplicantFacts:
    """Gather what the eligibility rules look at, from the profile and the applicant's other applications."""
    return profile_facts(
        application.applicant_id,
        application.call.program,
        extra=application.extra,
        exclude_application_id=application.id,
    )


def check_eligibility(application: Application) -> list[rules.RuleResult]:
    call = application.call
    facts = applicant_facts(application)
    return rules.evaluate(
        call.eligibility_rules, facts, rules.CallFacts(call.cutoff_date, call.year, call.program.level)
    )


def completeness_problems(application: Application) -> list[str]:
    """What is still missing before the application can be submitted, in the user's language."""
    problems = []
    profile = db.session.get(Profile, application.applicant_id)
    if profile is None or not profile.birth_date or not profile.id_number or not profile.phone:
        problems.append(_("Complete your profile: date of birth, ID or passport number and phone."))
    if not db.session.execute(select(Education.id).where(Education.user_id == application.applicant_id)).first():
        problems.append(_("Add at least one degree to your profile."))
    if not application.title.strip():
        problems.append(_("Give the application a title."))
    if not application.discipline_code:
        problems.append(_("Choose the discipline of the application."))
    if len(application.plan.strip()) < 50:
        problems.append(_("Write the research or work plan (at least 50 characters)."))
    call = application.call
    program = call.program
    locale = _locale()
    unit_problem = unit_refusal(program, application.unit_id)
    if unit_problem:
        problems.append(unit_problem)
    # What the call asks (its pinned version): required questions answered, every answer within its bounds.
    for question, problem in questions.completeness(call.extra_fields, application.extra):
        if problem.code == "missing":
            problems.append(_("Answer the question “%(q)s”.", q=question.label(locale)))
        else:
            problems.append(
                _(
                    "The answer to “%(q)s” is not accepted: %(reason)s",
                    q=question.label(locale),
                    reason=questions.problem_message(problem),
                )
            )
    uploaded = {d.kind for d in application.documents}
    for kind in questions.document_kinds(call.required_documents):
        if kind.required and kind.code not in uploaded:
            problems.append(_("Upload the required document “%(doc)s”.", doc=kind.label(locale)))
    letters = sum(1 for r in application.referees if r.letter_received_at)
    if letters < (program.referees_required or 0):
        problems.append(
            _("%(n)s referee letters are required; %(got)s have arrived.", n=program.referees_required, got=letters)
        )
    return problems


@dataclass
class Review:
    """Everything the applicant sees on the last step before submitting."""

    results: list[rules.RuleResult]
    problems: list[str]
    eligible: bool
    exception_ok: bool
    can_submit: bool = field(init=False)

    def __post_init__(self):
        self.can_submit = not self.problems and (self.eligible or self.exception_ok)


def review(application: Application) -> Review:
    results = check_eligibility(application)
    eligible = rules.is_eligible(results)
    exception_ok = application.exception_requested and len(application.exception_justification.strip()) >= 20
    problems = completeness_problems(application)
    if not eligible and not exception_ok:
        problems.append(
            _(
                "You do not meet every eligibility rule. Fix your profile, or ask for an exception "
                "(破格) with a written justification of at least 20 characters; only your unit can "
                "endorse it."
            )
        )
    return Review(results, problems, eligible, exception_ok)


# ---------------------------------------------------------------- state changes


def apply_transition(
    application: Application,
    action: workflow.Action,
    actor: User | None,
    *,
    comment: str | None = None,
    data: dict | None = None,
    roles: set[str] | None = None,
) -> workflow.Transition:
    """The one way an application changes state: role check, audit entry, notifications after commit."""
    roles = actor_roles(actor, application) if roles is None else roles
    try:
        step = workflow.transition(application.state, action, roles, comment)
    except workflow.TransitionError as exc:
        raise ApplicationError(exc.message(_locale())) from exc
    before = application.state
    application.state = step.target.value
    application.state_changed_at = utcnow()
    record(
        f"application.{step.action.value}",
        application,
        actor=actor,
        data={"from": before, "to": step.target.value, "comment": comment or "", **(data or {})},
    )
    notify(application, step, comment)
    db.session.flush()
    return step


def notify(application: Application, step: workflow.Transition, comment: str | None) -> None:
    """Tell the parties the transition names, each in their own language."""
    recipients: dict[str, User] = {}
    if "applicant" in step.notify:
        recipients[application.applicant.email] = application.applicant
    if "unit" in step.notify:
        for user in unit_admins_for(application.unit_id):
            recipients.setdefault(user.email, user)
    if "program_office" in step.notify:  # the office of this program only
        for user in program_admins_for(application.call.program_id):
            recipients.setdefault(user.email, user)
    program = application.call.program
    for user in recipients.values():
        english = is_english(user.locale)
        state = workflow.STATE_LABELS[step.target][1 if english else 0]
        queue_email(
            user.email,
            "application_status",
            locale=user.locale,
            user=user,
            application=application,
            program_name=program.name(user.locale),
            state=state,
            comment=comment or "",
            link=external_url("applications.detail", application_id=application.id),
        )


def unit_admins_for(unit_id: int) -> list[User]:
    """Unit admins of this unit or of any unit above it."""
    ancestors, current = [], db.session.get(Unit, unit_id)
    while current is not None:
        ancestors.append(current.id)
        current = current.parent
    return (
        db.session.execute(
            select(User).where(
                User.active.is_(True),
                User.roles.any((UserRole.role == Role.UNIT_ADMIN.value) & UserRole.unit_id.in_(ancestors)),
            )
        )
        .scalars()
        .all()
    )


@dataclass
class SubmitOutcome:
    application: Application
    already: bool  # True when this was a repeat of a submission that had already happened


def submit_application(application_id: int, actor: User) -> SubmitOutcome:
    """Freeze and submit; repeating it (double click, retry, second tab) changes nothing."""
    # Lock the row; populate_existing because it may have changed while we waited for the lock.
    application = db.session.execute(
        select(Application)
        .where(Application.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if application is None or application.applicant_id != actor.id:
        raise LookupError(application_id)
    if application.state not in EDITABLE_STATES:
        if application.submitted_at is not None and application.state != State.WITHDRAWN:
            return SubmitOutcome(application, already=True)
        raise ApplicationError(_("This application cannot be submitted in its present state."))
    now = utcnow()
    call = application.call
    if now >= call.closes_at:
        raise ApplicationError(
            _(
                "The call closed at %(time)s (Beijing time); submissions are no longer accepted.",
                time=beijing(call.closes_at),
            )
        )
    if call.status != CallStatus.OPEN.value or now < call.opens_at:
        raise ApplicationError(_("This call is not open for applications."))
    checked = review(application)
    if not checked.can_submit:
        raise ApplicationError(*checked.problems)
    action = workflow.Action.SUBMIT if application.state == State.DRAFT else workflow.Action.RESUBMIT
    application.submitted_at = now
    application.submission_count += 1
    application.snapshot = build_snapshot(application, checked.results, now)
    apply_transition(application, action, actor, data={"submission": application.submission_count})
    after_commit(generate_book, application.id, application.submission_count)
    return SubmitOutcome(application, already=False)


def submit_application_with_retry(application_id: int, actor: User, attempts: int = 5) -> bool:
    """Submit and commit; returns whether it had already been submitted.

    PostgreSQL serialises concurrent submits on the row lock. SQLite has no row locks: the loser of a
    race gets "database is locked"; after a rollback its retry finds the application submitted.
    """
    import time

    from sqlalchemy.exc import OperationalError

    for attempt in range(attempts):
        try:
            outcome = submit_application(application_id, actor)
            commit()
            return outcome.already
        except OperationalError:
            rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


def withdraw_application(application: Application, actor: User, reason: str = "") -> None:
    if application.state == State.DRAFT:
        raise ApplicationError(_("A draft is not withdrawn: delete it instead."))
    apply_transition(application, workflow.Action.WITHDRAW, actor, comment=reason or None)


def delete_draft(application: Application, actor: User) -> None:
    if application.state != State.DRAFT or application.applicant_id != actor.id:
        raise ApplicationError(_("Only a draft can be deleted."))
    for document in list(application.documents):
        delete_document(document)
    record("application.deleted", application, actor=actor)
    db.session.delete(application)
    db.session.flush()


def add_document(application: Application, data: bytes, *, kind: str, original_name: str, actor: User | None = None):
    """Upload one file of a document the call asks for. A one-file document is replaced; a document that
    already has its `max_files` files refuses another (delete one first). A refused file changes nothing; the
    same file under the same name again (a double click, a retried upload) is the file already there, not a
    second copy."""
    ensure_editable(application)
    locale = _locale()
    wanted = next((k for k in questions.document_kinds(application.call.required_documents) if k.code == kind), None)
    if wanted is None:
        raise ApplicationError(_("This call does not ask for that document."))
    checked = inspect_pdf(data)
    # Under the application's row lock, re-read: two clicks at once must find each other's file.
    db.session.execute(select(Application.id).where(Application.id == application.id).with_for_update())
    db.session.expire(application, ["documents"])
    have = [d for d in application.documents if d.kind == kind]
    name = clean_name(original_name)
    same = next((d for d in have if d.sha256 == checked.sha256 and d.original_name == name), None)
    if same is not None:
        return same
    if wanted.max_files > 1 and len(have) >= wanted.max_files:
        raise ApplicationError(
            _(
                "“%(doc)s” takes at most %(n)s files and %(n)s are uploaded: delete one before adding another.",
                doc=wanted.label(locale),
                n=wanted.max_files,
            )
        )
    document = save_document(
        data,
        kind=kind,
        original_name=original_name,
        owner_id=application.applicant_id,
        application_id=application.id,
        checked=checked,
    )
    if wanted.max_files == 1:
        for old in have:
            delete_document(old)
    record(
        "application.document_uploaded",
        application,
        actor=actor,
        data={"kind": document.kind, "sha256": document.sha256, "pages": document.page_count},
    )
    db.session.flush()
    return document


@jobs.job("applications.generate_book")
def generate_book(application_id: int, submission: int) -> int | None:
    """Render the application book from the frozen snapshot (a background job after submission)."""
    application = db.session.get(Application, application_id)
    if application is None or application.snapshot is None or application.submission_count != submission:
        return None
    if application.book is not None and application.book.kind == f"book-{submission}":
        return application.book.id
    pdf = render_book(application.snapshot, locale="zh_CN")
    document = save_document(
        pdf,
        kind=f"book-{submission}",
        original_name=f"{application.snapshot['reference']}.pdf",
        owner_id=application.applicant_id,
        application_id=application.id,
    )
    application.book_document_id = document.id
    record("application.book_generated", application, actor="system", data={"sha256": document.sha256})

    commit()
    return document.id


# ---------------------------------------------------------------- the frozen snapshot


def reference(application: Application) -> str:
    return f"{application.call.year}-{application.call.program.code}-{application.id:06d}"


def _mask(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "*" * len(value)


def _discipline(code: str) -> dict:
    found = db.session.get(Discipline, code) if code else None
    return {"code": code, "name_zh": found.name_zh if found else "", "name_en": found.name_en if found else ""}


def build_snapshot(application: Application, results: list[rules.RuleResult], now: datetime) -> dict:
    """A read-only copy of everything submitted; the application book and reviewers read this."""
    user_id = application.applicant_id
    profile = db.session.get(Profile, user_id) or Profile(user_id=user_id)
    user = application.applicant
    program, call = application.call.program, application.call
    docs_by_kind = {d["code"]: d for d in call.required_documents}

    def rows(model, order):
        return db.session.execute(select(model).where(model.user_id == user_id).order_by(*order)).scalars().all()

    return {
        "version": 1,
        "reference": reference(application),
        "submitted_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "program": {
            "code": program.code,
            "name_zh": program.name_zh,
            "name_en": program.name_en,
            "category": program.category,
            "level": program.level,
        },
        "call": {
            "title_zh": call.title_zh,
            "title_en": call.title_en,
            "year": call.year,
            "closes_at": call.closes_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "rules_version": call.rules.number if call.rules else None,
        },
        "application": {
            "title": application.title,
            "discipline": _discipline(application.discipline_code),
            "keywords": list(application.keywords or []),
            "plan": application.plan,
            "extra": questions.snapshot_items(call.extra_fields, application.extra),
            "unit": {"name_zh": application.unit.name_zh, "name_en": application.unit.name_en},
            "exception": {
                "requested": application.exception_requested,
                "justification": application.exception_justification,
            },
        },
        "applicant": {
            "name": user.name,
            "email": user.email,
            "gender": profile.gender,
            "birth_date": profile.birth_date.isoformat() if profile.birth_date else None,
            "nationality": profile.nationality,
            "id_type": profile.id_type,
            "id_number_masked": _mask(profile.id_number),
            "phone": profile.phone,
            "disciplines": [_discipline(c) for c in profile.discipline_codes or []],
            "keywords": list(profile.keywords or []),
        },
        "education": [
            {"degree": e.degree, "institution": e.institution, "country": e.country, "year": e.year}
            for e in rows(Education, (Education.year,))
        ],
        "positions": [
            {
                "employer": p.employer,
                "country": p.country,
                "title": p.title,
                "post_level": p.post_level,
                "start": p.start_date.isoformat(),
                "end": p.end_date.isoformat() if p.end_date else None,
                "is_research": p.is_research,
                "full_time": p.full_time,
            }
            for p in rows(Position, (Position.start_date,))
        ],
        "works": [
            {
                "title": w.title,
                "venue": w.venue,
                "year": w.year,
                "document": {
                    "name": w.document.original_name,
                    "pages": w.document.page_count,
                    "sha256": w.document.sha256,
                }
                if w.document
                else None,
            }
            for w in rows(Work, (Work.year.desc(), Work.id))
        ],
        "projects": [
            {"title": p.title, "funder": p.funder, "role": p.role, "start_year": p.start_year, "end_year": p.end_year}
            for p in rows(Project, (Project.start_year,))
        ],
        "awards": [{"name": a.name, "grantor": a.grantor, "year": a.year} for a in rows(Award, (Award.year,))],
        "documents": [
            {
                "kind": d.kind,
                "label_zh": docs_by_kind.get(d.kind, {}).get("zh", d.kind),
                "label_en": docs_by_kind.get(d.kind, {}).get("en", d.kind),
                "name": d.original_name,
                "pages": d.page_count,
                "sha256": d.sha256,
                "size": d.size_bytes,
            }
            for d in application.documents
            if d.kind in docs_by_kind
        ],
        "referees": [
            {
                "name": r.name,
                "institution": r.institution,
                "title": r.title,
                "letter_received": r.letter_received_at is not None,
            }
            for r in application.referees
        ],
        "exclusions": [
            {"name": x.name, "institution": x.institution, "reason": x.reason} for x in application.exclusions
        ],
        "eligibility": [
            {"rule": r.rule, "passed": r.passed, "message_zh": r.message_zh, "message_en": r.message_en}
            for r in results
        ],
    }


def count_live(call_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Application)
        .where(Application.call_id == call_id, Application.state.in_(LIVE_STATES))
    ).scalar_one()


# ---------------------------------------------------------------- the applicant's recheck (复核) of a formal check

RECHECK_DAYS = 15


def recheck_deadline(application: Application) -> datetime | None:
    if application.state != State.INELIGIBLE or application.state_changed_at is None:
        return None
    return application.state_changed_at + timedelta(days=RECHECK_DAYS)


def request_recheck(application: Application, actor: User, reason: str) -> None:
    deadline = recheck_deadline(application)
    if deadline is not None and utcnow() > deadline:
        raise ApplicationError(
            _("A recheck can be requested within %(n)s days of the formal check; that time has passed.", n=RECHECK_DAYS)
        )
    apply_transition(application, workflow.Action.REQUEST_RECHECK, actor, comment=reason)
