"""The program office's verbs on its programs: create, edit, archive, restore, delete, and save the required
documents, extra questions and eligibility rules as numbered versions (SPEC §2, §3.2).

Each verb checks the optimistic lock (`check_version`), sets the fields, records an audit entry and flushes; the
view commits once. Refusals are ProgramError with the reason in the user's language.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Role, User, UserRole
from ..accounts.services import find_user
from ..applications.models import Application, Profile
from ..applications.services import profile_facts
from ..applications.workflow import State
from ..audit.services import record
from ..database import local_today, utcnow
from ..decisions.models import DecisionSession, Notice
from ..extensions import db
from ..letters.models import Letter, LetterJob, LetterTemplate
from ..programs import eligibility, rules_editor
from ..programs.call_admin import QUOTA_MAX
from ..programs.errors import ProgramError, check_version
from ..programs.models import Call, Program, ProgramRules, TalentCategory, Unit
from ..programs.rules_editor import Problem
from ..storage import delete_document
from .editor_messages import problem_message

# The settings a program's form edits; the code is given once, on create.
SETTINGS = (
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "level",
    "category",
    "experts_per_application",
    "blind_review",
    "notice_required",
    "notice_days",
    "referees_required",
    "unit_quota",
    "unit_scope_id",
)
PARTS = ("required_documents", "extra_fields", "eligibility_rules")
MAX_EXPERTS = 50
MAX_REFEREES = 10
MAX_NOTICE_DAYS = 90


def _refuse(problems: list[Problem], what: str, kinds: list[str] | None = None) -> None:
    """Raise the editor's problems as one refusal, each naming its row."""
    if not problems:
        return
    messages = []
    for p in problems:
        text = problem_message(p, kinds[p.row] if kinds and p.row is not None and p.row < len(kinds) else None)
        messages.append(_("%(what)s %(n)s: %(text)s", what=what, n=p.row + 1, text=text) if p.row is not None else text)
    raise ProgramError(*messages)


def check_documents(items: list[dict]) -> list[dict]:
    """The documents as stored (defaults spelt out), or ProgramError naming what is wrong."""
    documents, problems = rules_editor.documents_from_rows(rules_editor.document_rows(items))
    _refuse(problems, _("Document"))
    return documents


def check_questions(items: list[dict]) -> list[dict]:
    questions, problems = rules_editor.questions_from_rows(rules_editor.question_rows(items))
    _refuse(problems, _("Question"))
    return questions


def check_rules(rules: list[dict], questions: list[dict]) -> list[dict]:
    rows = rules_editor.rule_rows(rules)
    checked, problems = rules_editor.rules_from_rows(rows, questions)
    _refuse(problems, _("Rule"), [r["kind"] for r in rows])
    return checked


# ---------------------------------------------------------------- settings


def _clean_settings(values: dict[str, Any], current: Program | None = None) -> dict[str, Any]:
    """The settings to store, or ProgramError naming the field at fault."""
    settings = {key: values[key] for key in SETTINGS if key in values}
    for key in ("name_zh", "name_en", "description_zh", "description_en"):
        if key in settings:
            settings[key] = (settings[key] or "").strip()
    for key in ("name_zh", "name_en"):
        if key in settings and not settings[key]:
            raise ProgramError(_("Give the program's name in Chinese and in English."), field=key)
        if len(settings.get(key) or "") > 200:
            raise ProgramError(_("The name is too long (at most 200 characters)."), field=key)
    if "level" in settings and settings["level"] not in eligibility.PROGRAM_LEVELS:
        raise ProgramError(_("Choose the program's level."), field="level")
    if "category" in settings and settings["category"] not in {c.value for c in TalentCategory}:
        raise ProgramError(_("Choose the talent category."), field="category")
    experts = settings.get("experts_per_application", current.experts_per_application if current else 5)
    if not isinstance(experts, int) or not 3 <= experts <= MAX_EXPERTS:
        raise ProgramError(
            _("Each application needs 3 to %(max)s experts.", max=MAX_EXPERTS), field="experts_per_application"
        )
    referees = settings.get("referees_required", current.referees_required if current else 0)
    if not isinstance(referees, int) or not 0 <= referees <= MAX_REFEREES:
        raise ProgramError(
            _("Referees required: a whole number from 0 to %(max)s.", max=MAX_REFEREES), field="referees_required"
        )
    notice = settings.get("notice_required", current.notice_required if current else True)
    days = settings.get("notice_days", current.notice_days if current else 7)
    days_ok = isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= MAX_NOTICE_DAYS
    if notice and not days_ok:
        raise ProgramError(_("A public notice lasts 1 to %(max)s days.", max=MAX_NOTICE_DAYS), field="notice_days")
    if not days_ok:  # no notice: whatever was typed is not used, the last figure is kept for when it is needed
        settings["notice_days"] = current.notice_days if current else 7
    quota = settings.get("unit_quota")
    if quota is not None and (not isinstance(quota, int) or isinstance(quota, bool) or not 0 <= quota <= QUOTA_MAX):
        raise ProgramError(
            _("The unit quota is a whole number from 0 to %(max)s (empty: no limit).", max=QUOTA_MAX),
            field="unit_quota",
        )
    if "unit_scope_id" in settings:
        settings["unit_scope_id"] = settings["unit_scope_id"] or None
        if settings["unit_scope_id"] and db.session.get(Unit, settings["unit_scope_id"]) is None:
            raise ProgramError(_("This unit no longer exists."), field="unit_scope_id")
    for key in ("blind_review", "notice_required"):
        if key in settings:
            settings[key] = bool(settings[key])
    return settings


def _snapshot(program: Program, keys=SETTINGS) -> dict[str, Any]:
    return {key: getattr(program, key) for key in keys}


def _touch(program: Program, actor: Any) -> None:
    program.updated_at = utcnow()
    program.updated_by_id = getattr(actor, "id", None)


def _refuse_archived(program: Program) -> None:
    if program.is_archived:
        raise ProgramError(_("This program is archived: restore it before changing it."))


def new_rules_version(program: Program, actor: Any) -> ProgramRules:
    """A numbered copy of the program's current documents, questions and rules (added, not flushed)."""
    number = (
        db.session.execute(
            select(func.coalesce(func.max(ProgramRules.number), 0)).where(ProgramRules.program_id == program.id)
        ).scalar_one()
        + 1
    )
    version = ProgramRules(
        program_id=program.id,
        number=number,
        eligibility_rules=copy.deepcopy(list(program.eligibility_rules or [])),
        required_documents=copy.deepcopy(list(program.required_documents or [])),
        extra_fields=copy.deepcopy(list(program.extra_fields or [])),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    return version


def _grant_creator(program: Program, actor: Any) -> None:
    """A program admin who holds named programs also holds the programs they create (office-wide admins hold all)."""
    if not isinstance(actor, User) or not actor.has_role(Role.PROGRAM_ADMIN) or actor.program_ids is None:
        return
    actor.roles.append(UserRole(role=Role.PROGRAM_ADMIN.value, program_id=program.id))
    db.session.flush()
    record(
        "user.role_granted",
        actor,
        actor=actor,
        data={"role": Role.PROGRAM_ADMIN.value, "unit_id": None, "program_id": program.id, "reason": "program.created"},
    )


def _code_taken(code: str) -> bool:
    return db.session.execute(select(Program.id).where(Program.code == code)).first() is not None


def _code_clash(code: str) -> ProgramError:
    return ProgramError(_("Another program already uses the code “%(code)s”.", code=code), field="code")


def create_program(
    actor: Any,
    *,
    code: str,
    eligibility_rules: list | None = None,
    required_documents: list | None = None,
    extra_fields: list | None = None,
    **settings: Any,
) -> Program:
    """A new program with its first version of documents, questions and rules; its creator is granted it."""
    code = (code or "").strip()
    if not code or len(code) > rules_editor.CODE_MAX or not rules_editor.CODE_RE.fullmatch(code):
        raise ProgramError(
            _(
                "The code is lowercase letters, digits and _, starting with a letter (at most %(max)s characters).",
                max=rules_editor.CODE_MAX,
            ),
            field="code",
        )
    if _code_taken(code):
        raise _code_clash(code)
    for key in ("name_zh", "name_en", "level", "category"):
        settings.setdefault(key, "")
    cleaned = _clean_settings(settings)
    documents = check_documents(required_documents or [])
    questions = check_questions(extra_fields or [])
    rules = check_rules(eligibility_rules or [], questions)
    program = Program(
        code=code, required_documents=documents, extra_fields=questions, eligibility_rules=rules, **cleaned
    )
    _touch(program, actor)
    try:
        with db.session.begin_nested():  # a retried (or a colleague's) create of the same code may commit first
            db.session.add(program)
            db.session.flush()
    except IntegrityError:
        with db.session.no_autoflush:
            if not _code_taken(code):
                raise
        raise _code_clash(code) from None
    new_rules_version(program, actor)
    db.session.flush()
    record(
        "program.created", program, actor=actor, data={"code": code, "settings": _snapshot(program), "rules_version": 1}
    )
    _grant_creator(program, actor)
    return program


def update_program(program: Program, actor: Any, *, version: Any, **settings: Any) -> list[str]:
    """Change the program's settings; returns the names of the fields that changed (none: nothing saved)."""
    check_version(program, version)
    _refuse_archived(program)
    cleaned = _clean_settings(settings, program)
    before = _snapshot(program, cleaned)
    changed = [key for key, value in cleaned.items() if before[key] != value]
    if not changed:
        return []
    for key in changed:
        setattr(program, key, cleaned[key])
    _touch(program, actor)
    db.session.flush()
    record(
        "program.updated",
        program,
        actor=actor,
        data={"before": {k: before[k] for k in changed}, "after": {k: cleaned[k] for k in changed}},
    )
    return changed


# ---------------------------------------------------------------- documents, questions, rules

_NORMALISE = {
    "required_documents": rules_editor.normalise_documents,
    "extra_fields": rules_editor.normalise_questions,
    "eligibility_rules": lambda items: list(items or []),
}


def _save_part(program: Program, part: str, items: list[dict], actor: Any) -> ProgramRules | None:
    normalise = _NORMALISE[part]
    before = copy.deepcopy(list(getattr(program, part) or []))
    if normalise(items) == normalise(before):
        return None
    if not db.session.execute(select(ProgramRules.id).where(ProgramRules.program_id == program.id)).first():
        # A program from before versions (or loaded directly): keep what it asked until now as version 1.
        new_rules_version(program, None)
        db.session.flush()
    setattr(program, part, copy.deepcopy(items))
    _touch(program, actor)
    db.session.flush()
    saved = new_rules_version(program, actor)
    db.session.flush()
    record(
        "program.rules_saved",
        program,
        actor=actor,
        data={"part": part, "number": saved.number, "before": before, "after": items},
    )
    return saved


def save_documents(program: Program, items: list[dict], actor: Any, *, version: Any) -> ProgramRules | None:
    """Store the required documents; a change makes a new version (returned), an unchanged list saves nothing."""
    check_version(program, version)
    _refuse_archived(program)
    return _save_part(program, "required_documents", check_documents(items), actor)


def save_questions(program: Program, items: list[dict], actor: Any, *, version: Any) -> ProgramRules | None:
    """Store the extra questions; refused while a rule reads a question that would go or change type."""
    check_version(program, version)
    _refuse_archived(program)
    questions = check_questions(items)
    needed = rules_editor.rules_needing_questions(program.eligibility_rules or [], questions)
    if needed:
        raise ProgramError(*(problem_message(p) for p in needed))
    return _save_part(program, "extra_fields", questions, actor)


def save_rules(program: Program, rules: list[dict], actor: Any, *, version: Any) -> ProgramRules | None:
    """Store the eligibility rules, checked against the program's questions."""
    check_version(program, version)
    _refuse_archived(program)
    return _save_part(program, "eligibility_rules", check_rules(rules, program.extra_fields or []), actor)


# ---------------------------------------------------------------- archive, restore, delete


def archive_program(program: Program, actor: Any, *, version: Any) -> None:
    """Archive: the program keeps its calls and history but takes no new calls."""
    if program.is_archived:  # before the version: a retried click is told what happened, not "someone saved"
        raise ProgramError(_("This program is already archived."))
    check_version(program, version)
    program.archived_at = utcnow()
    _touch(program, actor)
    db.session.flush()
    record("program.archived", program, actor=actor, data={"code": program.code})


def restore_program(program: Program, actor: Any, *, version: Any) -> None:
    if not program.is_archived:
        raise ProgramError(_("This program is not archived."))
    check_version(program, version)
    program.archived_at = None
    _touch(program, actor)
    db.session.flush()
    record("program.restored", program, actor=actor, data={"code": program.code})


def application_count(program: Program) -> int:
    return db.session.execute(
        select(func.count(Application.id))
        .join(Call, Application.call_id == Call.id)
        .where(Call.program_id == program.id)
    ).scalar_one()


def _has_history(program: Program) -> bool:
    """Whether anything beyond configuration hangs off the program's calls (sessions, notices, letters, jobs)."""
    call_ids = select(Call.id).where(Call.program_id == program.id)
    for stmt in (
        select(DecisionSession.id).where(DecisionSession.call_id.in_(call_ids)),
        select(Notice.id).where(Notice.call_id.in_(call_ids)),
        select(LetterJob.id).where(LetterJob.call_id.in_(call_ids)),
        select(Letter.id).where(Letter.program_id == program.id),
    ):
        if db.session.execute(stmt.limit(1)).first():
            return True
    return False


def delete_program(program: Program, actor: Any, *, version: Any, confirmed: bool = False) -> None:
    """Delete a program nobody has applied to, with its calls and their guides' PDFs, versions, letter templates
    and grants; it cannot be undone, so the office must confirm it."""

    check_version(program, version)
    if application_count(program) or _has_history(program):
        raise ProgramError(_("People have applied to this program, so it cannot be deleted: archive it instead."))
    if not confirmed:
        raise ProgramError(
            _("Deleting the program and its calls cannot be undone: tick the box to confirm."), field="confirm"
        )
    calls = list(program.calls)
    record(
        "program.deleted",
        program,
        actor=actor,
        data={
            "code": program.code,
            "name_zh": program.name_zh,
            "name_en": program.name_en,
            "calls": [c.year for c in calls],
            "rules_versions": len(program.rule_versions),
        },
    )
    guides = [attachment.document for call in calls for attachment in call.attachments]
    for call in calls:
        db.session.delete(call)
    db.session.flush()
    for document in guides:  # the guides' PDFs go with their calls (the files once the deletion commits)
        delete_document(document)
    db.session.execute(delete(ProgramRules).where(ProgramRules.program_id == program.id))
    db.session.execute(delete(LetterTemplate).where(LetterTemplate.program_id == program.id))
    grants = db.session.execute(select(UserRole).where(UserRole.program_id == program.id)).scalars().all()
    for grant in grants:
        db.session.delete(grant)
    db.session.flush()
    db.session.expire(program, ["rule_versions", "calls"])
    db.session.delete(program)
    db.session.flush()


# ---------------------------------------------------------------- reading


def latest_call(program: Program) -> Call | None:
    return max(program.calls, key=lambda c: (c.year, c.id), default=None)


def call_facts(program: Program) -> tuple[eligibility.CallFacts, Call | None]:
    """What the rules count to: the program's latest call, else today and this year."""
    call = latest_call(program)
    if call is not None:
        return eligibility.CallFacts(call.cutoff_date, call.year, program.level), call
    today = local_today()
    return eligibility.CallFacts(today, today.year, program.level), None


@dataclass(frozen=True)
class Trial:
    """The "try these rules" panel's answer: whose profile, against which call, and each rule's verdict."""

    person: User
    call: Call | None
    application_id: int | None  # the application whose answers were used, if the person has one in that call
    results: list[eligibility.RuleResult]


def try_rules(program: Program, rules: list[dict], email: str) -> Trial:
    """Evaluate (unsaved) `rules` against one person's profile, as the applicant would see them."""
    person = find_user(email or "") if (email or "").strip() else None
    if person is None or db.session.get(Profile, person.id) is None:
        raise ProgramError(_("No one with a profile has this email address."), field="try_email")
    facts, call = call_facts(program)
    application = None
    if call is not None:
        # A draft's answers are the applicant's own business: only what was submitted is tried.
        application = db.session.execute(
            select(Application)
            .where(
                Application.call_id == call.id,
                Application.applicant_id == person.id,
                Application.submitted_at.isnot(None),
                Application.state != State.DRAFT,
            )
            .order_by(Application.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    applicant = profile_facts(
        person.id,
        program,
        extra=application.extra if application else None,
        exclude_application_id=application.id if application else None,
    )
    return Trial(person, call, application.id if application else None, eligibility.evaluate(rules, applicant, facts))


def calls_by_version(program: Program) -> dict[int | None, list[Call]]:
    """The program's calls grouped by the id of the version they are pinned to (None: not pinned yet)."""
    grouped: dict[int | None, list[Call]] = {}
    for call in sorted(program.calls, key=lambda c: -c.year):
        grouped.setdefault(call.rules_id, []).append(call)
    return grouped
