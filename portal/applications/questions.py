"""What a call asks besides the profile: its typed questions and its documents (pure: no app, no database).

The call stores them as JSON lists (``call.extra_fields``, ``call.required_documents``, written by the program
editor and pinned per call):

    question  {"code", "type": "text"|"number"|"bool"|"date"|"choice", "zh", "en", "required" (missing: true),
               "min"/"max" (number: value bounds; text: length in characters; date: ISO dates),
               "choices": [{"value", "zh", "en"}] (choice only)}
    document  {"code", "zh", "en", "required" (missing: true), "max_files" (missing: 1)}

Answers are kept in ``application.extra`` as JSON values the eligibility rules read: a number as a number, yes/no as
true/false, a date as an ISO string, a choice as its value, text as text. "No" (false) is an answer; only None and
"" are missing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from ..i18n import is_english

TYPES = ("text", "number", "bool", "date", "choice")


def _english(locale: str | None) -> bool:
    return is_english(locale or "zh_CN")  # no locale given: Chinese, whatever the request speaks


def _index(locale: str | None) -> int:
    return 1 if _english(locale) else 0


def _bilingual(zh: str, en: str, locale: str | None) -> str:
    return (en or zh) if _english(locale) else (zh or en)


# ---------------------------------------------------------------- questions


@dataclass(frozen=True)
class Choice:
    value: str
    zh: str
    en: str

    def label(self, locale: str | None) -> str:
        return _bilingual(self.zh, self.en, locale) or self.value


@dataclass(frozen=True)
class Question:
    code: str
    type: str
    zh: str
    en: str
    required: bool = True
    min: Any = None  # float (number), int (text length) or date (date); None: no bound
    max: Any = None
    choices: tuple[Choice, ...] = field(default_factory=tuple)

    def label(self, locale: str | None) -> str:
        return _bilingual(self.zh, self.en, locale) or self.code

    def choice(self, value: Any) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


def _bound(kind: str, value: Any) -> Any:
    """A min/max as the question type compares it; anything unreadable is no bound."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        if kind == "number":
            number = float(value)
            return number if math.isfinite(number) else None
        if kind == "text":
            return max(int(value), 0)
        if kind == "date":
            return value if isinstance(value, date) else date.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer too large for a float
        return None
    return None


def question(data: Mapping) -> Question:
    """One stored question with its defaults filled in (existing data name no "required": they are required)."""
    kind = str(data.get("type") or "text")
    kind = kind if kind in TYPES else "text"
    choices = (
        tuple(
            Choice(str(c.get("value", "")), str(c.get("zh") or ""), str(c.get("en") or ""))
            for c in data.get("choices") or []
            if isinstance(c, Mapping)
        )
        if kind == "choice"
        else ()
    )
    lower, upper = (
        (_bound(kind, data.get("min")), _bound(kind, data.get("max")))
        if kind in ("number", "text", "date")
        else (None, None)
    )
    return Question(
        code=str(data.get("code") or ""),
        type=kind,
        zh=str(data.get("zh") or ""),
        en=str(data.get("en") or ""),
        required=data.get("required", True) is not False,
        min=lower,
        max=upper,
        choices=choices,
    )


def questions(items: Iterable[Mapping] | None) -> list[Question]:
    return [question(item) for item in items or [] if isinstance(item, Mapping) and item.get("code")]


def is_answered(value: Any) -> bool:
    """False ("no") and 0 are answers; only None and empty text are not."""
    return value is not None and not (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------- checking an answer


@dataclass(frozen=True)
class Problem:
    """Why an answer is not accepted: a code and the values its message names."""

    code: str
    values: dict = field(default_factory=dict)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # e.g. Decimal("sNaN")
        return None
    return number if math.isfinite(number) else None


def shown_number(value: Any) -> str:
    """5.0 -> "5", 2.5 -> "2.5"."""
    number = _number(value)
    if number is None:
        return "" if value is None else str(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def check(q: Question, value: Any) -> Problem | None:
    """Whether a given answer fits the question (type, bounds, choices); a missing answer is not checked here."""
    if not is_answered(value):
        return None
    if q.type == "number":
        number = _number(value)
        if number is None:
            return Problem("not_a_number")
        if q.min is not None and number < q.min:
            return Problem("number_below", {"min": shown_number(q.min)})
        if q.max is not None and number > q.max:
            return Problem("number_above", {"max": shown_number(q.max)})
    elif q.type == "text":
        if not isinstance(value, str):
            return Problem("not_text")
        length = len(value.strip())
        if q.min is not None and length < q.min:
            return Problem("text_short", {"min": q.min, "length": length})
        if q.max is not None and length > q.max:
            return Problem("text_long", {"max": q.max, "length": length})
    elif q.type == "date":
        day = _as_date(value)
        if day is None:
            return Problem("not_a_date")
        if q.min is not None and day < q.min:
            return Problem("date_before", {"min": q.min.isoformat()})
        if q.max is not None and day > q.max:
            return Problem("date_after", {"max": q.max.isoformat()})
    elif q.type == "bool":
        if not isinstance(value, bool):
            return Problem("not_yes_no")
    elif q.type == "choice" and q.choice(value) is None:
        return Problem("not_a_choice")
    return None


def problem_message(problem: Problem) -> str:
    """The problem in the user's language (gettext: English without an app)."""
    v = problem.values
    if problem.code == "not_a_number":
        return _("Enter a number.")
    if problem.code == "number_below":
        return _("Enter a number of at least %(min)s.", min=v["min"])
    if problem.code == "number_above":
        return _("Enter a number of at most %(max)s.", max=v["max"])
    if problem.code == "text_short":
        return _("Write at least %(min)s characters (now %(length)s).", min=v["min"], length=v["length"])
    if problem.code == "text_long":
        return _("Write at most %(max)s characters (now %(length)s).", max=v["max"], length=v["length"])
    if problem.code == "not_a_date":
        return _("Enter a date.")
    if problem.code == "date_before":
        return _("Enter a date on or after %(min)s.", min=v["min"])
    if problem.code == "date_after":
        return _("Enter a date on or before %(max)s.", max=v["max"])
    if problem.code == "not_yes_no":
        return _("Answer yes or no.")
    if problem.code == "not_a_choice":
        return _("Choose one of the answers offered.")
    return _("Write the answer as text.")


def hint(q: Question) -> str:
    """What the form says under the question: its bounds, in the user's language."""
    if q.type == "number":
        low, high = (
            shown_number(q.min) if q.min is not None else None,
            shown_number(q.max) if q.max is not None else None,
        )
    elif q.type == "date":
        low, high = q.min.isoformat() if q.min else None, q.max.isoformat() if q.max else None
    elif q.type == "text":
        if q.min is not None and q.max is not None:
            return _("Between %(min)s and %(max)s characters.", min=q.min, max=q.max)
        if q.min is not None:
            return _("At least %(min)s characters.", min=q.min)
        if q.max is not None:
            return _("At most %(max)s characters.", max=q.max)
        return ""
    else:
        return ""
    if low is not None and high is not None:
        return _("Between %(min)s and %(max)s.", min=low, max=high)
    if low is not None:
        return _("%(min)s or later.", min=low) if q.type == "date" else _("At least %(min)s.", min=low)
    if high is not None:
        return _("%(max)s or earlier.", max=high) if q.type == "date" else _("At most %(max)s.", max=high)
    return ""


def completeness(items: Iterable[Mapping] | None, extra: Mapping | None) -> list[tuple[Question, Problem]]:
    """The questions still standing in the way of submitting: a required one unanswered ("missing"), or any
    given answer that does not fit its question."""
    answers = extra or {}
    found = []
    for q in questions(items):
        value = answers.get(q.code)
        if not is_answered(value):
            if q.required:
                found.append((q, Problem("missing")))
            continue
        problem = check(q, value)
        if problem is not None:
            found.append((q, problem))
    return found


# ---------------------------------------------------------------- answers as form data and back


def from_form(q: Question, data: Any) -> Any:
    """What a form field gave (Decimal, date, "yes"/"no", text) -> the stored JSON value (None: no answer)."""
    if data is None or (isinstance(data, str) and not data.strip()):
        return None
    if q.type == "number":
        number = _number(data)
        if number is None:
            return data  # not a finite number: refused by check(), never stored
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if q.type == "date":
        return data.isoformat() if isinstance(data, date) else str(data)
    if q.type == "bool":
        return {"yes": True, "no": False}.get(data, data) if isinstance(data, str) else data
    if isinstance(data, str):
        return data.strip()
    return data


def to_form(q: Question, value: Any) -> Any:
    """The stored value -> the form field's data (what the field shows)."""
    if not is_answered(value):
        return "" if q.type in ("bool", "choice") else None
    if q.type == "number":
        number = _number(value)
        return None if number is None else Decimal(shown_number(number))
    if q.type == "date":
        return _as_date(value)
    if q.type == "bool":
        return "yes" if value is True else "no" if value is False else ""
    return value


# ---------------------------------------------------------------- answers as people read them

YES_NO = {True: ("是", "Yes"), False: ("否", "No")}


def display(q: Question, value: Any, locale: str | None) -> str:
    """An answer as the reader sees it: 是/否 or Yes/No, a choice by its label, a date as a date; "" if none."""
    if not is_answered(value):
        return ""
    if q.type == "bool" and isinstance(value, bool):
        return YES_NO[value][_index(locale)]
    if q.type == "choice":
        found = q.choice(value)
        return found.label(locale) if found else str(value)
    if q.type == "number":
        return shown_number(value)
    if q.type == "date":
        day = _as_date(value)
        return day.isoformat() if day else str(value)
    if isinstance(value, bool):
        return YES_NO[value][_index(locale)]
    return str(value)


def answers(items: Iterable[Mapping] | None, extra: Mapping | None, locale: str | None) -> list[dict]:
    """Every question with its answer in `locale`, in the call's order (for the detail page)."""
    given = extra or {}
    return [
        {
            "code": q.code,
            "label": q.label(locale),
            "required": q.required,
            "type": q.type,
            "answer": display(q, given.get(q.code), locale),
        }
        for q in questions(items)
    ]


def answers_from_snapshot(items: Iterable[Mapping] | None, locale: str | None) -> list[dict]:
    """The same rows from a submission's frozen questions (snapshot "application.extra")."""
    rows = []
    for item in items or []:
        if not isinstance(item, Mapping):
            continue
        english = _english(locale)
        label = _bilingual(str(item.get("label_zh") or ""), str(item.get("label_en") or ""), locale)
        if "answer_zh" in item or "answer_en" in item:
            answer = _bilingual(str(item.get("answer_zh") or ""), str(item.get("answer_en") or ""), locale)
        else:  # submitted before answers were frozen in both languages
            value = item.get("value")
            answer = (
                YES_NO[value][1 if english else 0]
                if isinstance(value, bool)
                else shown_number(value)
                if _number(value) is not None
                else ("" if value is None else str(value))
            )
        rows.append(
            {
                "code": str(item.get("code") or ""),
                "label": label or str(item.get("code") or ""),
                "required": item.get("required", True) is not False,
                "type": str(item.get("type") or ""),
                "answer": answer,
            }
        )
    return rows


def snapshot_items(items: Iterable[Mapping] | None, extra: Mapping | None) -> list[dict]:
    """The questions and answers frozen at submission: the raw value plus the answer in both languages."""
    given = extra or {}
    return [
        {
            "code": q.code,
            "type": q.type,
            "label_zh": q.zh,
            "label_en": q.en,
            "required": q.required,
            "value": given.get(q.code),
            "answer_zh": display(q, given.get(q.code), "zh_CN"),
            "answer_en": display(q, given.get(q.code), "en"),
        }
        for q in questions(items)
    ]


# ---------------------------------------------------------------- documents


@dataclass(frozen=True)
class DocumentKind:
    code: str
    zh: str
    en: str
    required: bool = True
    max_files: int = 1

    def label(self, locale: str | None) -> str:
        return _bilingual(self.zh, self.en, locale) or self.code


def document_kind(data: Mapping) -> DocumentKind:
    try:
        most = max(int(data.get("max_files") or 1), 1)
    except (TypeError, ValueError):
        most = 1
    return DocumentKind(
        code=str(data.get("code") or ""),
        zh=str(data.get("zh") or ""),
        en=str(data.get("en") or ""),
        required=data.get("required", True) is not False,
        max_files=most,
    )


def document_kinds(items: Iterable[Mapping] | None) -> list[DocumentKind]:
    return [document_kind(item) for item in items or [] if isinstance(item, Mapping) and item.get("code")]
