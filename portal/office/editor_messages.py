"""Chinese and English wording of the program office's editor: the labels of levels, categories, rule kinds,
question types and rule parameters, and the editor's problems (codes of rules_editor.py) as messages."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..i18n import pick
from ..programs.eligibility_messages import PROGRAM_LEVEL_LABELS, RULE_LABELS
from ..programs.rules_editor import Problem

# The levels as choices and headings: the eligibility messages' own words, capitalised.
LEVEL_LABELS = {code: (zh, en[:1].upper() + en[1:]) for code, (zh, en) in PROGRAM_LEVEL_LABELS.items()}
CATEGORY_LABELS = {
    "leading": ("科技领军人才", "Leading scientists"),
    "top": ("拔尖和骨干人才", "Top and key talents"),
    "young": ("青年人才", "Young talents"),
    "support": ("科技支撑人才", "Technical support talents"),
    "industrial": ("科技产业化人才", "Industrialisation talents"),
}
# The kinds of rule as the editor lists them: the shared names, told apart where two kinds share one.
KIND_LABELS = {**RULE_LABELS, "max_age_exclusive": ("年龄上限（未满）", "maximum age (younger than)")}


def type_label(kind: str) -> str:
    return str(
        {
            "text": _l("Text"),
            "number": _l("Numeric"),
            "bool": _l("Yes/no"),
            "date": _l("Date"),
            "choice": _l("Choice"),
        }.get(kind, kind or "—")
    )


def param_label(kind: str, param: str) -> str:
    """The label of one rule parameter's input."""
    specific = {
        ("max_age", "value"): _l("Oldest age allowed (years)"),
        ("max_age_exclusive", "value"): _l("Younger than (years)"),
        ("min_age", "value"): _l("Youngest age allowed (years)"),
        ("min_degree", "value"): _l("Lowest degree"),
        ("degree_abroad", "min_degree"): _l("Lowest degree obtained abroad (bachelor's if empty)"),
        ("consecutive_years_abroad", "value"): _l("Consecutive years abroad"),
        ("min_post_level", "value"): _l("Lowest post level"),
        ("years_in_current_post", "value"): _l("Years in the current post"),
        ("years_in_current_post", "post_level"): _l("Only posts of this level (any post if empty)"),
        ("max_attempts", "value"): _l("Most applications to this program in all"),
        ("min_extra", "value"): _l("Smallest answer allowed"),
        ("max_extra", "value"): _l("Largest answer allowed"),
        ("company_age_years", "min"): _l("Company at least this many years old"),
        ("company_age_years", "max"): _l("Company at most this many years old"),
    }
    common = {
        "research_only": _l("Research posts only"),
        "after_phd": _l("Counted from the PhD on"),
        "abroad": _l("Posts abroad only"),
        "current": _l("Only posts held at the cutoff date"),
        "allowed": _l("Allowed nationalities (country codes, e.g. US, GB)"),
        "excluded": _l("Excluded nationalities (country codes, e.g. US, GB)"),
        "field": _l("Question"),
        "label_zh": _l("Name of the answer in the reason (Chinese; the question's if empty)"),
        "label_en": _l("Name of the answer in the reason (English; the question's if empty)"),
        "value": _l("Value"),
    }
    return str(specific.get((kind, param)) or common.get(param) or param)


def _language(code: str) -> str:
    return _("Chinese") if code == "zh" else _("English")


def problem_message(problem: Problem, kind: str | None = None) -> str:
    """One problem of the editors in the user's language; `kind` is the rule kind of the row, if any."""
    v = problem.values
    code = problem.code.split(".", 1)[1]
    param = param_label(kind or "", v["param"]) if "param" in v else ""
    messages = {
        "code_missing": lambda: _("Give a code (lowercase letters, digits and _)."),
        "code_format": lambda: _(
            "“%(code)s” is not a valid code: use lowercase letters, digits and _, starting "
            "with a letter, at most %(max)s characters.",
            code=v["code"],
            max=v["max"],
        ),
        "code_reserved": lambda: _("The code “%(code)s” is used by the portal itself; choose another.", code=v["code"]),
        "code_duplicate": lambda: _("Another row already uses the code “%(code)s”.", code=v["code"]),
        "label_missing": lambda: _("Give the name in %(language)s.", language=_language(v["language"])),
        "label_too_long": lambda: _(
            "The name in %(language)s is too long (at most %(max)s characters).",
            language=_language(v["language"]),
            max=v["max"],
        ),
        "too_many": lambda: _("At most %(max)s rows.", max=v["max"]),
        "max_files": lambda: _("The number of files is a whole number of 1 or more."),
        "type_unknown": lambda: _("Choose the type of the question."),
        "bound_not_applicable": lambda: _(
            "A question of type “%(type)s” takes no minimum or maximum.", type=type_label(v["type"])
        ),
        "bound_number": lambda: _("The minimum and maximum of a number question are numbers."),
        "bound_text": lambda: _("The minimum and maximum of a text question are lengths: whole numbers of characters."),
        "bound_date": lambda: _("The earliest and latest answers of a date question are dates such as 2026-12-31."),
        "min_gt_max": lambda: _(
            "The minimum (%(min)s) is greater than the maximum (%(max)s).", min=v["min"], max=v["max"]
        ),
        "choice_line": lambda: _("Choice line %(line)s: write value | 中文 | English.", line=v["line"]),
        "choice_duplicate": lambda: _("The choice value “%(value)s” appears twice.", value=v["value"]),
        "choices_too_few": lambda: _("A choice question needs at least two choices."),
        "choices_not_applicable": lambda: _(
            "Only choice questions have choices: clear them or make the question a choice question."
        ),
        "used_by_rule": lambda: _(
            "Eligibility rule %(n)s (%(rule)s) reads the question “%(field)s” of type "
            "“%(type)s”: keep that question or change the rule first.",
            n=v["n"],
            rule=_kind(v.get("rule")),
            field=v["field"],
            type=type_label(v["needed"]),
        ),
        "unknown_kind": lambda: _("Unknown kind of rule “%(kind)s”.", kind=v["kind"]),
        "missing": lambda: _("Fill in “%(param)s”.", param=param),
        "not_whole": lambda: _("“%(param)s” is a whole number of 0 or more.", param=param),
        "not_number": lambda: _("“%(param)s” is a number.", param=param),
        "bad_choice": lambda: _("Choose “%(param)s” from the list.", param=param),
        "bad_codes": lambda: _(
            "“%(param)s”: give two-letter country codes separated by commas, e.g. US, GB (not %(codes)s).",
            param=param,
            codes=v["codes"],
        ),
        "nationality_one": lambda: _("Give either the allowed or the excluded nationalities (one of the two)."),
        "company_age_bound": lambda: _("Give the least age of the company, the greatest, or both."),
        "no_question": lambda: _("Choose the question this rule reads."),
        "unknown_question": lambda: _(
            "The program has no question “%(field)s”: add a question of type “%(type)s” with this code first.",
            field=v["field"],
            type=type_label(v["needed"]),
        ),
        "question_type": lambda: _(
            "The question “%(field)s” is of type “%(type)s”; this rule needs a question of type “%(needed)s”.",
            field=v["field"],
            type=type_label(v["type"]),
            needed=type_label(v["needed"]),
        ),
        "company_founded_missing": lambda: _(
            "This rule reads the company's founding date: add a question of type "
            "“%(type)s” with the code company_founded first.",
            type=type_label("date"),
        ),
        "company_founded_type": lambda: _(
            "The question company_founded must be of type “%(needed)s” (it is “%(type)s”).",
            needed=type_label("date"),
            type=type_label(v["type"]),
        ),
        "duplicate": lambda: _("This is the same rule as rule %(n)s.", n=v["n"]),
        "invalid": lambda: _("This rule cannot be used: %(detail)s", detail=v["detail"]),
    }
    return messages[code]() if code in messages else problem.code


def _kind(kind: str | None) -> str:
    return pick(KIND_LABELS.get(kind or "", (kind or "?", kind or "?")))
