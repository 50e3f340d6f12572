"""Eligibility rules (SPEC §3.2): each rule's verdict and its Chinese and English reason."""

from __future__ import annotations

import json
from datetime import date

import pytest

from portal.programs.eligibility import (
    RULE_TYPES,
    ApplicantFacts,
    CallFacts,
    Education,
    Position,
    RuleResult,
    evaluate,
    full_years,
    is_eligible,
    validate_rules,
)
from portal.programs.seed_data import SEED_RULES

CUTOFF = date(2026, 6, 30)
CALL = CallFacts(cutoff_date=CUTOFF, year=2026, program_level="national")
PHD_US = Education("phd", "MIT", "US", 2015)


def d(text: str) -> date:
    return date.fromisoformat(text)


def post(
    start: str,
    end: str | None = None,
    country: str = "US",
    level: str = "postdoc",
    research: bool = True,
    employer: str = "MIT",
    title: str = "Postdoc",
) -> Position:
    return Position(employer, country, title, level, d(start), d(end) if end else None, is_research=research)


def facts(**changes) -> ApplicantFacts:
    values = dict(birth_date=date(1990, 1, 1), nationality="CN", education=(PHD_US,), positions=())
    values.update(changes)
    return ApplicantFacts(**values)


def check(rule: dict, applicant: ApplicantFacts, call: CallFacts = CALL) -> RuleResult:
    [result] = evaluate([rule], applicant, call)
    return result


def assert_result(result: RuleResult, passed: bool, zh: str, en: str) -> None:
    assert (result.passed, result.message("zh_CN"), result.message("en")) == (passed, zh, en)


# --- ages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, birth, cutoff, passed, zh, en",
    [
        pytest.param(
            {"rule": "max_age", "value": 40},
            "1985-07-01",
            CUTOFF,
            True,
            "截至 2026-06-30 年龄为 40 周岁，未超过上限 40 周岁",
            "Age 40 at the cutoff date 2026-06-30 is within the limit of 40",
            id="max-day-before-birthday",
        ),
        pytest.param(
            {"rule": "max_age", "value": 40},
            "1985-06-30",
            CUTOFF,
            False,
            "截至 2026-06-30 年龄为 41 周岁，超过上限 40 周岁",
            "Age 41 at the cutoff date 2026-06-30 exceeds the limit of 40",
            id="max-on-birthday",
        ),
        pytest.param(
            {"rule": "max_age", "value": 40},
            "1985-06-29",
            CUTOFF,
            False,
            "截至 2026-06-30 年龄为 41 周岁，超过上限 40 周岁",
            "Age 41 at the cutoff date 2026-06-30 exceeds the limit of 40",
            id="max-day-after-birthday",
        ),
        pytest.param(
            {"rule": "max_age_exclusive", "value": 40},
            "1986-07-01",
            CUTOFF,
            True,
            "截至 2026-06-30 年龄为 39 周岁，未满 40 周岁",
            "Age 39 at the cutoff date 2026-06-30 is under 40",
            id="exclusive-39",
        ),
        pytest.param(
            {"rule": "max_age_exclusive", "value": 40},
            "1986-06-30",
            CUTOFF,
            False,
            "截至 2026-06-30 年龄为 40 周岁，要求未满 40 周岁",
            "Age 40 at the cutoff date 2026-06-30 must be under 40",
            id="exclusive-40-on-birthday",
        ),
        pytest.param(
            {"rule": "min_age", "value": 22},
            "2004-06-30",
            CUTOFF,
            True,
            "截至 2026-06-30 年龄为 22 周岁，达到下限 22 周岁",
            "Age 22 at the cutoff date 2026-06-30 meets the minimum of 22",
            id="min-on-birthday",
        ),
        pytest.param(
            {"rule": "min_age", "value": 22},
            "2004-07-01",
            CUTOFF,
            False,
            "截至 2026-06-30 年龄为 21 周岁，低于下限 22 周岁",
            "Age 21 at the cutoff date 2026-06-30 is below the minimum of 22",
            id="min-day-before-birthday",
        ),
        pytest.param(
            {"rule": "max_age", "value": 38},
            "1988-02-29",
            date(2027, 2, 28),
            True,
            "截至 2027-02-28 年龄为 38 周岁，未超过上限 38 周岁",
            "Age 38 at the cutoff date 2027-02-28 is within the limit of 38",
            id="29feb-not-yet-on-28feb",
        ),
        pytest.param(
            {"rule": "max_age", "value": 38},
            "1988-02-29",
            date(2027, 3, 1),
            False,
            "截至 2027-03-01 年龄为 39 周岁，超过上限 38 周岁",
            "Age 39 at the cutoff date 2027-03-01 exceeds the limit of 38",
            id="29feb-counts-on-1mar",
        ),
        pytest.param(
            {"rule": "max_age", "value": 39},
            "1988-02-29",
            date(2028, 2, 29),
            False,
            "截至 2028-02-29 年龄为 40 周岁，超过上限 39 周岁",
            "Age 40 at the cutoff date 2028-02-29 exceeds the limit of 39",
            id="29feb-leap-year",
        ),
    ],
)
def test_age_rules(rule, birth, cutoff, passed, zh, en):
    call = CallFacts(cutoff_date=cutoff, year=cutoff.year, program_level="national")
    assert_result(check(rule, facts(birth_date=d(birth)), call), passed, zh, en)


@pytest.mark.parametrize("rule", ["max_age", "max_age_exclusive", "min_age"])
def test_age_rules_without_birth_date_ask_for_it(rule):
    result = check({"rule": rule, "value": 40}, facts(birth_date=None))
    assert_result(result, False, "请在个人资料中填写出生日期", "Fill in your date of birth in your profile")


@pytest.mark.parametrize(
    "start, end, years",
    [
        ("1990-06-30", "2026-06-29", 35),
        ("1990-06-30", "2026-06-30", 36),
        ("1990-06-30", "2026-07-01", 36),
        ("2000-02-29", "2001-02-28", 0),
        ("2000-02-29", "2001-03-01", 1),
        ("2000-02-29", "2004-02-29", 4),
    ],
)
def test_full_years_counts_the_anniversary_itself(start, end, years):
    assert full_years(d(start), d(end)) == years


def test_params_hold_the_figures_behind_the_reason():
    result = check({"rule": "max_age", "value": 40}, facts(birth_date=d("1985-06-30")))
    assert result.params == {"age": 41, "limit": 40, "cutoff": "2026-06-30"}


# --- degrees ----------------------------------------------------------------------------------

MASTER_CN = Education("master", "Peking University", "CN", 2010)
MASTER_UK = Education("master", "Imperial College", "GB", 2011)
BACHELOR_US = Education("bachelor", "UCLA", "US", 2008)


@pytest.mark.parametrize(
    "rule, education, passed, zh, en",
    [
        pytest.param(
            {"rule": "min_degree", "value": "phd"},
            (BACHELOR_US, PHD_US),
            True,
            "最高学位为博士，符合博士及以上学位要求",
            "Highest degree (PhD) meets the requirement of PhD or higher",
            id="min-degree-pass",
        ),
        pytest.param(
            {"rule": "min_degree", "value": "phd"},
            (MASTER_CN,),
            False,
            "最高学位为硕士，要求博士及以上学位",
            "Highest degree is master's; PhD or higher is required",
            id="min-degree-fail",
        ),
        pytest.param(
            {"rule": "min_degree", "value": "master"},
            (PHD_US,),
            True,
            "最高学位为博士，符合硕士及以上学位要求",
            "Highest degree (PhD) meets the requirement of master's or higher",
            id="min-degree-above",
        ),
        pytest.param(
            {"rule": "degree_abroad", "min_degree": "master"},
            (BACHELOR_US, MASTER_UK),
            True,
            "2011 年在境外获得硕士学位（Imperial College，GB），符合要求",
            "A master's degree obtained abroad (Imperial College, GB, 2011) meets the requirement",
            id="abroad-pass",
        ),
        pytest.param(
            {"rule": "degree_abroad", "min_degree": "master"},
            (BACHELOR_US, MASTER_CN),
            False,
            "未在境外获得硕士及以上学位",
            "No master's or higher degree obtained outside China",
            id="abroad-only-bachelor-abroad",
        ),
        pytest.param(
            {"rule": "degree_abroad"},
            (BACHELOR_US,),
            True,
            "2008 年在境外获得学士学位（UCLA，US），符合要求",
            "A bachelor's degree obtained abroad (UCLA, US, 2008) meets the requirement",
            id="abroad-default",
        ),
    ],
)
def test_degree_rules(rule, education, passed, zh, en):
    assert_result(check(rule, facts(education=education)), passed, zh, en)


@pytest.mark.parametrize("rule", [{"rule": "min_degree", "value": "phd"}, {"rule": "degree_abroad"}])
def test_degree_rules_without_education_ask_for_it(rule):
    assert_result(
        check(rule, facts(education=())),
        False,
        "请在个人资料中填写教育经历（学位、院校、国家、年份）",
        "Fill in your education (degree, institution, country, year) in your profile",
    )


# --- consecutive years abroad -----------------------------------------------------------------

THREE = {"rule": "consecutive_years_abroad", "value": 3}


@pytest.mark.parametrize(
    "positions, passed, zh, en",
    [
        pytest.param(
            (post("2020-01-01", "2021-12-31"), post("2022-01-01", "2022-12-31", "GB")),
            True,
            "在境外连续工作 3 年（2020-01-01 至 2022-12-31），达到 3 年要求",
            "3 consecutive years of work abroad (2020-01-01 to 2022-12-31) meets the requirement of 3",
            id="next-day-adjacency-joins",
        ),
        pytest.param(
            (post("2020-01-01", "2021-12-31"), post("2021-12-31", "2022-12-31")),
            True,
            "在境外连续工作 3 年（2020-01-01 至 2022-12-31），达到 3 年要求",
            "3 consecutive years of work abroad (2020-01-01 to 2022-12-31) meets the requirement of 3",
            id="same-day-adjacency-joins",
        ),
        pytest.param(
            (post("2020-01-01", "2021-11-30"), post("2022-01-01", "2022-12-31")),
            True,
            "在境外连续工作 3 年（2020-01-01 至 2022-12-31），达到 3 年要求",
            "3 consecutive years of work abroad (2020-01-01 to 2022-12-31) meets the requirement of 3",
            id="31-day-gap-is-bridged",
        ),
        pytest.param(
            (post("2020-01-01", "2021-11-29"), post("2022-01-01", "2022-12-31")),
            False,
            "在境外连续工作最长 1 年（2020-01-01 至 2021-11-29），不足 3 年",
            "Longest run of work abroad is 1 year(s) (2020-01-01 to 2021-11-29); 3 consecutive years are required",
            id="32-day-gap-breaks",
        ),
        pytest.param(
            (post("2019-01-01", "2021-06-30"), post("2020-01-01", "2022-12-31")),
            True,
            "在境外连续工作 4 年（2019-01-01 至 2022-12-31），达到 3 年要求",
            "4 consecutive years of work abroad (2019-01-01 to 2022-12-31) meets the requirement of 3",
            id="overlap-merges",
        ),
        pytest.param(
            (post("2023-07-01"),),
            True,
            "在境外连续工作 3 年（2023-07-01 至 2026-06-30），达到 3 年要求",
            "3 consecutive years of work abroad (2023-07-01 to 2026-06-30) meets the requirement of 3",
            id="current-post-runs-to-cutoff",
        ),
        pytest.param(
            (post("2023-07-02"),),
            False,
            "在境外连续工作最长 2 年（2023-07-02 至 2026-06-30），不足 3 年",
            "Longest run of work abroad is 2 year(s) (2023-07-02 to 2026-06-30); 3 consecutive years are required",
            id="current-post-one-day-short",
        ),
        pytest.param(
            (
                post("2018-01-01", "2019-12-31"),
                post("2020-01-01", "2020-12-31", "CN"),
                post("2021-01-01", "2022-06-30"),
            ),
            False,
            "在境外连续工作最长 2 年（2018-01-01 至 2019-12-31），不足 3 年",
            "Longest run of work abroad is 2 year(s) (2018-01-01 to 2019-12-31); 3 consecutive years are required",
            id="post-in-china-breaks",
        ),
        pytest.param(
            (post("2024-01-01", "2030-12-31"),),
            False,
            "在境外连续工作最长 2 年（2024-01-01 至 2026-06-30），不足 3 年",
            "Longest run of work abroad is 2 year(s) (2024-01-01 to 2026-06-30); 3 consecutive years are required",
            id="end-after-cutoff-is-clipped",
        ),
        pytest.param(
            (post("2010-01-01", country="CN"), post("2026-07-01")),
            False,
            "个人资料中没有在境外工作的经历，要求连续 3 年",
            "No positions abroad in your profile; 3 consecutive years are required",
            id="none-abroad-by-cutoff",
        ),
    ],
)
def test_consecutive_years_abroad(positions, passed, zh, en):
    assert_result(check(THREE, facts(positions=positions)), passed, zh, en)


RESEARCH_THEN_INDUSTRY = (post("2020-01-01", "2021-12-31"), post("2022-01-01", "2023-12-31", research=False))


@pytest.mark.parametrize(
    "rule, applicant, passed, zh, en",
    [
        pytest.param(
            {**THREE, "value": 4},
            facts(positions=RESEARCH_THEN_INDUSTRY),
            True,
            "在境外连续工作 4 年（2020-01-01 至 2023-12-31），达到 4 年要求",
            "4 consecutive years of work abroad (2020-01-01 to 2023-12-31) meets the requirement of 4",
            id="any-post-counts",
        ),
        pytest.param(
            {**THREE, "value": 4, "research_only": True},
            facts(positions=RESEARCH_THEN_INDUSTRY),
            False,
            "在境外连续从事科研工作最长 2 年（2020-01-01 至 2021-12-31），不足 4 年",
            "Longest run of research work abroad is 2 year(s) (2020-01-01 to 2021-12-31); "
            "4 consecutive years are required",
            id="research-only-filters",
        ),
        pytest.param(
            {**THREE, "value": 7, "after_phd": True},
            facts(education=(Education("phd", "MIT", "US", 2019),), positions=(post("2017-09-01"),)),
            False,
            "博士毕业后在境外连续工作最长 6 年（2020-01-01 至 2026-06-30），不足 7 年",
            "Longest run of work abroad after the PhD is 6 year(s) (2020-01-01 to 2026-06-30); "
            "7 consecutive years are required",
            id="after-phd-counts-from-next-january",
        ),
        pytest.param(
            {**THREE, "value": 8},
            facts(positions=(post("2017-09-01"),)),
            True,
            "在境外连续工作 8 年（2017-09-01 至 2026-06-30），达到 8 年要求",
            "8 consecutive years of work abroad (2017-09-01 to 2026-06-30) meets the requirement of 8",
            id="without-after-phd-counts-all",
        ),
        pytest.param(
            {**THREE, "after_phd": True, "research_only": True},
            facts(education=(Education("phd", "MIT", "US", 2025),), positions=(post("2020-01-01"),)),
            False,
            "博士毕业后在境外连续从事科研工作最长 0 年（2026-01-01 至 2026-06-30），不足 3 年",
            "Longest run of research work abroad after the PhD is 0 year(s) (2026-01-01 to 2026-06-30); "
            "3 consecutive years are required",
            id="recent-phd",
        ),
        pytest.param(
            {**THREE, "after_phd": True},
            facts(education=(MASTER_UK,), positions=(post("2015-01-01"),)),
            False,
            "请在个人资料的教育经历中填写博士学位（用于计算博士毕业后的年限）",
            "Fill in your PhD in the education section of your profile (needed to count years after the PhD)",
            id="after-phd-without-phd",
        ),
        pytest.param(
            THREE,
            facts(positions=()),
            False,
            "请在个人资料中填写工作经历",
            "Fill in your positions in your profile",
            id="no-positions",
        ),
        pytest.param(
            {**THREE, "research_only": True, "after_phd": True},
            facts(positions=(post("2016-01-01", research=False),)),
            False,
            "个人资料中没有博士毕业后在境外从事科研工作的经历，要求连续 3 年",
            "No research positions abroad after the PhD in your profile; 3 consecutive years are required",
            id="no-research-posts",
        ),
    ],
)
def test_consecutive_years_abroad_options(rule, applicant, passed, zh, en):
    assert_result(check(rule, applicant), passed, zh, en)


# --- posts ------------------------------------------------------------------------------------

PROF_US = post("2012-01-01", "2025-12-31", level="professor", employer="Harvard University", title="Professor")
PROF_CN = post("2026-01-01", country="CN", level="professor", employer="Tsinghua University", title="Professor")
ASSOC_US = post("2015-01-01", level="associate_professor", employer="UCLA", title="Associate Professor")


@pytest.mark.parametrize(
    "rule, positions, passed, zh, en",
    [
        pytest.param(
            {"rule": "min_post_level", "value": "professor", "abroad": True},
            (PROF_US, PROF_CN),
            True,
            "在Harvard University（US）任Professor，岗位等级为教授级，达到教授级及以上要求",
            "Professor at Harvard University (US) is at professor level, "
            "meeting the requirement of professor level or above",
            id="past-post-abroad-counts",
        ),
        pytest.param(
            {"rule": "min_post_level", "value": "professor", "abroad": True},
            (ASSOC_US, PROF_CN),
            False,
            "个人资料中没有境外教授级及以上岗位的任职经历（最高为副教授级）",
            "No post abroad at professor level or above in your profile (highest: associate professor)",
            id="professor-only-in-china",
        ),
        pytest.param(
            {"rule": "min_post_level", "value": "assistant_professor"},
            (ASSOC_US,),
            True,
            "在UCLA（US）任Associate Professor，岗位等级为副教授级，达到助理教授级及以上要求",
            "Associate Professor at UCLA (US) is at associate professor level, "
            "meeting the requirement of assistant professor level or above",
            id="higher-level-passes",
        ),
        pytest.param(
            {"rule": "min_post_level", "value": "professor", "abroad": True, "current": True},
            (PROF_US, PROF_CN),
            False,
            "个人资料中没有现任境外教授级及以上岗位的任职经历（最高为无）",
            "No post abroad current at the cutoff date at professor level or above in your profile (highest: none)",
            id="current-only",
        ),
        pytest.param(
            {"rule": "min_post_level", "value": "postdoc"},
            (post("2026-07-01", level="professor"),),
            False,
            "个人资料中没有博士后及以上岗位的任职经历（最高为无）",
            "No post at postdoc level or above in your profile (highest: none)",
            id="future-post-ignored",
        ),
    ],
)
def test_min_post_level(rule, positions, passed, zh, en):
    assert_result(check(rule, facts(positions=positions)), passed, zh, en)


TS = {"rule": "years_in_current_post", "value": 3, "post_level": "technical_support"}


def ts(start: str, end: str | None = None, employer: str = "IOP") -> Position:
    return post(
        start, end, country="CN", level="technical_support", research=False, employer=employer, title="Engineer"
    )


@pytest.mark.parametrize(
    "rule, positions, passed, zh, en",
    [
        pytest.param(
            TS,
            (ts("2023-07-01"),),
            True,
            "截至 2026-06-30 在技术支撑岗位（Engineer，IOP）连续任职 3 年，达到 3 年要求",
            "3 year(s) in the current technical support post (Engineer at IOP) at the cutoff date 2026-06-30 "
            "meets the requirement of 3",
            id="exactly-three-years",
        ),
        pytest.param(
            TS,
            (ts("2023-07-02"),),
            False,
            "截至 2026-06-30 在技术支撑岗位（Engineer，IOP）连续任职 2 年，不足 3 年",
            "2 year(s) in the current technical support post (Engineer at IOP) at the cutoff date 2026-06-30 "
            "is less than the required 3",
            id="one-day-short",
        ),
        pytest.param(
            TS,
            (ts("2020-01-01", "2024-12-31", "IOP"), ts("2025-01-01", employer="IOA")),
            True,
            "截至 2026-06-30 在技术支撑岗位（Engineer，IOA）连续任职 6 年，达到 3 年要求",
            "6 year(s) in the current technical support post (Engineer at IOA) at the cutoff date 2026-06-30 "
            "meets the requirement of 3",
            id="same-level-posts-join",
        ),
        pytest.param(
            TS,
            (post("2015-01-01", "2023-12-31", "CN", "researcher"), ts("2024-01-01")),
            False,
            "截至 2026-06-30 在技术支撑岗位（Engineer，IOP）连续任职 2 年，不足 3 年",
            "2 year(s) in the current technical support post (Engineer at IOP) at the cutoff date 2026-06-30 "
            "is less than the required 3",
            id="other-level-does-not-count",
        ),
        pytest.param(
            TS,
            (ts("2015-01-01", "2025-12-31"), post("2026-01-01", country="CN", level="researcher")),
            False,
            "个人资料中没有截至 2026-06-30 仍在任的技术支撑岗位，请填写当前岗位",
            "Your profile has no technical support post current at the cutoff date 2026-06-30; "
            "fill in your current post",
            id="no-longer-in-post",
        ),
        pytest.param(
            {"rule": "years_in_current_post", "value": 3},
            (post("2022-01-01", country="CN"),),
            True,
            "截至 2026-06-30 在岗位（Postdoc，MIT）连续任职 4 年，达到 3 年要求",
            "4 year(s) in the current post (Postdoc at MIT) at the cutoff date 2026-06-30 meets the requirement of 3",
            id="any-level",
        ),
        pytest.param(
            TS, (), False, "请在个人资料中填写工作经历", "Fill in your positions in your profile", id="no-positions"
        ),
    ],
)
def test_years_in_current_post(rule, positions, passed, zh, en):
    assert_result(check(rule, facts(positions=positions)), passed, zh, en)


# --- nationality, other programs, attempts ----------------------------------------------------


@pytest.mark.parametrize(
    "rule, nationality, passed, zh, en",
    [
        ({"rule": "nationality", "allowed": ["CN"]}, "CN", True, "国籍 CN 符合要求", "Nationality CN is eligible"),
        ({"rule": "nationality", "allowed": ["cn"]}, "cn", True, "国籍 CN 符合要求", "Nationality CN is eligible"),
        (
            {"rule": "nationality", "allowed": ["CN", "HK"]},
            "US",
            False,
            "国籍 US 不在本计划允许的范围内（CN, HK）",
            "Nationality US is not among the eligible nationalities (CN, HK)",
        ),
        (
            {"rule": "nationality", "excluded": ["US"]},
            "US",
            False,
            "国籍为 US 的申请人不能申报本计划",
            "Applicants of nationality US are not eligible for this program",
        ),
        ({"rule": "nationality", "excluded": ["US"]}, "DE", True, "国籍 DE 符合要求", "Nationality DE is eligible"),
        (
            {"rule": "nationality", "allowed": ["CN"]},
            "",
            False,
            "请在个人资料中填写国籍",
            "Fill in your nationality in your profile",
        ),
    ],
)
def test_nationality(rule, nationality, passed, zh, en):
    assert_result(check(rule, facts(nationality=nationality)), passed, zh, en)


@pytest.mark.parametrize(
    "held, live, level, passed, zh, en",
    [
        pytest.param(
            {"national"},
            set(),
            "national",
            False,
            "已入选国家级人才计划，同一层次的计划只能入选一个",
            "You already hold a national talent program; only one program of the same level is allowed",
            id="holds-same-level",
        ),
        pytest.param(
            set(),
            {"national"},
            "national",
            False,
            "已有其他国家级人才计划的申请正在评审中，同一层次的计划不能同时申报",
            "You have another national program application under review; "
            "only one application at the same level is allowed at a time",
            id="live-application",
        ),
        pytest.param(
            {"academy"},
            {"institute"},
            "national",
            True,
            "未入选或申报其他国家级人才计划",
            "No other national talent program held or applied for",
            id="other-levels",
        ),
        pytest.param(
            {"national"},
            set(),
            "academy",
            True,
            "未入选或申报其他院级人才计划",
            "No other academy-level talent program held or applied for",
            id="academy-call",
        ),
    ],
)
def test_no_same_level_program(held, live, level, passed, zh, en):
    applicant = facts(held_program_levels=frozenset(held), live_application_levels=frozenset(live))
    call = CallFacts(cutoff_date=CUTOFF, year=2026, program_level=level)
    assert_result(check({"rule": "no_same_level_program"}, applicant, call), passed, zh, en)


@pytest.mark.parametrize(
    "rule, attempts, passed, zh, en",
    [
        (
            {"rule": "max_attempts", "value": 2},
            (),
            True,
            "此前已申请本计划 0 次，未达到上限 2 次",
            "0 earlier application(s) to this program; the limit is 2",
        ),
        (
            {"rule": "max_attempts", "value": 2},
            (2023,),
            True,
            "此前已申请本计划 1 次，未达到上限 2 次",
            "1 earlier application(s) to this program; the limit is 2",
        ),
        (
            {"rule": "max_attempts", "value": 2},
            (2024, 2022),
            False,
            "此前已申请本计划 2 次（2022、2024 年），已达到上限 2 次",
            "You have already applied to this program 2 times (2022, 2024); the limit is 2",
        ),
        (
            {"rule": "max_attempts", "value": 2},
            (2024, 2024, 2026),
            True,
            "此前已申请本计划 1 次，未达到上限 2 次",
            "1 earlier application(s) to this program; the limit is 2",
        ),
        (
            {"rule": "no_consecutive_rounds"},
            (2025,),
            False,
            "2025 年已申请本计划，不能连续两年申报",
            "You applied to this program in 2025; applying in consecutive rounds is not allowed",
        ),
        (
            {"rule": "no_consecutive_rounds"},
            (2024,),
            True,
            "2025 年未申请本计划",
            "No application to this program in 2025",
        ),
        ({"rule": "no_consecutive_rounds"}, (), True, "2025 年未申请本计划", "No application to this program in 2025"),
    ],
)
def test_attempts_and_rounds(rule, attempts, passed, zh, en):
    assert_result(check(rule, facts(previous_attempts=attempts)), passed, zh, en)


# --- program-specific answers -----------------------------------------------------------------

EQUITY = {"rule": "min_extra", "field": "equity_percent", "value": 30}
IN_CHINA = {"rule": "max_extra", "field": "years_in_china_fulltime", "value": 1}
RETURNS = {"rule": "extra_true", "field": "returns_fulltime"}


@pytest.mark.parametrize(
    "rule, extra, passed, zh, en",
    [
        (
            EQUITY,
            {"equity_percent": 35},
            True,
            "持股比例（%）为 35，达到下限 30",
            "Equity share (%) is 35, meeting the minimum of 30",
        ),
        (
            EQUITY,
            {"equity_percent": 30.0},
            True,
            "持股比例（%）为 30，达到下限 30",
            "Equity share (%) is 30, meeting the minimum of 30",
        ),
        (
            EQUITY,
            {"equity_percent": "35"},
            True,
            "持股比例（%）为 35，达到下限 30",
            "Equity share (%) is 35, meeting the minimum of 30",
        ),
        (
            EQUITY,
            {"equity_percent": 29.5},
            False,
            "持股比例（%）为 29.5，低于下限 30",
            "Equity share (%) is 29.5, below the minimum of 30",
        ),
        (EQUITY, {}, False, "请在申请表中填写“持股比例（%）”", 'Fill in "Equity share (%)" in the application form'),
        (
            EQUITY,
            {"equity_percent": "lots"},
            False,
            "请在申请表中填写“持股比例（%）”",
            'Fill in "Equity share (%)" in the application form',
        ),
        (
            EQUITY,
            {"equity_percent": True},
            False,
            "请在申请表中填写“持股比例（%）”",
            'Fill in "Equity share (%)" in the application form',
        ),
        (
            IN_CHINA,
            {"years_in_china_fulltime": 0.5},
            True,
            "已在国内全职工作年限为 0.5，未超过上限 1",
            "Years already worked full-time in China is 0.5, within the limit of 1",
        ),
        (
            IN_CHINA,
            {"years_in_china_fulltime": 1},
            True,
            "已在国内全职工作年限为 1，未超过上限 1",
            "Years already worked full-time in China is 1, within the limit of 1",
        ),
        (
            IN_CHINA,
            {"years_in_china_fulltime": 1.5},
            False,
            "已在国内全职工作年限为 1.5，超过上限 1",
            "Years already worked full-time in China is 1.5, above the limit of 1",
        ),
        (
            {
                "rule": "min_extra",
                "field": "papers",
                "value": 3,
                "label_zh": "代表作数量",
                "label_en": "number of papers",
            },
            {"papers": 2},
            False,
            "代表作数量为 2，低于下限 3",
            "Number of papers is 2, below the minimum of 3",
        ),
        (
            {"rule": "max_extra", "field": "papers", "value": 3},
            {"papers": 2},
            True,
            "papers为 2，未超过上限 3",
            "Papers is 2, within the limit of 3",
        ),
        (RETURNS, {"returns_fulltime": True}, True, "是否回国全职工作：是", "Returns to work full-time in China: yes"),
        (RETURNS, {"returns_fulltime": "yes"}, True, "是否回国全职工作：是", "Returns to work full-time in China: yes"),
        (
            RETURNS,
            {"returns_fulltime": False},
            False,
            "是否回国全职工作：否，本计划要求为“是”",
            "Returns to work full-time in China: no; this program requires yes",
        ),
        (
            RETURNS,
            {},
            False,
            "请在申请表中填写“是否回国全职工作”",
            'Fill in "Returns to work full-time in China" in the application form',
        ),
    ],
)
def test_extra_answers(rule, extra, passed, zh, en):
    assert_result(check(rule, facts(extra=extra)), passed, zh, en)


COMPANY = {"rule": "company_age_years", "min": 1, "max": 5}


@pytest.mark.parametrize(
    "rule, founded, passed, zh, en",
    [
        pytest.param(
            COMPANY,
            date(2025, 7, 1),
            False,
            "公司成立于 2025-07-01，截至 2026-06-30 成立不满 1 年",
            "The company founded on 2025-07-01 is less than 1 year(s) old at the cutoff date 2026-06-30",
            id="one-day-short-of-a-year",
        ),
        pytest.param(
            COMPANY,
            date(2025, 6, 30),
            True,
            "公司成立于 2025-06-30，截至 2026-06-30 已成立 1 年，符合要求（1–5 年）",
            "The company founded on 2025-06-30 is 1 year(s) old at the cutoff date 2026-06-30, "
            "meeting the requirement (1–5 years)",
            id="exactly-one-year",
        ),
        pytest.param(
            COMPANY,
            date(2021, 6, 30),
            True,
            "公司成立于 2021-06-30，截至 2026-06-30 已成立 5 年，符合要求（1–5 年）",
            "The company founded on 2021-06-30 is 5 year(s) old at the cutoff date 2026-06-30, "
            "meeting the requirement (1–5 years)",
            id="exactly-five-years",
        ),
        pytest.param(
            COMPANY,
            date(2021, 6, 29),
            False,
            "公司成立于 2021-06-29，截至 2026-06-30 已成立超过 5 年",
            "The company founded on 2021-06-29 is more than 5 years old at the cutoff date 2026-06-30",
            id="five-years-and-a-day",
        ),
        pytest.param(
            COMPANY,
            "2023-01-15",
            True,
            "公司成立于 2023-01-15，截至 2026-06-30 已成立 3 年，符合要求（1–5 年）",
            "The company founded on 2023-01-15 is 3 year(s) old at the cutoff date 2026-06-30, "
            "meeting the requirement (1–5 years)",
            id="iso-text",
        ),
        pytest.param(
            {"rule": "company_age_years", "min": 1},
            date(2000, 1, 1),
            True,
            "公司成立于 2000-01-01，截至 2026-06-30 已成立 26 年，符合要求（不少于 1 年）",
            "The company founded on 2000-01-01 is 26 year(s) old at the cutoff date 2026-06-30, "
            "meeting the requirement (at least 1 year(s))",
            id="min-only",
        ),
        pytest.param(
            COMPANY,
            None,
            False,
            "请在申请表中填写“公司成立日期”",
            'Fill in "Company founding date" in the application form',
            id="missing",
        ),
        pytest.param(
            COMPANY,
            "last spring",
            False,
            "请在申请表中填写“公司成立日期”",
            'Fill in "Company founding date" in the application form',
            id="unreadable",
        ),
    ],
)
def test_company_age(rule, founded, passed, zh, en):
    extra = {} if founded is None else {"company_founded": founded}
    assert_result(check(rule, facts(extra=extra)), passed, zh, en)


# --- validation, results ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "rules, problem",
    [
        ("max_age", "Rules must be a list of objects"),
        (["max_age"], 'Rule 1: must be an object with a "rule" key'),
        ([{"value": 40}], "Rule 1: unknown rule None"),
        ([{"rule": "max_agee", "value": 40}], "Rule 1: unknown rule 'max_agee'"),
        ([{"rule": "max_age"}], "Rule 1: max_age: missing parameter 'value'"),
        ([{"rule": "max_age", "vaule": 40}], "Rule 1: max_age: unknown parameter 'vaule'"),
        ([{"rule": "max_age", "value": "40"}], "Rule 1: max_age: 'value' must be a whole number of 0 or more"),
        ([{"rule": "max_age", "value": True}], "Rule 1: max_age: 'value' must be a whole number of 0 or more"),
        ([{"rule": "max_age", "value": -1}], "Rule 1: max_age: 'value' must be a whole number of 0 or more"),
        (
            [{"rule": "no_consecutive_rounds"}, {"rule": "min_degree", "value": "doctor"}],
            "Rule 2: min_degree: 'value' must be one of bachelor, master, phd",
        ),
        ([{"rule": "min_post_level", "value": "dean"}], "Rule 1: min_post_level: 'value' must be one of other, "),
        (
            [{"rule": "consecutive_years_abroad", "value": 3, "research_only": "yes"}],
            "Rule 1: consecutive_years_abroad: 'research_only' must be true or false",
        ),
        ([{"rule": "nationality"}], 'Rule 1: nationality: give exactly one of "allowed" or "excluded"'),
        (
            [{"rule": "nationality", "allowed": ["CN"], "excluded": ["US"]}],
            'Rule 1: nationality: give exactly one of "allowed" or "excluded"',
        ),
        ([{"rule": "nationality", "allowed": "CN"}], "Rule 1: nationality: 'allowed' must be a list of 2-letter codes"),
        (
            [{"rule": "nationality", "excluded": ["USA"]}],
            "Rule 1: nationality: 'excluded' must be a list of 2-letter codes",
        ),
        (
            [{"rule": "min_extra", "field": "equity_percent", "value": "30"}],
            "Rule 1: min_extra: 'value' must be a number",
        ),
        (
            [{"rule": "min_extra", "field": "equity_percent", "value": float("nan")}],
            "Rule 1: min_extra: 'value' must be a number",
        ),
        ([{"rule": "max_extra", "field": "", "value": 1}], "Rule 1: max_extra: 'field' must be a field name"),
        ([{"rule": "company_age_years"}], 'Rule 1: company_age_years: give "min", "max" or both'),
        ([{"rule": "company_age_years", "min": 5, "max": 1}], 'Rule 1: company_age_years: "min" is greater than "max"'),
    ],
)
def test_validate_rules_reports_bad_rules(rules, problem):
    assert any(p.startswith(problem) for p in validate_rules(rules)), validate_rules(rules)


def test_validate_rules_accepts_every_rule_type():
    rules = [r for rules in SEED_RULES.values() for r in rules] + [
        {"rule": "min_age", "value": 22},
        {"rule": "nationality", "excluded": ["US"]},
        {"rule": "max_attempts", "value": 2},
        {"rule": "no_consecutive_rounds"},
        {"rule": "years_in_current_post", "value": 3},
        {"rule": "min_post_level", "value": "postdoc", "current": True},
        {"rule": "nationality", "allowed": ["CN"]},
    ]
    assert validate_rules(rules) == []
    assert {r["rule"] for r in rules} == set(RULE_TYPES)


def test_malformed_rule_fails_closed_with_a_reason():
    [result] = evaluate([{"rule": "max_age", "value": "forty"}], facts(), CALL)
    assert_result(
        result,
        False,
        "该条件配置有误（max_age: 'value' must be a whole number of 0 or more），请联系项目管理员",
        "This rule is misconfigured (max_age: 'value' must be a whole number of 0 or more); contact the program office",
    )


@pytest.mark.parametrize(
    "locale, expected",
    [
        ("zh", "中"),
        ("zh_CN", "中"),
        ("zh-Hans", "中"),
        ("en", "en"),
        ("en_US", "en"),
        ("fr", "en"),
        (None, "en"),
    ],
)
def test_message_picks_the_language(locale, expected):
    assert RuleResult("r", True, "中", "en").message(locale) == expected


@pytest.mark.parametrize("passes, eligible", [((), True), ((True, True), True), ((True, False), False)])
def test_is_eligible_needs_every_rule(passes, eligible):
    assert is_eligible([RuleResult("r", p, "", "") for p in passes]) is eligible


# --- seeded programs --------------------------------------------------------------------------


def person(born: str, education=(PHD_US,), positions=(), **changes) -> ApplicantFacts:
    return facts(birth_date=d(born), education=education, positions=positions, **changes)


LONG_TERM = dict(education=(PHD_US,), positions=(PROF_US, PROF_CN))
LONG_EXTRA = {"years_in_china_fulltime": 0.5, "commits_fulltime_years": 3}
SHORT_EXTRA = {"months_per_year_in_china": 2, "commits_years": 3}
YOUTH_POSTS = (post("2018-09-01", "2021-08-31"), post("2021-09-01", level="assistant_professor"))
STARTUP = dict(education=(BACHELOR_US, MASTER_UK))
STARTUP_EXTRA = {"is_main_founder": True, "equity_percent": 35, "company_founded": "2023-03-01"}
BAIREN_POSTS = (post("2016-01-01", "2018-12-31"), post("2019-01-01", level="assistant_professor"))


@pytest.mark.parametrize(
    "program, applicant, failing",
    [
        ("qianren_long", person("1975-01-01", **LONG_TERM, extra=LONG_EXTRA), set()),
        ("qianren_long", person("1970-06-30", **LONG_TERM, extra=LONG_EXTRA), {"max_age"}),
        (
            "qianren_long",
            person(
                "1975-01-01",
                **LONG_TERM,
                extra={**LONG_EXTRA, "years_in_china_fulltime": 2},
                held_program_levels=frozenset({"national"}),
            ),
            {"max_extra", "no_same_level_program"},
        ),
        ("qianren_short", person("1975-01-01", **LONG_TERM, extra=SHORT_EXTRA), set()),
        (
            "qianren_short",
            person("1975-01-01", **LONG_TERM, extra={**SHORT_EXTRA, "months_per_year_in_china": 1}),
            {"min_extra"},
        ),
        ("qianren_youth", person("1990-01-01", positions=YOUTH_POSTS, extra={"returns_fulltime": True}), set()),
        (
            "qianren_youth",
            person("1985-06-30", positions=YOUTH_POSTS, extra={"returns_fulltime": False}),
            {"max_age", "extra_true"},
        ),
        ("qianren_startup", person("1980-01-01", **STARTUP, extra=STARTUP_EXTRA), set()),
        (
            "qianren_startup",
            person("1980-01-01", education=(MASTER_CN,), extra={**STARTUP_EXTRA, "equity_percent": 25}),
            {"degree_abroad", "min_extra"},
        ),
        ("bairen", person("1988-01-01", positions=BAIREN_POSTS), set()),
        ("bairen", person("1986-06-30", positions=BAIREN_POSTS), {"max_age_exclusive"}),
        (
            "bairen",
            person(
                "1990-01-01",
                education=(Education("phd", "MIT", "US", 2022),),
                positions=(post("2023-01-01", level="assistant_professor"),),
            ),
            {"consecutive_years_abroad"},
        ),
        ("youth_talent", person("1991-07-01"), set()),
        ("youth_talent", person("1990-06-30", education=(MASTER_CN,)), {"max_age", "min_degree"}),
        ("support_talent", person("1980-01-01", education=(MASTER_CN,), positions=(ts("2020-03-01"),)), set()),
        (
            "support_talent",
            person("1980-01-01", education=(MASTER_CN,), positions=(ts("2024-03-01"),)),
            {"years_in_current_post"},
        ),
    ],
)
def test_seeded_programs(program, applicant, failing):
    results = evaluate(SEED_RULES[program], applicant, CALL)
    assert {r.rule for r in results if not r.passed} == failing
    assert is_eligible(results) is (not failing)
    assert all(r.message_zh and r.message_en for r in results)
    json.dumps([r.params for r in results])  # stored with the application snapshot


def test_seed_rules_cover_the_spec_programs_and_are_valid():
    assert set(SEED_RULES) == {
        "qianren_long",
        "qianren_short",
        "qianren_youth",
        "qianren_startup",
        "bairen",
        "youth_talent",
        "support_talent",
    }
    assert all(validate_rules(rules) == [] for rules in SEED_RULES.values())
