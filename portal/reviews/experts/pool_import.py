"""Keeping the expert pool (SPEC §5.3): read CSV/XLSX rows, validate every row, then write all of them or none."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from ...accounts.models import Role, User, UserRole
from ...accounts.services import external_url, find_user, grant_role, normalise_email, password_reset_link
from ...audit.services import record
from ...database import local_today
from ...errors import Refusal
from ...extensions import db
from ...i18n import is_english
from ...notifications.services import queue_email
from ...programs.models import Discipline, Unit
from ..models import DeclaredConflict, ExpertProfile

# key -> (Chinese header, English header); the order is the template's column order.
COLUMNS = {
    "name": ("姓名", "name"),
    "email": ("邮箱", "email"),
    "unit_code": ("单位代码", "unit_code"),
    "title": ("职称", "title"),
    "disciplines": ("学科代码", "disciplines"),
    "keywords": ("关键词", "keywords"),
    "former_units": ("曾工作单位", "former_units"),
    "load_cap": ("评审上限", "load_cap"),
}
_EXTRA_ALIASES = {
    "电子邮箱": "email",
    "e-mail": "email",
    "单位": "unit_code",
    "unit": "unit_code",
    "学科": "disciplines",
    "former units": "former_units",
    "unit code": "unit_code",
    "load cap": "load_cap",
    "full name": "name",
}
_IGNORED = {"备注", "note", "notes", "序号", "no", "no."}  # bookkeeping columns people add to spreadsheets
REQUIRED = ("name", "email")
MAX_ROWS = 5000
MAX_KEYWORDS = 20
DEFAULT_LOAD_CAP = 10
RELATIONS = ("coauthor", "advisor", "family", "collaborator", "other")

_LIST_SPLIT = re.compile(r"[;；,，、\s]+")
_KEYWORD_SPLIT = re.compile(r"[;；,，、\n]+")  # keywords may hold spaces ("machine learning")


class PoolError(Refusal):
    """A refused pool operation (an unreadable file, an unknown person); `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field)


@dataclass
class RowError:
    row: int  # as numbered in the spreadsheet: the header is row 1
    field: str  # column key, e.g. "email"
    message: str

    @property
    def column(self) -> str:
        return column_label(self.field)


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    accounts_created: int = 0
    roles_granted: int = 0
    profiles_created: int = 0
    profiles_updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def column_label(key: str) -> str:
    """A column's header in the current language."""
    return COLUMNS.get(key, (key, key))[1 if is_english() else 0]


def _header_key(text: str) -> str | None:
    cleaned = (text or "").strip().lstrip("\ufeff").strip().lower()
    for key, (zh, en) in COLUMNS.items():
        if cleaned in (zh, en, en.replace("_", " ")):
            return key
    return _EXTRA_ALIASES.get(cleaned, "" if cleaned in _IGNORED or not cleaned else None)


def _cell(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 10 and 2023 as floats
    return "" if value is None else str(value).strip()


def _decode(data: bytes) -> str:
    # GB18030 is a superset of GBK: what Excel writes for "CSV" on Chinese Windows.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PoolError(_("The file could not be read: save it as CSV in UTF-8 (or GBK), or as XLSX."), "file")


def _table(filename: str, data: bytes) -> list[list[str]]:
    suffix = (filename or "").rsplit(".", 1)[-1].lower()
    if suffix == "csv":
        text = _decode(data)
        first = text.split("\n", 1)[0]
        delimiter = "\t" if "\t" in first and "," not in first else ","
        return [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    if suffix == "xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken or disguised file
            raise PoolError(_("The file is not a valid XLSX workbook."), "file") from None
        try:
            sheet = book.worksheets[0]
            return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    raise PoolError(_("Upload a .csv or .xlsx file."), "file")


def parse_rows(filename: str, data: bytes) -> list[dict]:
    """The data rows of a CSV/XLSX file as {column key: text, "row": spreadsheet row number}."""
    table = _table(filename, data)
    start = next((i for i, values in enumerate(table) if any(values)), None)
    if start is None:
        raise PoolError(_("The file is empty."), "file")
    header = table[start]
    keys = [_header_key(h) for h in header]
    unknown = [h for h, k in zip(header, keys, strict=True) if k is None]
    if unknown:
        raise PoolError(
            _("Unknown columns: %(columns)s. Use the headers of the template.", columns=", ".join(unknown)), "file"
        )
    twice = sorted({column_label(k) for k in keys if k and keys.count(k) > 1})
    if twice:
        raise PoolError(_("These columns appear more than once: %(columns)s.", columns=", ".join(twice)), "file")
    missing = [column_label(k) for k in REQUIRED if k not in keys]
    if missing:
        raise PoolError(_("Required columns are missing: %(columns)s.", columns=", ".join(missing)), "file")
    rows = []
    # Numbered as the spreadsheet numbers them, so an error points at the line the admin sees.
    for number, values in enumerate(table[start + 1 :], start=start + 2):
        if any(values):
            rows.append({"row": number, **{k: v for k, v in zip(keys, values, strict=False) if k}})
    if not rows:
        raise PoolError(_("The file has no expert rows below its header."), "file")
    if len(rows) > MAX_ROWS:
        raise PoolError(_("At most %(n)s experts per file.", n=MAX_ROWS), "file")
    return rows


# ---------------------------------------------------------------- validation


@dataclass
class Lookups:
    """Unit codes (upper case) -> id, discipline code -> parent code, and this year: loaded once per import."""

    units: dict[str, int]
    disciplines: dict[str, str | None]
    year: int


def load_lookups() -> Lookups:
    return Lookups(
        {code.upper(): uid for code, uid in db.session.execute(select(Unit.code, Unit.id)).all()},
        dict(db.session.execute(select(Discipline.code, Discipline.parent_code)).all()),
        local_today().year,
    )


def split_list(text: str) -> list[str]:
    return [p for p in _LIST_SPLIT.split(text or "") if p]


def _keywords(text: str) -> list[str]:
    words = {}  # lower case -> as typed: drops repeats, keeps the order
    for part in _KEYWORD_SPLIT.split(text or ""):
        words.setdefault(part.strip().lower(), part.strip())
    return [w for w in words.values() if w]


def check_row(row: dict, lookups: Lookups) -> tuple[dict, list[tuple[str, str]]]:
    """Clean values of one row and its problems as (column key, message)."""
    errors: list[tuple[str, str]] = []
    clean: dict = {"name": (row.get("name") or "").strip(), "title": (row.get("title") or "").strip()}
    if not clean["name"]:
        errors.append(("name", _("A name is required.")))
    elif len(clean["name"]) > 100:
        errors.append(("name", _("At most %(n)s characters.", n=100)))
    if len(clean["title"]) > 100:
        errors.append(("title", _("At most %(n)s characters.", n=100)))
    email = (row.get("email") or "").strip()
    clean["email"] = normalise_email(email)
    if not email:
        errors.append(("email", _("An email address is required.")))
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            errors.append(("email", _("%(email)s is not a valid email address.", email=email)))
    code = (row.get("unit_code") or "").strip()
    clean["unit_id"] = lookups.units.get(code.upper()) if code else None
    if code and clean["unit_id"] is None:
        errors.append(("unit_code", _("Unknown unit code %(code)s.", code=code)))
    clean["disciplines"] = []
    for code in dict.fromkeys(c.upper() for c in split_list(row.get("disciplines", ""))):
        if code not in lookups.disciplines:
            errors.append(("disciplines", _("Unknown discipline code %(code)s.", code=code)))
        elif lookups.disciplines[code] is None:
            example = next((c for c, p in sorted(lookups.disciplines.items()) if p == code), code + "01")
            errors.append(
                (
                    "disciplines",
                    _(
                        "%(code)s is a first-level discipline; give second-level codes such as %(example)s.",
                        code=code,
                        example=example,
                    ),
                )
            )
        else:
            clean["disciplines"].append(code)
    if not split_list(row.get("disciplines", "")):
        errors.append(("disciplines", _("Give at least one second-level discipline code.")))
    clean["keywords"] = _keywords(row.get("keywords", ""))
    if len(clean["keywords"]) > MAX_KEYWORDS:
        errors.append(("keywords", _("At most %(n)s keywords.", n=MAX_KEYWORDS)))
    if any(len(k) > 50 for k in clean["keywords"]):
        errors.append(("keywords", _("A keyword has at most %(n)s characters.", n=50)))
    clean["former_units"] = []
    for entry in split_list(re.sub(r"\s*[:：]\s*", ":", row.get("former_units") or "")):
        code, sep, year = entry.partition(":")
        if not sep or not code:
            errors.append(
                ("former_units", _("Write former units as CODE:YEAR, e.g. CAS-IOP:2023 (%(entry)s).", entry=entry))
            )
            continue
        unit_id = lookups.units.get(code.upper())
        if unit_id is None:
            errors.append(("former_units", _("Unknown unit code %(code)s.", code=code)))
        if not re.fullmatch(r"\d{4}", year) or int(year) > lookups.year:
            errors.append(
                (
                    "former_units",
                    _(
                        "%(year)s is not a valid year for %(code)s: four digits, not after %(current)s.",
                        year=year or "—",
                        code=code,
                        current=lookups.year,
                    ),
                )
            )
        elif unit_id is not None:
            clean["former_units"].append({"unit_id": unit_id, "until_year": int(year)})
    cap = (row.get("load_cap") or "").strip()
    clean["load_cap"] = None
    if cap:
        if re.fullmatch(r"\d{1,3}", cap) and int(cap) <= 100:
            clean["load_cap"] = int(cap)
        else:
            errors.append(("load_cap", _("The review load cap must be a whole number from 0 to 100.")))
    return clean, errors


# ---------------------------------------------------------------- writing


def _unusable_hash() -> str:
    # Never a valid argon2 hash, so no password matches it; random, so each reset token is unique.
    # Hashing a throwaway password instead would spend argon2's memory-hard work on every imported row.
    return "!" + secrets.token_hex(32)


def _new_account(email: str, name: str, actor) -> User:
    user = User(
        email=email,
        name=name,
        password_hash=_unusable_hash(),
        locale=current_app.config["BABEL_DEFAULT_LOCALE"],
        email_confirmed_at=None,
    )
    user.roles.append(UserRole(role=Role.EXPERT.value))
    db.session.add(user)
    db.session.flush()
    record("user.created", user, actor=actor, data={"email": email, "roles": [Role.EXPERT.value], "via": "expert_pool"})
    return user


def send_welcome(user: User) -> None:
    """Tell a new expert they are in the pool and how to set their password (the forgot-password link)."""
    queue_email(
        user.email,
        "expert_welcome",
        locale=user.locale,
        user=user,
        link=password_reset_link(user),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
        forgot_link=external_url("accounts.forgot_password"),
    )


def _apply(clean: dict, user: User | None, actor, report: ImportReport) -> User:
    """Create or update the account's role and pool profile; returns the user."""
    if user is None:
        user = _new_account(clean["email"], clean["name"], actor)
        report.accounts_created += 1
    elif not user.has_role(Role.EXPERT):
        grant_role(user, Role.EXPERT.value, None, actor)
        report.roles_granted += 1
    profile = db.session.get(ExpertProfile, user.id)
    if profile is None:
        profile = ExpertProfile(user_id=user.id, load_cap=DEFAULT_LOAD_CAP)
        db.session.add(profile)
        report.profiles_created += 1
    else:
        report.profiles_updated += 1
    profile.unit_id, profile.title = clean["unit_id"], clean["title"]
    profile.disciplines, profile.keywords = clean["disciplines"], clean["keywords"]
    profile.former_units = clean["former_units"]
    if clean["load_cap"] is not None:  # an empty cell keeps the cap already set
        profile.load_cap = clean["load_cap"]
    return user


def import_experts(rows: list[dict], actor) -> ImportReport:
    """Validate every row; write all of them (flushed, the caller commits) only when none has an error."""
    report = ImportReport(rows=len(rows))
    lookups = load_lookups()
    cleaned, first_row = [], {}
    for row in rows:
        clean, errors = check_row(row, lookups)
        report.errors.extend(RowError(row["row"], key, message) for key, message in errors)
        email = clean["email"]
        if email and email in first_row:
            report.errors.append(
                RowError(
                    row["row"],
                    "email",
                    _("%(email)s already appears in row %(row)s.", email=email, row=first_row[email]),
                )
            )
        first_row.setdefault(email, row["row"])
        cleaned.append(clean)
    if report.errors:
        return report
    emails = [c["email"] for c in cleaned]
    existing = {u.email: u for u in db.session.execute(select(User).where(User.email.in_(emails))).scalars()}
    # Loaded once so that _apply's per-row lookups come from the session, not from one query per row.
    db.session.execute(select(ExpertProfile).where(ExpertProfile.user_id.in_([u.id for u in existing.values()])))
    new_users = []
    for clean in cleaned:
        known = existing.get(clean["email"])
        user = _apply(clean, known, actor, report)
        if known is None:
            new_users.append(user)
    record(
        "expert_pool.imported",
        None,
        actor=actor,
        data={
            "rows": report.rows,
            "accounts_created": report.accounts_created,
            "roles_granted": report.roles_granted,
            "profiles_created": report.profiles_created,
            "profiles_updated": report.profiles_updated,
        },
    )
    for user in new_users:
        send_welcome(user)
    return report


def save_expert(values: dict, actor, *, user: User | None = None) -> tuple[User | None, list[RowError]]:
    """Add one expert (user=None) or edit one, from the same text fields as an import row."""
    clean, problems = check_row({**values, "email": user.email if user else values.get("email", "")}, load_lookups())
    # An edit keeps the account's email (the person's login), so only a new expert's address is checked.
    errors = [RowError(0, key, message) for key, message in problems if not (user and key == "email")]
    existing = find_user(clean["email"]) if user is None and clean["email"] else None
    if existing is not None and db.session.get(ExpertProfile, existing.id) is not None:
        errors.append(RowError(0, "email", _("This person is already in the expert pool.")))
    if errors:
        return None, errors
    report = ImportReport(rows=1)
    if user is not None:
        user.name = clean["name"]
    saved = _apply(clean, user or existing, actor, report)
    record(
        "expert_pool.expert_saved",
        saved,
        actor=actor,
        data={
            "created": bool(report.profiles_created),
            "unit_id": clean["unit_id"],
            "disciplines": clean["disciplines"],
            "load_cap": clean["load_cap"],
        },
    )
    if report.accounts_created:
        send_welcome(saved)
    return saved, []


def declare_conflict(expert: User, email: str, relation: str, actor) -> DeclaredConflict:
    """Record that this expert may not review the person with this email (either side may have declared it)."""
    if relation not in RELATIONS:
        raise PoolError(_("Choose the relation."), "relation")
    person = find_user(email)
    if person is None:
        raise PoolError(
            _(
                "No account uses %(email)s. Declare the conflict with the email the person registered with.",
                email=normalise_email(email),
            ),
            "email",
        )
    if person.id == expert.id:
        raise PoolError(_("An expert cannot declare a conflict with themselves."), "email")
    pair = or_(
        (DeclaredConflict.expert_id == expert.id) & (DeclaredConflict.person_id == person.id),
        (DeclaredConflict.expert_id == person.id) & (DeclaredConflict.person_id == expert.id),
    )
    if db.session.execute(select(DeclaredConflict.id).where(pair)).first():
        raise PoolError(_("A conflict with %(name)s is already declared.", name=person.name), "email")
    conflict = DeclaredConflict(expert_id=expert.id, person_id=person.id, relation=relation, declared_by_id=actor.id)
    db.session.add(conflict)
    db.session.flush()
    record("expert_pool.conflict_declared", expert, actor=actor, data={"person_id": person.id, "relation": relation})
    return conflict


# ---------------------------------------------------------------- template


def _example_row() -> list[str]:
    unit = db.session.execute(select(Unit.code).order_by(Unit.code)).scalars().first() or "UNIT-CODE"
    codes = db.session.execute(
        select(Discipline.code).where(Discipline.parent_code.is_not(None)).order_by(Discipline.code).limit(2)
    ).scalars().all() or ["A01"]
    english = is_english()
    return [
        "Zhang San" if english else "张三",
        "zhangsan@example.cn",
        unit,
        "Professor" if english else "研究员",
        "; ".join(codes),
        "algebraic geometry; number theory" if english else "代数几何; 数论",
        f"{unit}:{local_today().year - 2}",
        str(DEFAULT_LOAD_CAP),
    ]


def export_template(kind: str) -> tuple[bytes, str, str]:
    """An import template (header in the current language plus one example row) as (data, mimetype, filename)."""
    header = [column_label(key) for key in COLUMNS]
    example = _example_row()
    if kind == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([header, example])
        # The BOM makes Excel open the UTF-8 file with its Chinese intact.
        return out.getvalue().encode("utf-8-sig"), "text/csv", "expert_pool_template.csv"
    if kind == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        sheet.title = "experts"
        sheet.append(header)
        sheet.append(example)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for letter, width in zip("ABCDEFGH", (12, 28, 14, 12, 16, 28, 26, 10), strict=True):
            sheet.column_dimensions[letter].width = width
        out = io.BytesIO()
        book.save(out)
        return (
            out.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "expert_pool_template.xlsx",
        )
    raise PoolError(_("Unknown template kind."))
