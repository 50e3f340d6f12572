"""Seed data of the demo programs (SPEC §2): eligibility rules and the extra questions each program asks."""

SEED_RULES: dict[str, list[dict]] = {
    "qianren_long": [
        {"rule": "min_degree", "value": "phd"},
        {"rule": "max_age", "value": 55},
        {"rule": "min_post_level", "value": "professor", "abroad": True},
        {"rule": "max_extra", "field": "years_in_china_fulltime", "value": 1},
        {"rule": "min_extra", "field": "commits_fulltime_years", "value": 3},
        {"rule": "no_same_level_program"},
    ],
    "qianren_short": [
        {"rule": "min_degree", "value": "phd"},
        {"rule": "max_age", "value": 55},
        {"rule": "min_post_level", "value": "professor", "abroad": True},
        {"rule": "min_extra", "field": "months_per_year_in_china", "value": 2},
        {"rule": "min_extra", "field": "commits_years", "value": 3},
        {"rule": "no_same_level_program"},
    ],
    "qianren_youth": [
        {"rule": "min_degree", "value": "phd"},
        {"rule": "max_age", "value": 40},
        {"rule": "consecutive_years_abroad", "value": 3, "research_only": True},
        {"rule": "extra_true", "field": "returns_fulltime"},
        {"rule": "no_same_level_program"},
    ],
    "qianren_startup": [
        {"rule": "degree_abroad", "min_degree": "master"},
        {"rule": "extra_true", "field": "is_main_founder"},
        {"rule": "min_extra", "field": "equity_percent", "value": 30},
        {"rule": "company_age_years", "min": 1, "max": 5},
        {"rule": "max_age", "value": 55},
        {"rule": "no_same_level_program"},
    ],
    "bairen": [
        {"rule": "min_degree", "value": "phd"},
        {"rule": "max_age_exclusive", "value": 40},
        {"rule": "consecutive_years_abroad", "value": 4, "research_only": True, "after_phd": True},
        {"rule": "min_post_level", "value": "assistant_professor", "abroad": True},
        {"rule": "no_same_level_program"},
        {"rule": "max_attempts", "value": 3},
        {"rule": "no_consecutive_rounds"},
    ],
    "youth_talent": [
        {"rule": "max_age", "value": 35},
        {"rule": "min_degree", "value": "phd"},
        {"rule": "no_same_level_program"},
    ],
    "support_talent": [
        {"rule": "years_in_current_post", "value": 3, "post_level": "technical_support"},
        {"rule": "no_same_level_program"},
    ],
}


# The program-specific questions of the application form; their answers feed the *_extra rules.
# type: number | date | bool; labels in both languages.
SEED_EXTRA_FIELDS: dict[str, list[dict]] = {
    "qianren_long": [
        {
            "code": "years_in_china_fulltime",
            "type": "number",
            "zh": "已在国内全职工作年数",
            "en": "Years already working full-time in China",
        },
        {
            "code": "commits_fulltime_years",
            "type": "number",
            "zh": "承诺回国全职工作年数",
            "en": "Years committed to full-time work in China",
        },
    ],
    "qianren_short": [
        {
            "code": "months_per_year_in_china",
            "type": "number",
            "zh": "每年在国内工作月数",
            "en": "Months per year working in China",
        },
        {"code": "commits_years", "type": "number", "zh": "承诺连续工作年数", "en": "Consecutive years committed"},
    ],
    "qianren_youth": [
        {
            "code": "returns_fulltime",
            "type": "bool",
            "zh": "入选后全职回国工作",
            "en": "Will return to work full-time in China",
        },
    ],
    "qianren_startup": [
        {
            "code": "is_main_founder",
            "type": "bool",
            "zh": "本人为企业主要创办人",
            "en": "I am the company's main founder",
        },
        {"code": "equity_percent", "type": "number", "zh": "本人持股比例（%）", "en": "My equity share (%)"},
        {"code": "company_founded", "type": "date", "zh": "企业成立日期", "en": "Date the company was founded"},
    ],
}
