"""Chinese and English wording of eligibility results and the labels they use (SPEC §3.2)."""

from __future__ import annotations

from datetime import date
from typing import Any

# Each message is a (zh, en) pair of str.format templates. Templates take the same
# keyword arguments; language-specific words are passed as `<name>_zh` / `<name>_en`.
MESSAGES: dict[str, tuple[str, str]] = {
    "misconfigured": (
        "该条件配置有误（{detail}），请联系项目管理员",
        "This rule is misconfigured ({detail}); contact the program office",
    ),
    "age.missing": ("请在个人资料中填写出生日期", "Fill in your date of birth in your profile"),
    "max_age.pass": (
        "截至 {cutoff} 年龄为 {age} 周岁，未超过上限 {limit} 周岁",
        "Age {age} at the cutoff date {cutoff} is within the limit of {limit}",
    ),
    "max_age.fail": (
        "截至 {cutoff} 年龄为 {age} 周岁，超过上限 {limit} 周岁",
        "Age {age} at the cutoff date {cutoff} exceeds the limit of {limit}",
    ),
    "max_age_exclusive.pass": (
        "截至 {cutoff} 年龄为 {age} 周岁，未满 {limit} 周岁",
        "Age {age} at the cutoff date {cutoff} is under {limit}",
    ),
    "max_age_exclusive.fail": (
        "截至 {cutoff} 年龄为 {age} 周岁，要求未满 {limit} 周岁",
        "Age {age} at the cutoff date {cutoff} must be under {limit}",
    ),
    "min_age.pass": (
        "截至 {cutoff} 年龄为 {age} 周岁，达到下限 {limit} 周岁",
        "Age {age} at the cutoff date {cutoff} meets the minimum of {limit}",
    ),
    "min_age.fail": (
        "截至 {cutoff} 年龄为 {age} 周岁，低于下限 {limit} 周岁",
        "Age {age} at the cutoff date {cutoff} is below the minimum of {limit}",
    ),
    "education.missing": (
        "请在个人资料中填写教育经历（学位、院校、国家、年份）",
        "Fill in your education (degree, institution, country, year) in your profile",
    ),
    "min_degree.pass": (
        "最高学位为{highest_zh}，符合{required_zh}及以上学位要求",
        "Highest degree ({highest_en}) meets the requirement of {required_en} or higher",
    ),
    "min_degree.fail": (
        "最高学位为{highest_zh}，要求{required_zh}及以上学位",
        "Highest degree is {highest_en}; {required_en} or higher is required",
    ),
    "degree_abroad.pass": (
        "{year} 年在境外获得{degree_zh}学位（{institution}，{country}），符合要求",
        "A {degree_en} degree obtained abroad ({institution}, {country}, {year}) meets the requirement",
    ),
    "degree_abroad.fail": (
        "未在境外获得{required_zh}及以上学位",
        "No {required_en} or higher degree obtained outside China",
    ),
    "positions.missing": ("请在个人资料中填写工作经历", "Fill in your positions in your profile"),
    "phd.missing": (
        "请在个人资料的教育经历中填写博士学位（用于计算博士毕业后的年限）",
        "Fill in your PhD in the education section of your profile (needed to count years after the PhD)",
    ),
    "consecutive_years_abroad.pass": (
        "{after_zh}在境外连续{kind_zh}工作 {years} 年（{start} 至 {end}），达到 {required} 年要求",
        "{years} consecutive years of {kind_en}work abroad{after_en} ({start} to {end}) "
        "meets the requirement of {required}",
    ),
    "consecutive_years_abroad.fail": (
        "{after_zh}在境外连续{kind_zh}工作最长 {years} 年（{start} 至 {end}），不足 {required} 年",
        "Longest run of {kind_en}work abroad{after_en} is {years} year(s) ({start} to {end}); "
        "{required} consecutive years are required",
    ),
    "consecutive_years_abroad.none": (
        "个人资料中没有{after_zh}在境外{kind_zh}工作的经历，要求连续 {required} 年",
        "No {kind_en}positions abroad{after_en} in your profile; {required} consecutive years are required",
    ),
    "min_post_level.pass": (
        "在{employer}（{country}）任{title}，岗位等级为{level_zh}，达到{required_zh}及以上要求",
        "{title} at {employer} ({country}) is at {level_en} level, "
        "meeting the requirement of {required_en} level or above",
    ),
    "min_post_level.fail": (
        "个人资料中没有{where_zh}{required_zh}及以上岗位的任职经历（最高为{highest_zh}）",
        "No post{where_en} at {required_en} level or above in your profile (highest: {highest_en})",
    ),
    "years_in_current_post.none": (
        "个人资料中没有截至 {cutoff} 仍在任的{level_zh}岗位，请填写当前岗位",
        "Your profile has no {level_en}post current at the cutoff date {cutoff}; fill in your current post",
    ),
    "years_in_current_post.pass": (
        "截至 {cutoff} 在{level_zh}岗位（{title}，{employer}）连续任职 {years} 年，达到 {required} 年要求",
        "{years} year(s) in the current {level_en}post ({title} at {employer}) at the cutoff date {cutoff} "
        "meets the requirement of {required}",
    ),
    "years_in_current_post.fail": (
        "截至 {cutoff} 在{level_zh}岗位（{title}，{employer}）连续任职 {years} 年，不足 {required} 年",
        "{years} year(s) in the current {level_en}post ({title} at {employer}) at the cutoff date {cutoff} "
        "is less than the required {required}",
    ),
    "nationality.missing": ("请在个人资料中填写国籍", "Fill in your nationality in your profile"),
    "nationality.pass": ("国籍 {nationality} 符合要求", "Nationality {nationality} is eligible"),
    "nationality.not_allowed": (
        "国籍 {nationality} 不在本计划允许的范围内（{codes}）",
        "Nationality {nationality} is not among the eligible nationalities ({codes})",
    ),
    "nationality.excluded": (
        "国籍为 {nationality} 的申请人不能申报本计划",
        "Applicants of nationality {nationality} are not eligible for this program",
    ),
    "no_same_level_program.pass": (
        "未入选或申报其他{level_zh}人才计划",
        "No other {level_en} talent program held or applied for",
    ),
    "no_same_level_program.held": (
        "已入选{level_zh}人才计划，同一层次的计划只能入选一个",
        "You already hold a {level_en} talent program; only one program of the same level is allowed",
    ),
    "no_same_level_program.live": (
        "已有其他{level_zh}人才计划的申请正在评审中，同一层次的计划不能同时申报",
        "You have another {level_en} program application under review; "
        "only one application at the same level is allowed at a time",
    ),
    "max_attempts.pass": (
        "此前已申请本计划 {count} 次，未达到上限 {limit} 次",
        "{count} earlier application(s) to this program; the limit is {limit}",
    ),
    "max_attempts.fail": (
        "此前已申请本计划 {count} 次（{years_list_zh} 年），已达到上限 {limit} 次",
        "You have already applied to this program {count} times ({years_list_en}); the limit is {limit}",
    ),
    "no_consecutive_rounds.pass": ("{previous} 年未申请本计划", "No application to this program in {previous}"),
    "no_consecutive_rounds.fail": (
        "{previous} 年已申请本计划，不能连续两年申报",
        "You applied to this program in {previous}; applying in consecutive rounds is not allowed",
    ),
    "extra.missing": ("请在申请表中填写“{label_zh}”", 'Fill in "{Label_en}" in the application form'),
    "min_extra.pass": (
        "{label_zh}为 {actual}，达到下限 {limit}",
        "{Label_en} is {actual}, meeting the minimum of {limit}",
    ),
    "min_extra.fail": (
        "{label_zh}为 {actual}，低于下限 {limit}",
        "{Label_en} is {actual}, below the minimum of {limit}",
    ),
    "max_extra.pass": (
        "{label_zh}为 {actual}，未超过上限 {limit}",
        "{Label_en} is {actual}, within the limit of {limit}",
    ),
    "max_extra.fail": ("{label_zh}为 {actual}，超过上限 {limit}", "{Label_en} is {actual}, above the limit of {limit}"),
    "extra_true.pass": ("{label_zh}：是", "{Label_en}: yes"),
    "extra_true.fail": ("{label_zh}：否，本计划要求为“是”", "{Label_en}: no; this program requires yes"),
    "company_age_years.pass": (
        "公司成立于 {founded}，截至 {cutoff} 已成立 {years} 年，符合要求（{bound_zh}）",
        "The company founded on {founded} is {years} year(s) old at the cutoff date {cutoff}, "
        "meeting the requirement ({bound_en})",
    ),
    "company_age_years.too_young": (
        "公司成立于 {founded}，截至 {cutoff} 成立不满 {min} 年",
        "The company founded on {founded} is less than {min} year(s) old at the cutoff date {cutoff}",
    ),
    "company_age_years.too_old": (
        "公司成立于 {founded}，截至 {cutoff} 已成立超过 {max} 年",
        "The company founded on {founded} is more than {max} years old at the cutoff date {cutoff}",
    ),
}

DEGREE_LABELS = {"bachelor": ("学士", "bachelor's"), "master": ("硕士", "master's"), "phd": ("博士", "PhD")}

POST_LEVEL_LABELS = {
    "professor": ("教授级", "professor"),
    "associate_professor": ("副教授级", "associate professor"),
    "assistant_professor": ("助理教授级", "assistant professor"),
    "postdoc": ("博士后", "postdoc"),
    "researcher": ("研究人员", "researcher"),
    "technical_support": ("技术支撑", "technical support"),
    "other": ("其他", "other"),
}

PROGRAM_LEVEL_LABELS = {
    "national": ("国家级", "national"),
    "academy": ("院级", "academy-level"),
    "institute": ("所级", "institute-level"),
}

# Names of the rules themselves (e.g. a column of the application book's eligibility table).
RULE_LABELS = {
    "max_age": ("年龄上限", "maximum age"),
    "max_age_exclusive": ("年龄上限", "maximum age"),
    "min_age": ("年龄下限", "minimum age"),
    "min_degree": ("最低学位", "minimum degree"),
    "degree_abroad": ("境外学位", "degree obtained abroad"),
    "consecutive_years_abroad": ("连续境外工作年限", "consecutive years abroad"),
    "min_post_level": ("岗位级别", "post level"),
    "years_in_current_post": ("现岗位任职年限", "years in current post"),
    "nationality": ("国籍", "nationality"),
    "no_same_level_program": ("同层次项目限项", "no program of the same level"),
    "max_attempts": ("申报次数限制", "attempts limit"),
    "no_consecutive_rounds": ("不得连续申报", "no consecutive rounds"),
    "min_extra": ("申请表填报项下限", "minimum of a form answer"),
    "max_extra": ("申请表填报项上限", "maximum of a form answer"),
    "extra_true": ("申请表须为“是”的项", "form answer required to be yes"),
    "company_age_years": ("企业成立年限", "company age"),
}

# Labels of the program-specific answers the seeded programs ask for; a rule may
# override them with "label_zh"/"label_en" for fields an admin adds later.
EXTRA_LABELS = {
    "equity_percent": ("持股比例（%）", "equity share (%)"),
    "company_founded": ("公司成立日期", "company founding date"),
    "years_in_china_fulltime": ("已在国内全职工作年限", "years already worked full-time in China"),
    "commits_fulltime_years": ("承诺回国全职工作年限", "committed years of full-time work in China"),
    "months_per_year_in_china": ("每年在国内工作月数", "months a year worked in China"),
    "commits_years": ("承诺在国内工作的连续年数", "committed consecutive years of work in China"),
    "returns_fulltime": ("是否回国全职工作", "returns to work full-time in China"),
    "is_main_founder": ("是否为企业主要创始人", "main founder of the company"),
}


# Fragments that narrow a message to what the rule counted.
AFTER_PHD_WORDS = ("博士毕业后", " after the PhD")
RESEARCH_WORDS = ("从事科研", "research ")
ABROAD_WORDS = ("境外", " abroad")
CURRENT_WORDS = ("现任", " current at the cutoff date")
NONE_WORDS = ("无", "none")


def bound_words(low: int | None, high: int | None) -> tuple[str, str]:
    """The zh and en wording of a range of whole years, either end optional."""
    if low is not None and high is not None:
        return f"{low}–{high} 年", f"{low}–{high} years"
    if low is not None:
        return f"不少于 {low} 年", f"at least {low} year(s)"
    return f"不超过 {high} 年", f"at most {high} year(s)"


def _show(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # "35" reads better than "35.0" in a reason
    return value


def render(key: str, values: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """The zh and en text of message `key`, and the figures (not the wording) among `values`."""
    values = {k: _show(v) for k, v in values.items()}
    zh, en = MESSAGES[key]
    params = {k: v for k, v in values.items() if not k.endswith(("_zh", "_en"))}
    return zh.format(**values), en.format(**values), params


def words(name: str, zh: str, en: str) -> dict[str, str]:
    """Template arguments `<name>_zh` and `<name>_en`."""
    return {f"{name}_zh": zh, f"{name}_en": en}


def labels(name: str, table: dict[str, tuple[str, str]], key: Any) -> dict[str, str]:
    """Template arguments naming `key` from one of the label tables; an unknown key shows as itself."""
    return words(name, *table.get(key, (str(key), str(key))))


def capitalise(text: str) -> str:
    """`text` with its first letter in upper case (the rest kept: "PhD", "(%)")."""
    return text[:1].upper() + text[1:]


def extra_labels(field: str, label_zh: str | None = None, label_en: str | None = None) -> dict[str, str]:
    """Template arguments naming an extra answer; `Label_en` is capitalised to open a sentence."""
    zh, en = EXTRA_LABELS.get(field, (field, field))
    zh, en = label_zh or zh, label_en or en
    return {"label_zh": zh, "label_en": en, "Label_en": capitalise(en)}
