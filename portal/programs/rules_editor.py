"""The program editor's rows: required documents, extra questions and eligibility rules as typed into the
row-based forms, turned into the stored JSON, with what is wrong as codes and values; pure, stdlib only.

A row is a dict of what was typed (strings, and bools for checkboxes), so a refused form is shown again exactly as
it was. `*_from_rows` turn rows into the stored items and the problems found; `*_rows` turn stored items back into
rows. The caller words the problems in the user's language (portal/programs/program_admin.py `problem_message`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from typing import Any

from .eligibility import DEGREES, POST_LEVELS, RULE_PARAMS, validate_rules
from .eligibility_messages import EXTRA_LABELS

# Codes name documents and questions in stored JSON and in form field names: lowercase, starting with a letter.
CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
CODE_MAX = 40
LABEL_MAX = 200
MAX_ROWS = 50
QUESTION_TYPES = ("text", "number", "bool", "date", "choice")
BOUNDED_TYPES = ("text", "number", "date")  # types that take min / max
# Document kinds the portal itself stores next to the program's documents (portal/storage.py).
RESERVED_DOCUMENT_CODES = frozenset({"letter", "work", "referee_letter", "call_guide"})
RESERVED_DOCUMENT_PREFIX = "book"
# Rules that read an answer of the application form, and the question type they need.
QUESTION_RULES = {"min_extra": "number", "max_extra": "number", "extra_true": "bool"}
COMPANY_FOUNDED = "company_founded"  # the date question company_age_years reads
ROW_OPS = ("remove", "up", "down")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the typed rows: `row` is 0-based (None: the list as a whole), `field` the input."""

    code: str
    row: int | None = None
    field: str | None = None
    values: dict[str, Any] = dataclass_field(default_factory=dict, hash=False)


# ---------------------------------------------------------------- reading rows and row operations

_TRUE = {"on", "1", "y", "yes", "true"}


def is_ticked(value: Any) -> bool:
    """A checkbox's value as a bool (an unticked checkbox is absent from the form)."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in _TRUE


def read_rows(form: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The rows posted as `<prefix>-<i>-<name>`, ordered by i (at most MAX_ROWS)."""
    pattern = re.compile(rf"{re.escape(prefix)}-(\d{{1,4}})-([a-z_]+)")
    rows: dict[int, dict[str, Any]] = {}
    for key in form:
        match = pattern.fullmatch(key)
        if match:
            rows.setdefault(int(match[1]), {})[match[2]] = form[key]
    return [rows[i] for i in sorted(rows)][:MAX_ROWS]


def typed_row(raw: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    """One posted row read as its columns say: "tick" a checkbox as a bool, "text" what was typed, stripped (an
    input the row lacks reads as empty)."""
    return {key: is_ticked(raw.get(key)) if kind == "tick" else _text(raw, key) for key, kind in columns.items()}


def apply_op(rows: list[dict[str, Any]], op: str, new_row: dict[str, Any] | None = None) -> list[dict[str, Any]] | None:
    """Rows after the button `op` ("add", "remove:3", "up:3", "down:3"); None when `op` is not a row operation."""
    rows = list(rows)
    if op == "add":
        if new_row is None or len(rows) >= MAX_ROWS:
            return rows
        return rows + [new_row]
    verb, _sep, index = op.partition(":")
    if verb not in ROW_OPS or not index.isdigit():
        return None
    i = int(index)
    if not 0 <= i < len(rows):
        return rows
    if verb == "remove":
        del rows[i]
    elif verb == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif verb == "down" and i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
    return rows


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def _parse_number(text: str) -> int | float | None:
    """A typed number: whole numbers stay int ("30" -> 30), others float; None when not a finite number.

    Whatever is kept must also be a finite float: the application form and the rules compare answers as floats
    (a 400-digit "number" would overflow there, and one past 4,300 digits is refused by int() itself)."""
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else number


def _parse_whole(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d{1,9}", text) else None


def _parse_date(text: str) -> str | None:
    try:
        return date.fromisoformat(text).isoformat() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _code_problems(
    code: str,
    row: int,
    seen: set[str],
    prefix: str,
    reserved: frozenset[str] = frozenset(),
    reserved_prefix: str | None = None,
) -> list[Problem]:
    if not code:
        return [Problem(f"{prefix}.code_missing", row, "code")]
    if len(code) > CODE_MAX or not CODE_RE.fullmatch(code):
        return [Problem(f"{prefix}.code_format", row, "code", {"code": code, "max": CODE_MAX})]
    if code in reserved or (reserved_prefix and code.startswith(reserved_prefix)):
        return [Problem(f"{prefix}.code_reserved", row, "code", {"code": code})]
    if code in seen:
        return [Problem(f"{prefix}.code_duplicate", row, "code", {"code": code})]
    return []


def _label_problems(row: Mapping[str, Any], i: int, prefix: str) -> list[Problem]:
    problems = []
    for language in ("zh", "en"):
        label = _text(row, language)
        if not label:
            problems.append(Problem(f"{prefix}.label_missing", i, language, {"language": language}))
        elif len(label) > LABEL_MAX:
            problems.append(Problem(f"{prefix}.label_too_long", i, language, {"language": language, "max": LABEL_MAX}))
    return problems


def _too_many(rows: Sequence[Any], prefix: str) -> list[Problem]:
    return [Problem(f"{prefix}.too_many", None, None, {"max": MAX_ROWS})] if len(rows) > MAX_ROWS else []


# ---------------------------------------------------------------- required documents


def blank_document_row() -> dict[str, Any]:
    return {"code": "", "zh": "", "en": "", "required": True, "max_files": "1"}


def document_rows(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stored documents as rows of the editor."""
    return [
        {
            "code": d.get("code", ""),
            "zh": d.get("zh", ""),
            "en": d.get("en", ""),
            "required": d.get("required", True) is not False,
            "max_files": _show(d.get("max_files", 1)),
        }
        for d in items or []
    ]


DOCUMENT_COLUMNS = {"code": "text", "zh": "text", "en": "text", "required": "tick", "max_files": "text"}


def document_rows_from_form(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [typed_row(r, DOCUMENT_COLUMNS) for r in read_rows(form, "doc")]


def documents_from_rows(rows: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The stored required documents of `rows`, and the problems found (empty when they can be saved)."""
    items, problems = [], _too_many(rows, "document")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        code = _text(row, "code")
        problems += _code_problems(code, i, seen, "document", RESERVED_DOCUMENT_CODES, RESERVED_DOCUMENT_PREFIX)
        seen.add(code)
        problems += _label_problems(row, i, "document")
        max_files = _parse_whole(_text(row, "max_files") or "1")
        if max_files is None or max_files < 1:
            problems.append(Problem("document.max_files", i, "max_files", {"value": _text(row, "max_files")}))
        items.append(
            {
                "code": code,
                "zh": _text(row, "zh"),
                "en": _text(row, "en"),
                "required": is_ticked(row.get("required")),
                "max_files": max_files or 1,
            }
        )
    return items, problems


def normalise_documents(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Documents with the defaults spelt out (required: true, max_files: 1), to tell a real change from none."""
    return [
        {**d, "required": d.get("required", True) is not False, "max_files": d.get("max_files", 1)} for d in items or []
    ]


# ---------------------------------------------------------------- extra questions


def blank_question_row() -> dict[str, Any]:
    return {"code": "", "type": "text", "zh": "", "en": "", "required": True, "min": "", "max": "", "choices": ""}


def choices_text(choices: Sequence[Mapping[str, Any]]) -> str:
    """Choices as the editor's lines "value | 中文 | English"."""
    return "\n".join(f"{c.get('value', '')} | {c.get('zh', '')} | {c.get('en', '')}" for c in choices or [])


def question_rows(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stored questions as rows of the editor."""
    return [
        {
            "code": q.get("code", ""),
            "type": q.get("type", "text"),
            "zh": q.get("zh", ""),
            "en": q.get("en", ""),
            "required": q.get("required", True) is not False,
            "min": _show(q.get("min")),
            "max": _show(q.get("max")),
            "choices": choices_text(q.get("choices") or []),
        }
        for q in items or []
    ]


QUESTION_COLUMNS = {
    "code": "text",
    "type": "text",
    "zh": "text",
    "en": "text",
    "required": "tick",
    "min": "text",
    "max": "text",
    "choices": "text",
}


def question_rows_from_form(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [typed_row(r, QUESTION_COLUMNS) for r in read_rows(form, "q")]


def _bound(kind: str, text: str) -> tuple[Any, bool]:
    """(value, ok) of a typed min or max for a question of type `kind`."""
    value: int | float | str | None
    if kind == "number":
        value = _parse_number(text)
    elif kind == "text":
        value = _parse_whole(text)
    else:
        value = _parse_date(text)
    return value, value is not None


def _choices(text: str, i: int) -> tuple[list[dict[str, Any]], list[Problem]]:
    choices, problems, seen = [], [], set()
    for n, line in enumerate((raw for raw in text.splitlines() if raw.strip()), start=1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            problems.append(Problem("question.choice_line", i, "choices", {"line": n}))
            continue
        value, zh, en = parts
        if value in seen:
            problems.append(Problem("question.choice_duplicate", i, "choices", {"value": value}))
        seen.add(value)
        choices.append({"value": value, "zh": zh, "en": en})
    return choices, problems


def questions_from_rows(rows: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The stored extra questions of `rows`, and the problems found (empty when they can be saved)."""
    items, problems = [], _too_many(rows, "question")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        code, kind = _text(row, "code"), _text(row, "type")
        problems += _code_problems(code, i, seen, "question")
        seen.add(code)
        if kind not in QUESTION_TYPES:
            problems.append(Problem("question.type_unknown", i, "type", {"type": kind}))
        problems += _label_problems(row, i, "question")
        item: dict[str, Any] = {
            "code": code,
            "type": kind,
            "zh": _text(row, "zh"),
            "en": _text(row, "en"),
            "required": is_ticked(row.get("required")),
        }
        bounds = {}
        for key in ("min", "max"):
            text = _text(row, key)
            if not text:
                continue
            if kind not in BOUNDED_TYPES:
                if kind in QUESTION_TYPES:
                    problems.append(Problem("question.bound_not_applicable", i, key, {"type": kind}))
                continue
            value, ok = _bound(kind, text)
            if not ok:
                problems.append(Problem(f"question.bound_{kind}", i, key, {"value": text}))
            else:
                bounds[key] = value
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            problems.append(
                Problem("question.min_gt_max", i, "min", {"min": _show(bounds["min"]), "max": _show(bounds["max"])})
            )
        item.update(bounds)
        typed = row.get("choices")
        text = typed if isinstance(typed, str) else ""
        if kind == "choice":
            choices, found = _choices(text, i)
            problems += found
            if len(choices) < 2 and not found:
                problems.append(Problem("question.choices_too_few", i, "choices"))
            item["choices"] = choices
        elif text.strip() and kind in QUESTION_TYPES:
            problems.append(Problem("question.choices_not_applicable", i, "choices", {"type": kind}))
        items.append(item)
    return items, problems


def normalise_questions(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Questions with the default spelt out (required: true), to tell a real change from none."""
    return [{**q, "required": q.get("required", True) is not False} for q in items or []]


def rules_needing_questions(
    rules: Sequence[Mapping[str, Any]], questions: Sequence[Mapping[str, Any]]
) -> list[Problem]:
    """Saved rules that would lose their question (or get one of the wrong type) with these questions."""
    problems = []
    for n, rule in enumerate(rules or [], start=1):
        for problem in _question_problems(rule, n - 1, questions):
            problems.append(
                Problem("question.used_by_rule", None, None, {"n": n, "rule": rule.get("rule"), **problem.values})
            )
    return problems


# ---------------------------------------------------------------- eligibility rules


def blank_rule_row(kind: str) -> dict[str, Any]:
    """A new row of rule `kind` with an empty input per parameter (checkboxes unticked)."""
    spec = RULE_PARAMS.get(kind, {})
    return {"kind": kind, **{p: (False if k.rstrip("?") == "bool" else "") for p, k in spec.items()}}


def rule_rows(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stored rules as rows of the editor; parameters a kind does not know are kept so they are reported."""
    rows = []
    for rule in rules or []:
        kind = str(rule.get("rule", "")) if isinstance(rule, Mapping) else ""
        row = blank_rule_row(kind)
        for key, value in rule.items() if isinstance(rule, Mapping) else ():
            if key == "rule":
                continue
            if isinstance(value, bool):
                row[key] = value
            elif isinstance(value, (list, tuple)):
                row[key] = ", ".join(str(v) for v in value)
            else:
                row[key] = _show(value)
        rows.append(row)
    return rows


def rule_rows_from_form(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of the rules editor: each carries its kind; checkboxes are read as bools."""
    rows = []
    for raw in read_rows(form, "rule"):
        kind = _text(raw, "kind")
        rows.append(
            typed_row(
                raw,
                {
                    "kind": "text",
                    **{
                        param: "tick" if spec.rstrip("?") == "bool" else "text"
                        for param, spec in RULE_PARAMS.get(kind, {}).items()
                    },
                },
            )
        )
    return rows


_CODE_SPLIT = re.compile(r"[\s,，、;；]+")


def _parse_param(base: str, text: str) -> tuple[Any, str | None, dict[str, Any]]:
    """(value, problem code, values) of one typed parameter of kind `base`."""
    value: int | float | None
    if base == "int":
        value = _parse_whole(text)
        return value, None if value is not None else "rule.not_whole", {"value": text}
    if base == "number":
        value = _parse_number(text)
        return value, None if value is not None else "rule.not_number", {"value": text}
    if base == "degree":
        return text, None if text in DEGREES else "rule.bad_choice", {"value": text}
    if base == "post_level":
        return text, None if text in POST_LEVELS else "rule.bad_choice", {"value": text}
    if base == "codes":
        codes = [c.upper() for c in _CODE_SPLIT.split(text) if c]
        bad = [c for c in codes if not (len(c) == 2 and c.isascii() and c.isalpha())]
        return codes, ("rule.bad_codes" if bad or not codes else None), {"codes": ", ".join(bad) or text}
    return text, None, {}  # field, text


def _question_problems(rule: Mapping[str, Any], i: int, questions: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """A question rule's question must exist with the right type; company_age_years needs the founding date."""
    by_code = {q.get("code"): q for q in questions or []}
    name = rule.get("rule")
    if name in QUESTION_RULES:
        code, needed = rule.get("field"), QUESTION_RULES[name]
        if not code:
            return [Problem("rule.no_question", i, "field")]
        question = by_code.get(code)
        if question is None:
            return [Problem("rule.unknown_question", i, "field", {"field": code, "needed": needed})]
        if question.get("type") != needed:
            return [
                Problem(
                    "rule.question_type", i, "field", {"field": code, "needed": needed, "type": question.get("type")}
                )
            ]
    if name == "company_age_years":
        question = by_code.get(COMPANY_FOUNDED)
        if question is None:
            return [Problem("rule.company_founded_missing", i, None, {"field": COMPANY_FOUNDED, "needed": "date"})]
        if question.get("type") != "date":
            return [
                Problem(
                    "rule.company_founded_type",
                    i,
                    None,
                    {"field": COMPANY_FOUNDED, "needed": "date", "type": question.get("type")},
                )
            ]
    return []


def rules_from_rows(
    rows: Sequence[Mapping[str, Any]], questions: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The stored eligibility rules of `rows` (checked against the program's `questions`), and the problems found.

    Empty optional inputs and unticked optional checkboxes are left out, so a rule saved unchanged is stored
    unchanged. A question rule without labels of its own takes its question's labels (the applicant's reason names
    the question), unless the portal already knows the field's label. eligibility.validate_rules has the last word.
    """
    rules, problems = [], _too_many(rows, "rule")
    for i, row in enumerate(rows):
        kind = _text(row, "kind")
        if kind not in RULE_PARAMS:
            problems.append(Problem("rule.unknown_kind", i, "kind", {"kind": kind}))
            rules.append({"rule": kind})
            continue
        rule: dict[str, Any] = {"rule": kind}
        found: list[Problem] = []
        for param, spec in RULE_PARAMS[kind].items():
            optional, base = spec.endswith("?"), spec.rstrip("?")
            raw = row.get(param)
            if base == "bool":
                if is_ticked(raw):
                    rule[param] = True
                elif not optional:
                    rule[param] = False
                continue
            text = raw.strip() if isinstance(raw, str) else _show(raw)
            if not text:
                if not optional:
                    code = "rule.no_question" if base == "field" else "rule.missing"
                    found.append(Problem(code, i, param, {"param": param}))
                continue
            value, refused, values = _parse_param(base, text)
            if refused:
                found.append(Problem(refused, i, param, {"param": param, **values}))
            else:
                rule[param] = value
        if kind == "nationality" and ("allowed" in rule) == ("excluded" in rule) and not found:
            found.append(Problem("rule.nationality_one", i, "allowed"))
        if kind == "company_age_years" and not found:
            low, high = rule.get("min"), rule.get("max")
            if low is None and high is None:
                found.append(Problem("rule.company_age_bound", i, "min"))
            elif low is not None and high is not None and low > high:
                found.append(Problem("rule.min_gt_max", i, "min", {"min": low, "max": high}))
        if not found:
            found += _question_problems(rule, i, questions)
        if kind in QUESTION_RULES and not found:
            _fill_labels(rule, questions)
        if not found and rule in rules:
            found.append(Problem("rule.duplicate", i, None, {"n": rules.index(rule) + 1}))
        if not found:
            # The evaluator's own check is the last word: anything it still refuses is shown with its detail.
            detail = [p.split(": ", 1)[-1] for p in validate_rules([rule])]
            if detail:
                found.append(Problem("rule.invalid", i, None, {"detail": "; ".join(detail)}))
        problems += found
        rules.append(rule)
    return rules, problems


def _fill_labels(rule: dict[str, Any], questions: Sequence[Mapping[str, Any]]) -> None:
    if rule.get("label_zh") or rule.get("label_en") or rule["field"] in EXTRA_LABELS:
        return
    question = next((q for q in questions or [] if q.get("code") == rule["field"]), None)
    if question is not None:
        rule["label_zh"], rule["label_en"] = question.get("zh", ""), question.get("en", "")


def problems_by_row(problems: Sequence[Problem]) -> tuple[list[Problem], dict[int, list[Problem]]]:
    """(problems of the list as a whole, problems per row index)."""
    general: list[Problem] = []
    per_row: dict[int, list[Problem]] = {}
    for problem in problems:
        if problem.row is None:
            general.append(problem)
        else:
            per_row.setdefault(problem.row, []).append(problem)
    return general, per_row
