"""The call's typed questions and documents without an app: defaults, checking answers, form data, display."""

from datetime import date
from decimal import Decimal

import pytest

from portal.applications import book
from portal.applications import questions as q

SEED_NUMBER = {"code": "equity_percent", "type": "number", "zh": "本人持股比例（%）", "en": "My equity share (%)"}
AGE = {"code": "age", "type": "number", "zh": "年龄", "en": "Age", "min": 18, "max": 65}
ESSAY = {"code": "essay", "type": "text", "zh": "自述", "en": "Statement", "min": 10, "max": 50}
FOUNDED = {
    "code": "founded",
    "type": "date",
    "zh": "成立日期",
    "en": "Founded",
    "min": "2000-01-01",
    "max": "2026-12-31",
}
RETURNS = {"code": "returns", "type": "bool", "zh": "全职回国", "en": "Returns full-time"}
FIELD = {
    "code": "field",
    "type": "choice",
    "zh": "方向",
    "en": "Field",
    "required": False,
    "choices": [{"value": "math", "zh": "数学", "en": "Mathematics"}, {"value": "phys", "zh": "物理", "en": "Physics"}],
}


def test_stored_questions_get_their_defaults():
    seed = q.question(SEED_NUMBER)
    assert seed.required is True and seed.min is None and seed.max is None and seed.type == "number"
    assert q.question(FIELD).required is False and [c.value for c in q.question(FIELD).choices] == ["math", "phys"]
    assert q.question(FOUNDED).min == date(2000, 1, 1) and q.question(ESSAY).max == 50
    assert q.question({"code": "x", "type": "weird", "zh": "某", "en": "X", "min": "abc"}).type == "text"
    assert q.question({"code": "x", "type": "number", "zh": "", "en": "", "min": "abc"}).min is None
    assert [x.code for x in q.questions([SEED_NUMBER, {"type": "text"}, "junk"])] == ["equity_percent"]


def test_no_and_zero_are_answers():
    assert q.is_answered(False) and q.is_answered(0) and q.is_answered("x")
    assert not q.is_answered(None) and not q.is_answered("") and not q.is_answered("  ")


@pytest.mark.parametrize(
    "data, value, code",
    [
        (AGE, 30, None),
        (AGE, 18, None),
        (AGE, 65.0, None),
        (AGE, 17, "number_below"),
        (AGE, 66, "number_above"),
        (AGE, "30", "not_a_number"),
        (AGE, True, "not_a_number"),
        (AGE, float("nan"), "not_a_number"),
        (SEED_NUMBER, -5, None),  # no bounds given: any number
        (ESSAY, "十个字十个字十个字十", None),
        (ESSAY, "太短", "text_short"),
        (ESSAY, "长" * 51, "text_long"),
        (ESSAY, 5, "not_text"),
        (FOUNDED, "2023-03-01", None),
        (FOUNDED, "1999-12-31", "date_before"),
        (FOUNDED, "2027-01-01", "date_after"),
        (FOUNDED, "someday", "not_a_date"),
        (RETURNS, False, None),
        (RETURNS, True, None),
        (RETURNS, "yes", "not_yes_no"),
        (FIELD, "math", None),
        (FIELD, "chem", "not_a_choice"),
        (AGE, None, None),
        (ESSAY, "", None),  # missing answers are not checked here
    ],
)
def test_check_an_answer(data, value, code):
    problem = q.check(q.question(data), value)
    assert (problem.code if problem else None) == code


def test_problem_messages_name_the_bounds():
    age = q.question(AGE)
    assert q.problem_message(q.check(age, 17)) == "Enter a number of at least 18."
    assert q.problem_message(q.check(q.question(ESSAY), "太短")) == "Write at least 10 characters (now 2)."
    assert q.problem_message(q.check(q.question(FOUNDED), "2027-01-01")) == "Enter a date on or before 2026-12-31."
    assert q.hint(age) == "Between 18 and 65." and q.hint(q.question(ESSAY)) == "Between 10 and 50 characters."
    assert q.hint(q.question({**FOUNDED, "max": None})) == "2000-01-01 or later."
    assert q.hint(q.question(SEED_NUMBER)) == "" and q.hint(q.question(RETURNS)) == ""


def test_completeness_asks_only_required_questions_and_checks_every_given_answer():
    asked = [AGE, ESSAY, RETURNS, FIELD]
    missing = q.completeness(asked, {})
    assert [(x.code, p.code) for x, p in missing] == [
        ("age", "missing"),
        ("essay", "missing"),
        ("returns", "missing"),
    ]  # the choice is optional
    found = q.completeness(asked, {"age": 70, "essay": "一二三四五六七八九十", "returns": False, "field": "chem"})
    assert [(x.code, p.code) for x, p in found] == [("age", "number_above"), ("field", "not_a_choice")]
    assert q.completeness(asked, {"age": 40, "essay": "一二三四五六七八九十", "returns": False}) == []
    assert q.completeness([SEED_NUMBER], {"equity_percent": 35.0}) == []


@pytest.mark.parametrize(
    "data, form_data, stored",
    [
        (AGE, Decimal("35"), 35),
        (AGE, Decimal("2.5"), 2.5),
        (AGE, None, None),
        (FOUNDED, date(2023, 3, 1), "2023-03-01"),
        (FOUNDED, None, None),
        (RETURNS, "yes", True),
        (RETURNS, "no", False),
        (RETURNS, "", None),
        (FIELD, "math", "math"),
        (FIELD, "", None),
        (ESSAY, "  十个字的自我陈述内容  ", "十个字的自我陈述内容"),
        (ESSAY, "   ", None),
    ],
)
def test_form_data_and_stored_values(data, form_data, stored):
    question = q.question(data)
    value = q.from_form(question, form_data)
    assert value == stored and type(value) is type(stored)
    back = q.to_form(question, value)
    assert q.from_form(question, back) == stored


def test_answers_as_people_read_them():
    returns, field, age = q.question(RETURNS), q.question(FIELD), q.question(AGE)
    assert (q.display(returns, False, "zh_CN"), q.display(returns, True, "en")) == ("否", "Yes")
    assert (q.display(field, "phys", "zh_CN"), q.display(field, "phys", "en")) == ("物理", "Physics")
    assert q.display(age, 35.0, "zh_CN") == "35" and q.display(age, None, "zh_CN") == ""
    rows = q.answers([RETURNS, FIELD, FOUNDED], {"returns": False, "founded": "2023-03-01"}, "en")
    assert [(r["label"], r["answer"], r["required"]) for r in rows] == [
        ("Returns full-time", "No", True),
        ("Field", "", False),
        ("Founded", "2023-03-01", True),
    ]


def test_snapshot_items_freeze_the_answer_in_both_languages():
    items = q.snapshot_items([RETURNS, FIELD], {"returns": False, "field": "math"})
    assert items[0] == {
        "code": "returns",
        "type": "bool",
        "label_zh": "全职回国",
        "label_en": "Returns full-time",
        "required": True,
        "value": False,
        "answer_zh": "否",
        "answer_en": "No",
    }
    assert (items[1]["answer_zh"], items[1]["answer_en"], items[1]["value"]) == ("数学", "Mathematics", "math")
    assert [r["answer"] for r in q.answers_from_snapshot(items, "zh_CN")] == ["否", "数学"]
    old = [
        {"code": "returns", "label_zh": "全职回国", "label_en": "Returns", "value": True},
        {"code": "years", "label_zh": "年数", "label_en": "Years", "value": 5.0},
    ]
    assert [r["answer"] for r in q.answers_from_snapshot(old, "en")] == ["Yes", "5"]


def test_the_book_shows_each_answer_by_its_label():
    snapshot = {
        "application": {
            "extra": q.snapshot_items(
                [RETURNS, FIELD, FOUNDED, AGE], {"returns": False, "field": "phys", "founded": "2023-03-01"}
            )
        }
    }
    zh = book.build_context(snapshot, "zh_CN")["application"]["extra"]
    assert [(x["label"], x["value"]) for x in zh] == [
        ("全职回国", "否"),
        ("方向", "物理"),
        ("成立日期", "2023-03-01"),
        ("年龄", ""),
    ]
    en = book.build_context(snapshot, "en")["application"]["extra"]
    assert [x["value"] for x in en] == ["No", "Physics", "2023-03-01", ""]
    html = book.render_book_html(snapshot, "zh_CN")
    assert "物理" in html and "否" in html and "phys" not in html


def test_document_kinds_default_to_required_single_files():
    cv, papers = q.document_kinds(
        [
            {"code": "cv", "zh": "简历", "en": "CV"},
            {"code": "papers", "zh": "代表作", "en": "Papers", "required": False, "max_files": 3},
        ]
    )
    assert (cv.required, cv.max_files, papers.required, papers.max_files) == (True, 1, False, 3)
    assert q.document_kind({"code": "x", "max_files": 0}).max_files == 1
    assert q.document_kind({"code": "x", "max_files": "many"}).max_files == 1
    assert papers.label("en") == "Papers" and papers.label("zh_CN") == "代表作"


@pytest.mark.parametrize("typed", ["NaN", "sNaN", "Infinity", "-inf", "1e999"])
def test_numbers_that_are_not_finite_are_refused(typed):
    age = q.question(AGE)
    assert q.check(age, q.from_form(age, Decimal(typed))).code == "not_a_number"
