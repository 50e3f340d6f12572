"""The program editor's rows (portal/programs/rules_editor.py): documents, questions and rules as typed, checked."""

from __future__ import annotations

import pytest

from portal.programs import rules_editor as ed
from portal.programs.eligibility import RULE_PARAMS, validate_rules
from portal.programs.seed_data import SEED_EXTRA_FIELDS, SEED_RULES


def codes(problems):
    return [p.code for p in problems]


def at(problems, row):
    return [(p.code, p.field) for p in problems if p.row == row]


# ---------------------------------------------------------------- reading rows and moving them


def test_rows_are_read_in_index_order_and_unticked_boxes_are_false():
    form = {
        "doc-10-code": "b",
        "doc-10-zh": "乙",
        "doc-2-code": "a",
        "doc-2-required": "on",
        "other": "x",
        "doc-x-code": "ignored",
    }
    rows = ed.document_rows_from_form(form)
    assert [r["code"] for r in rows] == ["a", "b"]
    assert [r["required"] for r in rows] == [True, False]


@pytest.mark.parametrize(
    "op, expected",
    [
        ("up:1", ["b", "a", "c"]),
        ("up:0", ["a", "b", "c"]),
        ("down:1", ["a", "c", "b"]),
        ("down:2", ["a", "b", "c"]),
        ("remove:1", ["a", "c"]),
        ("remove:9", ["a", "b", "c"]),
        ("add", ["a", "b", "c", ""]),
    ],
)
def test_row_operations(op, expected):
    rows = [{"code": c} for c in "abc"]
    assert [r["code"] for r in ed.apply_op(rows, op, {"code": ""})] == expected
    assert [r["code"] for r in rows] == ["a", "b", "c"]  # the rows given are not changed


@pytest.mark.parametrize("op", ["save", "check", "try", "up:x", "explode:1", ""])
def test_other_buttons_are_not_row_operations(op):
    assert ed.apply_op([{"code": "a"}], op, {}) is None


def test_adding_stops_at_the_row_limit():
    rows = [{"code": str(i)} for i in range(ed.MAX_ROWS)]
    assert len(ed.apply_op(rows, "add", {"code": ""})) == ed.MAX_ROWS


# ---------------------------------------------------------------- documents


def doc(**kw):
    return {**ed.blank_document_row(), "code": "cv", "zh": "简历", "en": "CV", **kw}


def test_documents_are_stored_with_defaults_spelt_out():
    items, problems = ed.documents_from_rows([doc(), doc(code="papers", required=False, max_files="5")])
    assert problems == []
    assert items == [
        {"code": "cv", "zh": "简历", "en": "CV", "required": True, "max_files": 1},
        {"code": "papers", "zh": "简历", "en": "CV", "required": False, "max_files": 5},
    ]


@pytest.mark.parametrize(
    "row, expected",
    [
        (doc(code=""), [("document.code_missing", "code")]),
        (doc(code="CV"), [("document.code_format", "code")]),
        (doc(code="1cv"), [("document.code_format", "code")]),
        (doc(code="c v"), [("document.code_format", "code")]),
        (doc(code="x" * 41), [("document.code_format", "code")]),
        (doc(code="letter"), [("document.code_reserved", "code")]),
        (doc(code="book_1"), [("document.code_reserved", "code")]),
        (doc(zh=""), [("document.label_missing", "zh")]),
        (doc(en="  "), [("document.label_missing", "en")]),
        (doc(en="x" * 201), [("document.label_too_long", "en")]),
        (doc(max_files="0"), [("document.max_files", "max_files")]),
        (doc(max_files="two"), [("document.max_files", "max_files")]),
        (doc(max_files="1.5"), [("document.max_files", "max_files")]),
    ],
)
def test_document_problems_name_the_row_and_input(row, expected):
    _items, problems = ed.documents_from_rows([doc(code="other"), row])
    assert at(problems, 1) == expected and at(problems, 0) == []


def test_document_codes_are_unique():
    _items, problems = ed.documents_from_rows([doc(), doc(), doc(code="x")])
    assert at(problems, 1) == [("document.code_duplicate", "code")] and len(problems) == 1


def test_stored_documents_round_trip_and_defaults_count_as_unchanged():
    stored = [{"code": "cv", "zh": "个人简历", "en": "Curriculum vitae"}]
    items, problems = ed.documents_from_rows(ed.document_rows(stored))
    assert problems == [] and items != stored
    assert ed.normalise_documents(items) == ed.normalise_documents(stored)


# ---------------------------------------------------------------- questions


def question(**kw):
    return {**ed.blank_question_row(), "code": "q", "zh": "问题", "en": "Question", **kw}


def test_questions_of_every_type():
    rows = [
        question(code="t", type="text", min="10", max="500"),
        question(code="n", type="number", min="0", max="99.5", required=False),
        question(code="b", type="bool"),
        question(code="d", type="date", min="2000-01-01"),
        question(code="c", type="choice", choices="a | 甲 | A\n\nb | 乙 | B\n"),
    ]
    items, problems = ed.questions_from_rows(rows)
    assert problems == []
    assert items[0] == {
        "code": "t",
        "type": "text",
        "zh": "问题",
        "en": "Question",
        "required": True,
        "min": 10,
        "max": 500,
    }
    assert items[1]["min"] == 0 and items[1]["max"] == 99.5 and items[1]["required"] is False
    assert "min" not in items[2] and "choices" not in items[2]
    assert items[3]["min"] == "2000-01-01" and "max" not in items[3]
    assert items[4]["choices"] == [{"value": "a", "zh": "甲", "en": "A"}, {"value": "b", "zh": "乙", "en": "B"}]


@pytest.mark.parametrize(
    "row, expected",
    [
        (question(type="color"), [("question.type_unknown", "type")]),
        (question(type=""), [("question.type_unknown", "type")]),
        (question(code="Q"), [("question.code_format", "code")]),
        (question(zh=""), [("question.label_missing", "zh")]),
        (question(type="number", min="ten"), [("question.bound_number", "min")]),
        (question(type="number", min="nan"), [("question.bound_number", "min")]),
        (question(type="number", min="5", max="1"), [("question.min_gt_max", "min")]),
        (question(type="text", max="-1"), [("question.bound_text", "max")]),
        (question(type="text", min="2.5"), [("question.bound_text", "min")]),
        (question(type="text", min="20", max="10"), [("question.min_gt_max", "min")]),
        (question(type="date", min="2026-02-30"), [("question.bound_date", "min")]),
        (question(type="date", min="26-01-01"), [("question.bound_date", "min")]),
        (question(type="date", min="2026-12-31", max="2026-01-01"), [("question.min_gt_max", "min")]),
        (question(type="bool", min="1"), [("question.bound_not_applicable", "min")]),
        (question(type="choice", max="3", choices="a|甲|A\nb|乙|B"), [("question.bound_not_applicable", "max")]),
        (question(type="choice", choices=""), [("question.choices_too_few", "choices")]),
        (question(type="choice", choices="a | 甲 | A"), [("question.choices_too_few", "choices")]),
        (question(type="choice", choices="a | 甲 | A\na | 乙 | B"), [("question.choice_duplicate", "choices")]),
        (question(type="choice", choices="a | 甲\nb | 乙 | B"), [("question.choice_line", "choices")]),
        (question(type="choice", choices="a | 甲 | A\nb |  | B"), [("question.choice_line", "choices")]),
        (question(type="text", choices="a | 甲 | A"), [("question.choices_not_applicable", "choices")]),
    ],
)
def test_question_problems(row, expected):
    _items, problems = ed.questions_from_rows([row])
    assert at(problems, 0) == expected


def test_question_codes_are_unique():
    _items, problems = ed.questions_from_rows([question(), question(type="number")])
    assert codes(problems) == ["question.code_duplicate"] and problems[0].row == 1


@pytest.mark.parametrize("code", sorted(SEED_EXTRA_FIELDS))
def test_seeded_questions_round_trip(code):
    stored = SEED_EXTRA_FIELDS[code]
    items, problems = ed.questions_from_rows(ed.question_rows(stored))
    assert problems == []
    assert ed.normalise_questions(items) == ed.normalise_questions(stored)


def test_choices_round_trip_through_the_text_area():
    stored = [
        {
            "code": "c",
            "type": "choice",
            "zh": "选",
            "en": "Pick",
            "required": False,
            "choices": [{"value": "x", "zh": "甲", "en": "X"}, {"value": "y", "zh": "乙", "en": "Y"}],
        }
    ]
    items, problems = ed.questions_from_rows(ed.question_rows(stored))
    assert problems == [] and items == stored


def test_removing_or_retyping_a_question_a_rule_reads_is_reported():
    rules = [{"rule": "min_extra", "field": "equity", "value": 30}, {"rule": "company_age_years", "min": 1}]
    questions = [{"code": "equity", "type": "text"}, {"code": "company_founded", "type": "date"}]
    problems = ed.rules_needing_questions(rules, questions)
    assert codes(problems) == ["question.used_by_rule"]
    assert problems[0].values["n"] == 1 and problems[0].values["field"] == "equity"
    assert codes(ed.rules_needing_questions(rules, questions[1:])) == ["question.used_by_rule"]
    assert codes(ed.rules_needing_questions(rules, [])) == ["question.used_by_rule"] * 2
    assert ed.rules_needing_questions(rules, [{"code": "equity", "type": "number"}, questions[1]]) == []


# ---------------------------------------------------------------- rules

NUMBER_Q = {"code": "equity", "type": "number", "zh": "持股比例", "en": "equity share"}
BOOL_Q = {"code": "founder", "type": "bool", "zh": "主要创始人", "en": "main founder"}
DATE_Q = {"code": "company_founded", "type": "date", "zh": "成立日期", "en": "founding date"}
QUESTIONS = [NUMBER_Q, BOOL_Q, DATE_Q]


def rule(kind, **params):
    return {**ed.blank_rule_row(kind), **params}


@pytest.mark.parametrize("code", sorted(SEED_RULES))
def test_seeded_rules_round_trip_unchanged(code):
    stored = SEED_RULES[code]
    rules, problems = ed.rules_from_rows(ed.rule_rows(stored), SEED_EXTRA_FIELDS.get(code, []))
    assert problems == [] and rules == stored


def test_every_kind_has_a_blank_row_with_each_parameter():
    for kind, params in RULE_PARAMS.items():
        assert set(ed.blank_rule_row(kind)) == {"kind", *params}


def test_typed_rules_become_the_evaluators_rules():
    rows = [
        rule("max_age", value=" 35 "),
        rule("min_degree", value="phd"),
        rule("consecutive_years_abroad", value="3", research_only=True),
        rule("min_post_level", value="professor", abroad=True),
        rule("years_in_current_post", value="3"),
        rule("nationality", excluded="us、gb"),
        rule("no_same_level_program"),
        rule("max_attempts", value="3"),
        rule("min_extra", field="equity", value="30.5"),
        rule("extra_true", field="founder"),
        rule("company_age_years", min="1", max="5"),
        rule("degree_abroad"),
    ]
    rules, problems = ed.rules_from_rows(rows, QUESTIONS)
    assert problems == []
    assert validate_rules(rules) == []
    assert rules[0] == {"rule": "max_age", "value": 35}
    assert rules[2] == {"rule": "consecutive_years_abroad", "value": 3, "research_only": True}
    assert rules[4] == {"rule": "years_in_current_post", "value": 3}  # empty optional select left out
    assert rules[5] == {"rule": "nationality", "excluded": ["US", "GB"]}
    assert rules[8] == {
        "rule": "min_extra",
        "field": "equity",
        "value": 30.5,
        "label_zh": "持股比例",
        "label_en": "equity share",
    }  # the reason names the question
    assert rules[11] == {"rule": "degree_abroad"}


def test_a_question_rule_keeps_its_own_labels_and_known_fields_get_none():
    rows = [rule("min_extra", field="equity", value="1", label_zh="股份", label_en="")]
    rules, _ = ed.rules_from_rows(rows, QUESTIONS)
    assert rules[0]["label_zh"] == "股份" and "label_en" not in rules[0]
    known = [{"code": "equity_percent", "type": "number", "zh": "持股", "en": "equity"}]
    rules, _ = ed.rules_from_rows([rule("min_extra", field="equity_percent", value="30")], known)
    assert rules == [{"rule": "min_extra", "field": "equity_percent", "value": 30}]


@pytest.mark.parametrize(
    "row, expected",
    [
        (rule("max_agee"), [("rule.unknown_kind", "kind")]),
        (rule(""), [("rule.unknown_kind", "kind")]),
        (rule("max_age"), [("rule.missing", "value")]),
        (rule("max_age", value="-1"), [("rule.not_whole", "value")]),
        (rule("max_age", value="35.5"), [("rule.not_whole", "value")]),
        (rule("max_attempts", value="three"), [("rule.not_whole", "value")]),
        (rule("min_extra", field="equity", value="lots"), [("rule.not_number", "value")]),
        (rule("min_extra", field="equity", value="inf"), [("rule.not_number", "value")]),
        (rule("min_degree", value="doctor"), [("rule.bad_choice", "value")]),
        (rule("min_post_level", value="dean"), [("rule.bad_choice", "value")]),
        (rule("degree_abroad", min_degree="diploma"), [("rule.bad_choice", "min_degree")]),
        (rule("nationality", allowed="USA, GB"), [("rule.bad_codes", "allowed")]),
        (rule("nationality", allowed=", ,"), [("rule.bad_codes", "allowed")]),
        (rule("nationality"), [("rule.nationality_one", "allowed")]),
        (rule("nationality", allowed="US", excluded="GB"), [("rule.nationality_one", "allowed")]),
        (rule("company_age_years"), [("rule.company_age_bound", "min")]),
        (rule("company_age_years", min="6", max="5"), [("rule.min_gt_max", "min")]),
        (rule("min_extra", value="3"), [("rule.no_question", "field")]),
        (rule("extra_true"), [("rule.no_question", "field")]),
        (rule("min_extra", field="patents", value="3"), [("rule.unknown_question", "field")]),
        (rule("max_extra", field="founder", value="3"), [("rule.question_type", "field")]),
        (rule("extra_true", field="equity"), [("rule.question_type", "field")]),
        (rule("extra_true", field="company_founded"), [("rule.question_type", "field")]),
    ],
)
def test_rule_problems(row, expected):
    _rules, problems = ed.rules_from_rows([rule("no_same_level_program"), row], QUESTIONS)
    assert at(problems, 1) == expected and at(problems, 0) == []


def test_company_age_needs_a_date_question_named_company_founded():
    row = rule("company_age_years", min="1")
    assert codes(ed.rules_from_rows([row], [NUMBER_Q])[1]) == ["rule.company_founded_missing"]
    retyped = [{**DATE_Q, "type": "text"}]
    assert codes(ed.rules_from_rows([row], retyped)[1]) == ["rule.company_founded_type"]
    assert ed.rules_from_rows([row], [DATE_Q])[1] == []


def test_the_same_rule_twice_is_reported():
    _rules, problems = ed.rules_from_rows([rule("max_age", value="35"), rule("max_age", value="35")], [])
    assert [(p.code, p.row, p.values) for p in problems] == [("rule.duplicate", 1, {"n": 1})]


def test_every_valid_row_passes_the_evaluators_own_check():
    # validate_rules is the last word: whatever rules_from_rows accepts, the evaluator accepts.
    rows = [rule(kind) for kind in RULE_PARAMS]
    rules, problems = ed.rules_from_rows(rows, QUESTIONS)
    bad = {p.row for p in problems}
    accepted = [r for i, r in enumerate(rules) if i not in bad]
    assert accepted and validate_rules(accepted) == []


def test_rule_rows_read_from_the_form_keep_only_the_kinds_parameters():
    form = {
        "rule-0-kind": "consecutive_years_abroad",
        "rule-0-value": "4",
        "rule-0-after_phd": "on",
        "rule-0-bogus": "x",
        "rule-1-kind": "nationality",
        "rule-1-allowed": "US",
    }
    rows = ed.rule_rows_from_form(form)
    assert rows[0] == {"kind": "consecutive_years_abroad", "value": "4", "research_only": False, "after_phd": True}
    assert rows[1] == {"kind": "nationality", "allowed": "US", "excluded": ""}


def test_problems_split_into_general_and_per_row():
    problems = [ed.Problem("a.x", None), ed.Problem("a.y", 2, "code"), ed.Problem("a.z", 2)]
    general, per_row = ed.problems_by_row(problems)
    assert codes(general) == ["a.x"] and list(per_row) == [2] and len(per_row[2]) == 2
