"""The application book (申报书): a PDF made from a submitted application's frozen snapshot.

    pdf = render_book(snapshot, locale="zh_CN")    # bytes, A4, fonts embedded

Works without a Flask app or request: the template ``templates/applications/book.html`` is
rendered by a plain Jinja2 environment (autoescaping on) with labels taken from :data:`LABELS`
(Chinese for a locale starting with ``zh``, English otherwise; gettext is not used, so the book
of a submission does not depend on the translation catalogues of the day).

The PDF (PDF/A-3b) is made by the shared renderer (portal/pdf/render.py), whose URL fetcher
serves ``data:`` URLs and the letters' own static files and refuses everything else: the book
needs no external resource, and nothing is read from disk or the network on behalf of the
snapshot's content (which is escaped anyway). Text is set in the letters' prepared cuts of the
Noto CJK fonts ("Letter Serif", "Letter Sans"), which cover rare characters such as 䶮, 𠮷 and
堃; only the subset used is embedded. SHA-256 digests are set in a small monospace font.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jinja2

from .. import countries
from ..pdf.render import AssetRefusedError, get_renderer
from ..programs import eligibility_messages as msg

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE_NAME = "applications/book.html"
BEIJING = timezone(timedelta(hours=8), "UTC+08:00")

# -- Labels (zh, en) ---------------------------------------------------------------------------

LABELS: dict[str, tuple[str, str]] = {
    "lang": ("zh-CN", "en"),
    "doc_title": ("申报书", "Application Book"),
    "cover_applicant": ("申请人", "Applicant"),
    "cover_unit": ("依托单位", "Host unit"),
    "cover_discipline": ("学科", "Discipline"),
    "cover_call": ("申报批次", "Call"),
    "cover_reference": ("编号", "Reference"),
    "cover_submitted": ("提交时间", "Submitted at"),
    "cover_timezone": ("（北京时间）", " (Beijing time, UTC+8)"),
    "page_prefix": ("第 ", "Page "),
    "page_middle": (" 页 / 共 ", " of "),
    "page_suffix": (" 页", ""),
    "none": ("无", "None"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "present": ("至今", "present"),
    "dash": ("—", "—"),
    # Section headings.
    "s_basic": ("一、基本信息", "1. Basic information"),
    "s_education": ("二、教育经历", "2. Education"),
    "s_positions": ("三、工作经历", "3. Positions"),
    "s_works": ("四、代表作", "4. Representative works"),
    "s_projects": ("五、科研项目", "5. Research projects"),
    "s_awards": ("六、获奖情况", "6. Awards"),
    "s_plan": ("七、研究/工作计划", "7. Research / work plan"),
    "s_exclusions": ("八、回避专家", "8. Experts to exclude"),
    "s_referees": ("九、推荐人", "9. Referees"),
    "s_documents": ("十、附件清单", "10. Attached documents"),
    "s_eligibility": ("十一、资格审查", "11. Eligibility check"),
    "s_pledge": ("十二、申请人承诺", "12. Applicant's pledge"),
    # Basic information.
    "name": ("姓名", "Name"),
    "gender": ("性别", "Gender"),
    "birth_date": ("出生日期", "Date of birth"),
    "nationality": ("国籍", "Nationality"),
    "id_type": ("证件类型", "ID type"),
    "id_number": ("证件号码", "ID number"),
    "email": ("电子邮箱", "Email"),
    "phone": ("联系电话", "Phone"),
    "program": ("申报项目", "Program"),
    "program_category": ("项目类别", "Category"),
    "program_level": ("项目级别", "Level"),
    "call_closes": ("申报截止时间", "Call closes"),
    "app_title": ("申报题目", "Title"),
    "app_discipline": ("申报学科", "Discipline applied for"),
    "app_keywords": ("申报关键词", "Keywords"),
    "profile_disciplines": ("研究领域", "Research fields"),
    "profile_keywords": ("个人关键词", "Profile keywords"),
    "unit": ("依托单位", "Host unit"),
    "reference": ("申报编号", "Reference"),
    # Tables.
    "no_col": ("序号", "No."),
    "degree": ("学位", "Degree"),
    "institution": ("学校/机构", "Institution"),
    "country": ("国家/地区", "Country"),
    "year": ("年份", "Year"),
    "period": ("起止时间", "Period"),
    "employer": ("工作单位", "Employer"),
    "title": ("职务/职称", "Title"),
    "post_level": ("岗位级别", "Post level"),
    "is_research": ("科研岗位", "Research"),
    "full_time": ("全职", "Full-time"),
    "work_title": ("题目", "Title"),
    "venue": ("发表刊物/出处", "Venue"),
    "work_file": ("全文文件", "Full text"),
    "pages": ("页数", "Pages"),
    "pages_unit": (" 页", " pp."),
    "project_title": ("项目名称", "Project"),
    "funder": ("资助机构", "Funder"),
    "role": ("本人角色", "Role"),
    "years": ("起止年份", "Years"),
    "award_name": ("奖项名称", "Award"),
    "grantor": ("授奖机构", "Grantor"),
    "plan_text": ("研究/工作计划", "Plan"),
    "extra_questions": ("项目补充信息", "Program-specific questions"),
    "question": ("问题", "Question"),
    "answer": ("回答", "Answer"),
    "expert_name": ("专家姓名", "Expert"),
    "expert_institution": ("所在单位", "Institution"),
    "reason": ("回避理由", "Reason"),
    "referee_name": ("推荐人", "Referee"),
    "referee_title": ("职称", "Title"),
    "letter": ("推荐信", "Letter"),
    "letter_received": ("已收到", "Received"),
    "letter_missing": ("未收到", "Not received"),
    "doc_kind": ("材料类别", "Kind"),
    "doc_name": ("文件名", "File name"),
    "doc_size": ("大小", "Size"),
    "sha256": ("SHA-256", "SHA-256"),
    "rule": ("审查项目", "Rule"),
    "result": ("结论", "Result"),
    "passed": ("符合", "Met"),
    "failed": ("不符合", "Not met"),
    "eligibility_reason": ("说明", "Reason"),
    "exception": ("破格申请", "Exception requested (破格)"),
    "justification": ("破格理由", "Justification"),
    "pledge": (
        "本人郑重承诺：本申报书所填写的各项内容及所附材料均真实、准确、完整，不存在任何弄虚作假、"
        "抄袭剽窃或侵犯他人知识产权的行为；如有不实，本人愿承担由此产生的一切后果和责任。",
        "I solemnly declare that all the information given in this application book and in the "
        "attached documents is true, accurate and complete, and that it contains no falsification, "
        "plagiarism or infringement of the rights of others. I accept full responsibility for any "
        "consequence of an untrue statement.",
    ),
    "signature": ("申请人签字：", "Applicant's signature:"),
    "sign_date": ("日期：", "Date:"),
    "sign_date_blank": ("　　　　年　　月　　日", ""),
}

# Degrees, post levels, program levels, rule names and countries come from the shared tables
# (portal/programs/eligibility_messages.py, portal/countries.py); English is capitalised for a table cell.
DEGREES = msg.DEGREE_LABELS
POST_LEVELS = msg.POST_LEVEL_LABELS
PROGRAM_LEVELS = msg.PROGRAM_LEVEL_LABELS
RULES = msg.RULE_LABELS
COUNTRIES = countries.NAMES
GENDERS = {"female": ("女", "Female"), "male": ("男", "Male")}
ID_TYPES = {"id_card": ("居民身份证", "ID card"), "passport": ("护照", "Passport")}


def is_chinese(locale: str | None) -> bool:
    return str(locale or "").lower().replace("-", "_").startswith("zh")


# -- Errors and shared state ------------------------------------------------------------------


class URLRefusedError(ValueError):
    """The book tried to load an external resource; it needs none (the refused URL is the message)."""


_state_lock = threading.Lock()
_state: dict[str, Any] = {}


def _shared(key: str, factory):
    value = _state.get(key)
    if value is None:
        with _state_lock:
            value = _state.get(key)
            if value is None:
                value = _state[key] = factory()
    return value


def _environment() -> jinja2.Environment:
    def make():
        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    return _shared("env", make)


# -- View model --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _map(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


class _Words:
    """Label look-ups for one locale."""

    def __init__(self, locale: str):
        self.index = 0 if is_chinese(locale) else 1

    def pick(self, pair) -> str:
        return pair[self.index]

    def labels(self) -> dict[str, str]:
        return {key: pair[self.index] for key, pair in LABELS.items()}

    def code(self, table: Mapping[str, tuple[str, str]], code: Any) -> str:
        code = _text(code)
        pair = table.get(code) or table.get(code.lower())
        return msg.capitalise(pair[self.index]) if pair else code

    def country(self, code: Any) -> str:
        return self.code(COUNTRIES, _text(code).upper())

    def bilingual(self, data: Mapping, field: str) -> str:
        """``field_zh`` or ``field_en`` of ``data``, falling back on the other language."""
        zh, en = _text(data.get(f"{field}_zh")), _text(data.get(f"{field}_en"))
        return (zh or en) if self.index == 0 else (en or zh)

    def yes_no(self, value: Any) -> str:
        return LABELS["yes"][self.index] if value else LABELS["no"][self.index]

    def value(self, value: Any) -> str:
        if isinstance(value, bool):
            return self.yes_no(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, (list, tuple)):
            return (
                "、".join(self.value(v) for v in value) if self.index == 0 else ", ".join(self.value(v) for v in value)
            )
        return _text(value)

    def join(self, items) -> str:
        items = [i for i in (_text(x) for x in items) if i]
        return ("；" if self.index == 0 else "; ").join(items)


def _parse_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the snapshot stores UTC
    return moment


def beijing_time(value: Any) -> str:
    """``2026-11-21T05:30:00Z`` -> ``2026-11-21 13:30`` (UTC+8); other text is shown as is."""
    moment = _parse_datetime(value)
    if moment is None:
        return _text(value.isoformat() if isinstance(value, date) else value)
    if isinstance(value, str) and "T" not in value and " " not in value.strip():
        return value.strip()  # a bare date: no time to convert
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _discipline(words: _Words, data: Any) -> str:
    data = _map(data)
    name = words.bilingual(data, "name")
    return " ".join(x for x in (_text(data.get("code")), name) if x)


def _paragraphs(text: Any) -> list[list[str]]:
    """Plain text -> paragraphs (split on blank lines) of lines (kept line breaks)."""
    text = _text(text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs, current = [], []
    for line in text.split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def _size(value: Any, zh: bool) -> str:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return _text(value)
    for unit, factor in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} {'字节' if zh else 'bytes'}"


def build_context(snapshot: Mapping, locale: str = "zh_CN") -> dict[str, Any]:
    """What the template shows, as plain strings and lists (public for tests and previews)."""
    words = _Words(locale)
    zh = words.index == 0
    snap = _map(snapshot)
    program, call = _map(snap.get("program")), _map(snap.get("call"))
    application, applicant = _map(snap.get("application")), _map(snap.get("applicant"))
    unit = _map(application.get("unit"))
    exception = _map(application.get("exception"))
    dash = LABELS["dash"][words.index]

    call_title = words.bilingual(call, "title")
    call_year = _text(call.get("year"))
    if call_year and call_year not in call_title:
        call_title = f"{call_year} {call_title}".strip() if call_title else call_year

    applicant_view = {
        "name": _text(applicant.get("name")),
        "email": _text(applicant.get("email")),
        "gender": words.code(GENDERS, applicant.get("gender")),
        "birth_date": _text(applicant.get("birth_date")),
        "nationality": words.country(applicant.get("nationality")),
        "id_type": words.code(ID_TYPES, applicant.get("id_type")),
        "id_number": _text(applicant.get("id_number_masked")),
        "phone": _text(applicant.get("phone")),
        "disciplines": words.join(_discipline(words, d) for d in _list(applicant.get("disciplines"))),
        "keywords": words.join(_list(applicant.get("keywords"))),
    }

    education = [
        {
            "degree": words.code(DEGREES, e.get("degree")),
            "institution": _text(e.get("institution")),
            "country": words.country(e.get("country")),
            "year": _text(e.get("year")),
        }
        for e in map(_map, _list(snap.get("education")))
    ]

    positions = []
    for p in map(_map, _list(snap.get("positions"))):
        start, end = _text(p.get("start")), _text(p.get("end"))
        positions.append(
            {
                "period": f"{start or dash} — {end or LABELS['present'][words.index]}",
                "employer": _text(p.get("employer")),
                "country": words.country(p.get("country")),
                "title": _text(p.get("title")),
                "post_level": words.code(POST_LEVELS, p.get("post_level")),
                "is_research": words.yes_no(p.get("is_research")),
                "full_time": words.yes_no(p.get("full_time")),
            }
        )

    works = []
    for w in map(_map, _list(snap.get("works"))):
        document = _map(w.get("document"))
        works.append(
            {
                "title": _text(w.get("title")),
                "venue": _text(w.get("venue")),
                "year": _text(w.get("year")),
                "document": {
                    "name": _text(document.get("name")),
                    "pages": _text(document.get("pages")),
                    "sha256": _text(document.get("sha256")).lower(),
                }
                if document
                else None,
            }
        )

    projects = []
    for p in map(_map, _list(snap.get("projects"))):
        start, end = _text(p.get("start_year")), _text(p.get("end_year"))
        projects.append(
            {
                "title": _text(p.get("title")),
                "funder": _text(p.get("funder")),
                "role": _text(p.get("role")),
                "years": f"{start or dash} — {end or LABELS['present'][words.index]}" if (start or end) else dash,
            }
        )

    awards = [
        {"name": _text(a.get("name")), "grantor": _text(a.get("grantor")), "year": _text(a.get("year"))}
        for a in map(_map, _list(snap.get("awards")))
    ]

    # Every question of the call with its answer: yes/no as 是/否, a choice by its label, a date as a date (frozen
    # in both languages at submission; older snapshots have only the raw value).
    extra = [
        {
            "label": words.bilingual(x, "label") or _text(x.get("code")),
            "value": words.bilingual(x, "answer")
            if ("answer_zh" in x or "answer_en" in x)
            else words.value(x.get("value")),
        }
        for x in map(_map, _list(application.get("extra")))
    ]

    documents = [
        {
            "kind": words.bilingual(d, "label") or _text(d.get("kind")),
            "name": _text(d.get("name")),
            "pages": _text(d.get("pages")),
            "size": _size(d.get("size"), zh),
            "sha256": _text(d.get("sha256")).lower(),
        }
        for d in map(_map, _list(snap.get("documents")))
    ]

    referees = [
        {
            "name": _text(r.get("name")),
            "institution": _text(r.get("institution")),
            "title": _text(r.get("title")),
            "letter": LABELS["letter_received" if r.get("letter_received") else "letter_missing"][words.index],
            "received": bool(r.get("letter_received")),
        }
        for r in map(_map, _list(snap.get("referees")))
    ]

    exclusions = [
        {"name": _text(x.get("name")), "institution": _text(x.get("institution")), "reason": _text(x.get("reason"))}
        for x in map(_map, _list(snap.get("exclusions")))
    ]

    eligibility = [
        {
            "rule": words.code(RULES, e.get("rule")),
            "passed": bool(e.get("passed")),
            "result": LABELS["passed" if e.get("passed") else "failed"][words.index],
            "message": words.bilingual(e, "message"),
        }
        for e in map(_map, _list(snap.get("eligibility")))
    ]

    return {
        "t": words.labels(),
        "zh": zh,
        "reference": _text(snap.get("reference")),
        "submitted_at": beijing_time(snap.get("submitted_at")),
        "program": {
            "code": _text(program.get("code")),
            "name": words.bilingual(program, "name"),
            "category": _text(program.get("category")),
            "level": words.code(PROGRAM_LEVELS, program.get("level")),
        },
        "call": {"title": call_title, "year": call_year, "closes_at": beijing_time(call.get("closes_at"))},
        "application": {
            "title": _text(application.get("title")),
            "discipline": _discipline(words, application.get("discipline")),
            "keywords": words.join(_list(application.get("keywords"))),
            "plan": _paragraphs(application.get("plan")),
            "extra": extra,
            "unit": words.bilingual(unit, "name"),
            "exception_requested": bool(exception.get("requested")),
            "justification": _paragraphs(exception.get("justification")),
        },
        "applicant": applicant_view,
        "education": education,
        "positions": positions,
        "works": works,
        "projects": projects,
        "awards": awards,
        "documents": documents,
        "referees": referees,
        "exclusions": exclusions,
        "eligibility": eligibility,
    }


# -- Rendering ---------------------------------------------------------------------------------


def render_book_html(snapshot: Mapping, locale: str = "zh_CN") -> str:
    """The book's HTML (the PDF's source), e.g. for a preview."""
    return _environment().get_template(TEMPLATE_NAME).render(build_context(snapshot, locale))


def render_book(snapshot: dict, locale: str = "zh_CN") -> bytes:
    """The application book of ``snapshot`` as PDF bytes (A4, PDF/A-3b, fonts embedded).

    Rendered by the renderer the letters use (portal/pdf/render.py): the same prepared cuts of the Noto CJK fonts
    ("Letter Serif", "Letter Sans"), subset from faces preprocessed once per process, and the same fetcher that
    serves nothing but data: URLs and the letters' own static files."""
    html = render_book_html(snapshot, locale)
    try:
        return get_renderer().html_to_pdf(html)
    except AssetRefusedError as error:
        raise URLRefusedError(error.url) from error
