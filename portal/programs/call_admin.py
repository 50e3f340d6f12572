"""The program office's verbs on calls: create or copy one, edit it while a draft, unit quotas, the guide and its
attachments (the call's life is in call_life.py).

Each verb sets fields, records an audit entry and flushes; the view commits. A refusal is a ProgramError (or
CallInvalid, with the field at fault) whose messages are already in the user's language.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

from flask_babel import format_datetime
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..database import local_zone, to_local, utcnow
from ..extensions import db
from ..i18n import pick
from ..storage import DocumentError, delete_document, inspect_pdf, save_document
from . import call_workflow as wf
from .call_workflow import CallAction, CallState
from .errors import ProgramError, check_version
from .models import Call, CallAttachment, CallUnitQuota, Program, Unit
from .units import all_units, descendant_ids, tree_rows

# What the edit form may change on a draft (everything else belongs to the call's life).
EDITABLE_FIELDS = (
    "year",
    "title_zh",
    "title_en",
    "opens_at",
    "closes_at",
    "cutoff_date",
    "total_quota",
    "review_due",
    "unit_quota",
    "guide_zh",
    "guide_en",
)

GUIDE_MAX_CHARS = 50_000
# The largest quota the portal takes (places or endorsements): far above any real figure, well within an INTEGER.
QUOTA_MAX = 100_000


class CallInvalid(ProgramError):
    """The call's figures do not fit together; `problems` maps each field at fault to its messages."""

    def __init__(self, problems: dict[str, list[str]]):
        messages = [m for found in problems.values() for m in found]
        super().__init__(*messages, field=next(iter(problems), None))
        self.problems = problems


# ---------------------------------------------------------------- helpers


def beijing(value: datetime | None) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else "—"


def local_datetime(day: date, moment: time) -> datetime:
    """A date and time entered in the portal's time zone (Asia/Shanghai), as the UTC time stored."""
    return datetime.combine(day, moment.replace(second=0, microsecond=0), tzinfo=local_zone()).astimezone(UTC)


def iso(value) -> str | None:
    """A date or time as the audit log stores it."""
    return value.isoformat() if value is not None else None


def _plus_year(value):
    """The same day and time (in Beijing) a year later; 29 February becomes 28 February."""
    if value is None:
        return None
    if isinstance(value, datetime):
        local = to_local(value)
        try:
            moved = local.replace(year=local.year + 1)
        except ValueError:
            moved = local.replace(year=local.year + 1, day=28)
        return moved.astimezone(UTC)
    try:
        return value.replace(year=value.year + 1)
    except ValueError:
        return value.replace(year=value.year + 1, day=28)


def year_in(text: str, old: int, new: int) -> str:
    """`text` with the year `old` replaced by `new` where it stands alone (2026 in "2026 年度", not in "120261")."""
    return re.sub(rf"(?<!\d){old}(?!\d)", str(new), text or "")


def stamp_edit(call: Call, actor) -> None:
    """A save by the office: the call's next version, and who changed it and when (shown when a later save is
    refused as stale). Only these saves bump the version (see Call.version)."""
    with db.session.no_autoflush:  # loading an expired actor must not flush half of the change
        actor_id = getattr(actor, "id", None)
    call.updated_at, call.updated_by_id = utcnow(), actor_id
    call.version = (call.version or 0) + 1


def _ensure_draft(call: Call) -> None:
    if call.status != CallState.DRAFT.value:
        raise ProgramError(
            _("Only a draft call can be edited; this call is “%(state)s”.", state=state_label(call.effective_status()))
        )


def state_label(state: str | CallState) -> str:
    return pick(wf.STATE_LABELS[CallState(state)])


def action_label(action: str | CallAction) -> str:
    return pick(wf.ACTION_LABELS[CallAction(action)])


def render_guide(text: str) -> Markup:
    """The guide's Markdown as HTML, safely: raw HTML is shown as text and javascript:/data: links are dropped.

    Images are off: the portal runs offline and its CSP loads nothing from elsewhere, so an outside picture could
    only show as a broken frame; the guide's figures belong in its PDF attachments.
    """
    from markdown_it import MarkdownIt

    if not (text or "").strip():
        return Markup("")
    renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")
    return Markup(renderer.render(text))  # noqa: S704 - markdown-it escapes every character of the source


# ---------------------------------------------------------------- validation


def call_problems(program: Program, values: dict, call: Call | None = None) -> dict[str, list[str]]:
    """Why these figures cannot make a call of `program` (field -> messages); empty when they can."""
    problems: dict[str, list[str]] = {}

    def add(field, message):
        problems.setdefault(field, []).append(message)

    opens_at, closes_at = values.get("opens_at"), values.get("closes_at")
    if values.get("year") is None:
        add("year", _("Give the call's year."))
    else:
        clash = call_of_year(program, values["year"])
        if clash is not None and clash is not call:
            add("year", _("This program already has a call for %(year)s.", year=values["year"]))
    if not (values.get("title_zh") or "").strip():
        add("title_zh", _("Give the call's title in Chinese."))
    if opens_at is None:
        add("opens_at", _("Give the opening date and time."))
    if closes_at is None:
        add("closes_at", _("Give the closing date and time."))
    elif opens_at is not None and closes_at <= opens_at:
        add("closes_at", _("The call must close after it opens."))
    if values.get("cutoff_date") is None:
        add("cutoff_date", _("Give the eligibility cutoff date: ages and years are counted to it."))
    review_due = values.get("review_due")
    if review_due is not None and closes_at is not None and review_due <= to_local(closes_at).date():
        add(
            "review_due",
            _(
                "The review due date must be after the closing date, %(date)s.",
                date=to_local(closes_at).date().isoformat(),
            ),
        )
    for field in ("total_quota", "unit_quota"):
        problem = quota_problem(values.get(field))
        if problem:
            add(field, problem)
    for field in ("guide_zh", "guide_en"):
        if len(values.get(field) or "") > GUIDE_MAX_CHARS:
            add(field, _("The guide is longer than %(n)s characters.", n=GUIDE_MAX_CHARS))
    return problems


def quota_problem(quota: int | None) -> str | None:
    """Why a quota cannot be stored (None: it can; an empty quota means no limit)."""
    if quota is None:
        return None
    if quota < 0:
        return _("A quota cannot be negative.")
    if quota > QUOTA_MAX:
        return _("A quota is at most %(max)s.", max=QUOTA_MAX)
    return None


def call_of_year(program: Program, year: int) -> Call | None:
    return db.session.execute(select(Call).where(Call.program_id == program.id, Call.year == year)).scalars().first()


@contextmanager
def _refusing_year_clash(program: Program, year: int):
    """Run the block's writes in a savepoint: a colleague's (or a retried request's) call of the same year that
    committed after the check in call_problems is refused as that check would have, instead of failing on the
    unique constraint with the whole transaction."""
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError:
        with db.session.no_autoflush:
            clash = call_of_year(program, year)
        if clash is None:
            raise
        raise CallInvalid({"year": [_("This program already has a call for %(year)s.", year=year)]}) from None


def _clean(values: dict) -> dict:
    cleaned = {k: values.get(k) for k in EDITABLE_FIELDS if k in values}
    for key in ("title_zh", "title_en", "guide_zh", "guide_en"):
        if key in cleaned:
            cleaned[key] = (cleaned[key] or "").strip()
    return cleaned


def _audit_values(call: Call) -> dict:
    return {
        k: (iso(getattr(call, k)) if isinstance(getattr(call, k), (date, datetime)) else getattr(call, k))
        for k in EDITABLE_FIELDS
        if k not in ("guide_zh", "guide_en")
    }


# ---------------------------------------------------------------- creating and editing


def create_call(
    program: Program,
    *,
    actor,
    year: int,
    title_zh: str,
    title_en: str = "",
    opens_at: datetime,
    closes_at: datetime,
    cutoff_date: date,
    total_quota: int | None = None,
    review_due: date | None = None,
    unit_quota: int | None = ...,
    guide_zh: str = "",
    guide_en: str = "",
) -> Call:
    """A new draft call of `program`; its unit quota default is the program's unless given."""
    if program.is_archived:
        raise ProgramError(_("The program is archived: it takes no new calls."))
    values = _clean(
        dict(
            year=year,
            title_zh=title_zh,
            title_en=title_en,
            opens_at=opens_at,
            closes_at=closes_at,
            cutoff_date=cutoff_date,
            total_quota=total_quota,
            review_due=review_due,
            unit_quota=program.unit_quota if unit_quota is ... else unit_quota,
            guide_zh=guide_zh,
            guide_en=guide_en,
        )
    )
    values["title_en"] = values["title_en"] or values["title_zh"]
    problems = call_problems(program, values)
    if problems:
        raise CallInvalid(problems)
    call = Call(program_id=program.id, status=CallState.DRAFT.value, aggregation={}, **values)
    stamp_edit(call, actor)
    with _refusing_year_clash(program, call.year):
        db.session.add(call)
        db.session.flush()
    record("call.created", call, actor=actor, data={"program_id": program.id, **_audit_values(call)})
    return call


def last_call(program: Program) -> Call | None:
    """The program's call of the latest year (the one "copy last year's call" starts from)."""
    return (
        db.session.execute(select(Call).where(Call.program_id == program.id).order_by(Call.year.desc()).limit(1))
        .scalars()
        .first()
    )


def copy_call(source: Call, *, actor) -> Call:
    """Next year's draft from `source`: every date a year later, the year in the titles replaced, the quotas and
    the guide text copied (attachments are not: next year's PDFs are new documents)."""
    program = source.program
    year = source.year + 1
    call = create_call(
        program,
        actor=actor,
        year=year,
        title_zh=year_in(source.title_zh, source.year, year),
        title_en=year_in(source.title_en, source.year, year),
        opens_at=_plus_year(source.opens_at),
        closes_at=_plus_year(source.closes_at),
        cutoff_date=_plus_year(source.cutoff_date),
        total_quota=source.total_quota,
        review_due=_plus_year(source.review_due),
        unit_quota=source.unit_quota,
        guide_zh=source.guide_zh or "",
        guide_en=source.guide_en or "",
    )
    call.aggregation = dict(source.aggregation or {})
    for row in source.unit_quotas:
        call.unit_quotas.append(CallUnitQuota(unit_id=row.unit_id, quota=row.quota))
    db.session.flush()
    record("call.copied", call, actor=actor, data={"from_call_id": source.id, "year": year})
    return call


def update_call(call: Call, *, actor, version, **values) -> Call:
    """Save the edit form of a draft call (refused when someone else saved it since the form was loaded)."""
    check_version(call, version)
    _ensure_draft(call)
    values = _clean(values)
    merged = {k: getattr(call, k) for k in EDITABLE_FIELDS}
    merged.update(values)
    merged["title_en"] = merged["title_en"] or merged["title_zh"]
    problems = call_problems(call.program, merged, call)
    if problems:
        raise CallInvalid(problems)
    before = _audit_values(call)
    with _refusing_year_clash(call.program, merged["year"]):
        for key, value in merged.items():
            if getattr(call, key) != value:
                setattr(call, key, value)
        changed = db.session.is_modified(call)
        if changed:
            stamp_edit(call, actor)
            db.session.flush()
    if not changed:
        return call
    after = _audit_values(call)
    record(
        "call.updated",
        call,
        actor=actor,
        data={
            "before": {k: v for k, v in before.items() if after[k] != v},
            "after": {k: v for k, v in after.items() if before[k] != v},
            "guide_changed": "guide_zh" in values or "guide_en" in values,
        },
    )
    return call


# ---------------------------------------------------------------- unit quotas


def quota_units(call: Call) -> list[tuple[Unit, int]]:
    """The units that may endorse in this call, as an indented tree: the program's unit subtree when it has one."""
    units = all_units()
    rows = tree_rows(units)
    scope = call.program.unit_scope_id
    if scope is None:
        return rows
    inside = descendant_ids(scope, units)
    kept = [(unit, depth) for unit, depth in rows if unit.id in inside]
    top = min((depth for _unit, depth in kept), default=0)
    return [(unit, depth - top) for unit, depth in kept]


def set_unit_quotas(call: Call, quotas: dict[int, int | None], *, actor, version) -> Call:
    """Each unit's own quota (None: the call's default). Allowed until the review starts: units endorse while
    the call is open and in the days after it closes."""
    check_version(call, version)
    if call.status not in (CallState.DRAFT.value, CallState.OPEN.value):
        raise ProgramError(
            _(
                "Unit quotas can no longer be changed: the call is “%(state)s”.",
                state=state_label(call.effective_status()),
            )
        )
    allowed = {unit.id for unit, _depth in quota_units(call)}
    unknown = set(quotas) - allowed
    if unknown:
        raise ProgramError(_("Some of these units cannot endorse in this call."))
    for quota in quotas.values():
        problem = quota_problem(quota)
        if problem:
            raise ProgramError(problem)
    before = {row.unit_id: row.quota for row in call.unit_quotas}
    wanted = {unit_id: q for unit_id, q in quotas.items() if q is not None}
    # Units outside the table (e.g. outside the program's subtree) keep what they had.
    wanted.update({unit_id: q for unit_id, q in before.items() if unit_id not in allowed})
    if wanted == before:
        return call
    rows = {row.unit_id: row for row in call.unit_quotas}
    for unit_id, row in rows.items():
        if unit_id not in wanted:
            call.unit_quotas.remove(row)
        elif row.quota != wanted[unit_id]:
            row.quota = wanted[unit_id]
    for unit_id, quota in wanted.items():
        if unit_id not in rows:
            call.unit_quotas.append(CallUnitQuota(unit_id=unit_id, quota=quota))
    stamp_edit(call, actor)
    db.session.flush()
    record(
        "call.unit_quotas_set",
        call,
        actor=actor,
        data={
            "before": {str(k): v for k, v in sorted(before.items())},
            "after": {str(k): v for k, v in sorted(wanted.items())},
        },
    )
    return call


# ---------------------------------------------------------------- the guide's attachments


def add_attachment(
    call: Call, data: bytes, *, filename: str, label_zh: str, label_en: str = "", actor
) -> CallAttachment:
    """Store a PDF of the guide, checked like an application's uploads (a refused file changes nothing; the same
    file under the same label again, a double click or a retried upload, is the attachment already there)."""

    if call.status == CallState.DECIDED.value:
        raise ProgramError(_("The call is decided: its guide can no longer change."))
    label_zh = (label_zh or "").strip()
    if not label_zh:
        raise ProgramError(_("Give the attachment's label in Chinese."), field="label_zh")
    try:
        checked = inspect_pdf(data)
    except DocumentError as exc:
        raise ProgramError(exc.message, field="file") from exc
    # Under the call's row lock, re-read: two clicks at once must find each other's attachment.
    db.session.execute(select(Call.id).where(Call.id == call.id).with_for_update())
    db.session.expire(call, ["attachments"])
    same = next((a for a in call.attachments if a.label_zh == label_zh and a.document.sha256 == checked.sha256), None)
    if same is not None:
        return same
    document = save_document(
        data,
        kind="call_guide",
        original_name=filename,
        owner_id=getattr(actor, "id", None),
        application_id=None,
        checked=checked,
    )
    position = (
        db.session.execute(select(func.max(CallAttachment.position)).where(CallAttachment.call_id == call.id)).scalar()
        or 0
    ) + 1
    attachment = CallAttachment(
        call_id=call.id,
        document_id=document.id,
        label_zh=label_zh,
        label_en=(label_en or "").strip(),
        position=position,
    )
    db.session.add(attachment)
    db.session.flush()
    record(
        "call.attachment_added",
        call,
        actor=actor,
        data={
            "attachment_id": attachment.id,
            "label_zh": label_zh,
            "sha256": document.sha256,
            "pages": document.page_count,
        },
    )
    if attachment not in call.attachments:
        call.attachments.append(attachment)
    return attachment


def remove_attachment(call: Call, attachment: CallAttachment, *, actor) -> None:
    """Take a PDF off the call's page (the file is removed once the transaction commits)."""
    if attachment.call_id != call.id:
        raise LookupError(attachment.id)
    if call.status == CallState.DECIDED.value:
        raise ProgramError(_("The call is decided: its guide can no longer change."))
    document = attachment.document
    record(
        "call.attachment_removed",
        call,
        actor=actor,
        data={"attachment_id": attachment.id, "label_zh": attachment.label_zh, "sha256": document.sha256},
    )
    if attachment in call.attachments:
        call.attachments.remove(attachment)
    db.session.delete(attachment)
    db.session.flush()
    delete_document(document)
