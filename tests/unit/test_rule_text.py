"""Plain descriptions of eligibility rules (portal/programs/rule_text.py)."""

from __future__ import annotations

import pytest

from portal.programs.rule_text import describe

CUTOFF = "2026-12-31"


@pytest.mark.parametrize(
    "rule, zh, en",
    [
        ({"rule": "company_age_years", "min": 1}, "企业成立不少于 1 年", "Company founded at least 1 year(s) ago"),
        ({"rule": "company_age_years", "max": 5}, "企业成立不超过 5 年", "Company founded at most 5 year(s) ago"),
        ({"rule": "company_age_years", "min": 1, "max": 5}, "企业成立 1–5 年", "Company founded 1–5 years ago"),
    ],
)
def test_company_age_bounds_read_naturally(rule, zh, en):
    assert describe(rule, CUTOFF) == (zh, en)
    assert "None" not in "".join(describe(rule, CUTOFF))


@pytest.mark.parametrize(
    "rule, zh, en",
    [
        (
            {"rule": "min_extra", "field": "equity_percent", "value": 30},
            "持股比例（%）不少于 30",
            "Equity share (%) at least 30",
        ),
        (
            {"rule": "max_extra", "field": "months_per_year_in_china", "value": 6},
            "每年在国内工作月数不超过 6",
            "Months a year worked in China at most 6",
        ),
        (
            {"rule": "extra_true", "field": "is_main_founder"},
            "是否为企业主要创始人：须为“是”",
            "Main founder of the company: must be yes",
        ),
        (
            {"rule": "min_extra", "field": "patents", "value": 2, "label_zh": "专利数", "label_en": "granted patents"},
            "专利数不少于 2",
            "Granted patents at least 2",
        ),
        ({"rule": "extra_true", "field": "unknown_field"}, "unknown_field：须为“是”", "Unknown_field: must be yes"),
    ],
)
def test_extra_rules_use_shared_labels(rule, zh, en):
    assert describe(rule, CUTOFF) == (zh, en)
