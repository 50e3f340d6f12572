"""Plain descriptions of eligibility rules for the call page (before anyone is evaluated)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .eligibility_messages import DEGREE_LABELS, POST_LEVEL_LABELS, bound_words, extra_labels


def _label(table: Mapping[str, tuple[str, str]], key: Any, i: int) -> str:
    return table.get(key, (str(key), str(key)))[i]


def describe(rule: Mapping[str, Any], cutoff: str) -> tuple[str, str]:
    """(Chinese, English) sentence saying what the rule requires; ages and years count to `cutoff`."""
    name, v = rule.get("rule"), rule.get("value")
    if name == "max_age":
        return f"截至 {cutoff} 年龄不超过 {v} 周岁", f"Aged {v} or younger on {cutoff}"
    if name == "max_age_exclusive":
        return f"截至 {cutoff} 年龄未满 {v} 周岁", f"Younger than {v} on {cutoff}"
    if name == "min_age":
        return f"截至 {cutoff} 年满 {v} 周岁", f"Aged at least {v} on {cutoff}"
    if name == "min_degree":
        return f"具有{_label(DEGREE_LABELS, v, 0)}及以上学位", f"A {_label(DEGREE_LABELS, v, 1)} degree or higher"
    if name == "degree_abroad":
        d = rule.get("min_degree", "bachelor")
        return (
            f"在境外取得{_label(DEGREE_LABELS, d, 0)}及以上学位",
            f"A {_label(DEGREE_LABELS, d, 1)} degree or higher obtained abroad",
        )
    if name == "consecutive_years_abroad":
        kind_zh = "从事科研工作" if rule.get("research_only") else "工作"
        after_zh, after_en = ("（博士毕业后）", " after the PhD") if rule.get("after_phd") else ("", "")
        kind_en = "in research posts" if rule.get("research_only") else "in posts"
        return (
            f"{after_zh}在境外连续{kind_zh}不少于 {v} 年",
            f"At least {v} consecutive years abroad {kind_en}{after_en}",
        )
    if name == "min_post_level":
        where_zh, where_en = ("境外", " abroad") if rule.get("abroad") else ("", "")
        return (
            f"曾在{where_zh}担任{_label(POST_LEVEL_LABELS, v, 0)}及以上职位",
            f"Has held a post of {_label(POST_LEVEL_LABELS, v, 1)} level or above{where_en}",
        )
    if name == "years_in_current_post":
        level = rule.get("post_level")
        zh_level = _label(POST_LEVEL_LABELS, level, 0) + "岗位" if level else "现岗位"
        en_level = _label(POST_LEVEL_LABELS, level, 1) + " post" if level else "the current post"
        return f"在{zh_level}工作满 {v} 年", f"At least {v} years in {en_level}"
    if name == "nationality":
        if rule.get("allowed"):
            codes = "、".join(rule["allowed"])
            return f"国籍为 {codes}", f"Nationality one of {', '.join(rule['allowed'])}"
        return (
            f"国籍不为 {'、'.join(rule.get('excluded', []))}",
            f"Nationality not {', '.join(rule.get('excluded', []))}",
        )
    if name == "no_same_level_program":
        return (
            "未入选且未同时申报同级别人才计划",
            "Holds no program of the same level and has no other live application to one",
        )
    if name == "max_attempts":
        return f"累计申报本计划不超过 {v} 次", f"At most {v} applications to this program in all"
    if name == "no_consecutive_rounds":
        return "不得连续两年申报本计划", "No application to this program in the previous year"
    if name in ("min_extra", "max_extra", "extra_true"):
        label = extra_labels(rule.get("field", ""), rule.get("label_zh"), rule.get("label_en"))
        zh, en = label["label_zh"], label["Label_en"]
        if name == "min_extra":
            return f"{zh}不少于 {v}", f"{en} at least {v}"
        if name == "max_extra":
            return f"{zh}不超过 {v}", f"{en} at most {v}"
        return f"{zh}：须为“是”", f"{en}: must be yes"
    if name == "company_age_years":
        zh, en = bound_words(rule.get("min"), rule.get("max"))
        return f"企业成立{' ' if zh[:1].isdigit() else ''}{zh}", f"Company founded {en} ago"
    return str(name), str(name)
