"""Program eligibility rules as data, evaluated to bilingual pass/fail reasons (SPEC §3.2); pure, stdlib only."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from . import eligibility_messages as msg
from .eligibility_messages import DEGREE_LABELS, POST_LEVEL_LABELS, PROGRAM_LEVEL_LABELS

HOME_COUNTRY = "CN"  # "abroad" (境外) is any other ISO code, so HK, MO and TW count as abroad


class Degree(str, enum.Enum):
    """The degrees a profile records and the rules ask for, lowest first."""

    BACHELOR = "bachelor"
    MASTER = "master"
    PHD = "phd"


DEGREES = tuple(degree.value for degree in Degree)  # lowest first
POST_LEVELS = (
    "other",
    "technical_support",
    "researcher",
    "postdoc",
    "assistant_professor",
    "associate_professor",
    "professor",
)  # lowest first
PROGRAM_LEVELS = ("national", "academy", "institute")
# Days allowed between two positions before a run abroad counts as broken: a month covers a
# move between contracts or countries, anything longer is a real interruption.
MAX_GAP_DAYS = 31


@dataclass(frozen=True)
class Education:
    """One degree in the applicant's profile."""

    degree: str  # a Degree value
    institution: str
    country: str  # ISO 3166 alpha-2, e.g. 'CN', 'US'
    year: int


@dataclass(frozen=True)
class Position:
    """One post in the applicant's profile; `end` None means current."""

    employer: str
    country: str  # ISO 3166 alpha-2
    title: str
    post_level: str  # one of POST_LEVELS
    start: date
    end: date | None = None
    is_research: bool = True
    full_time: bool = True


@dataclass(frozen=True)
class ApplicantFacts:
    """Everything the rules may look at about one applicant, gathered by the caller."""

    birth_date: date | None
    nationality: str = ""  # ISO 3166 alpha-2
    education: tuple[Education, ...] = ()
    positions: tuple[Position, ...] = ()
    held_program_levels: frozenset[str] = frozenset()  # levels of programs already held
    live_application_levels: frozenset[str] = frozenset()  # levels of *other* submitted, undecided applications
    previous_attempts: tuple[int, ...] = ()  # years of earlier applications to this same program
    extra: Mapping[str, Any] = field(default_factory=dict)  # the program's extra answers


@dataclass(frozen=True)
class CallFacts:
    """The call being applied to: ages and years are counted to its cutoff date."""

    cutoff_date: date
    year: int
    program_level: str  # one of PROGRAM_LEVELS


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict with its reason in both languages and the figures behind it."""

    rule: str
    passed: bool
    message_zh: str
    message_en: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, locale: Any) -> str:
        """The reason in Chinese for any zh locale ('zh', 'zh_CN', …), else in English."""
        return self.message_zh if str(locale).startswith("zh") else self.message_en


@dataclass(frozen=True)
class Run:
    """A stretch of merged positions; `end` is inclusive."""

    start: date
    end: date
    positions: tuple[Position, ...]

    @property
    def years(self) -> int:
        """Whole calendar years covered, counting the last day: 2020-01-01..2022-12-31 is 3 years."""
        return full_years(self.start, self.end + timedelta(days=1))


def full_years(start: date, end: date) -> int:
    """Whole calendar years from `start` to `end` (an age when `start` is a birth date)."""
    # Comparing (month, day) gives both conventions at once: on the anniversary itself the
    # year is complete, and in a non-leap year (2, 28) < (2, 29) <= (3, 1), so a 29 February
    # birthday is reached on 1 March.
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def is_abroad(country: str) -> bool:
    """Whether a country code lies outside mainland China; blank means unknown, not abroad."""
    code = (country or "").strip().upper()
    return bool(code) and code != HOME_COUNTRY


def merge_runs(
    positions: Sequence[Position],
    cutoff: date,
    keep: Callable[[Position], bool] = lambda p: True,
    since: date | None = None,
) -> list[Run]:
    """Positions kept by `keep`, clipped to [since, cutoff], merged into runs across overlaps and short gaps."""
    spans = []
    for p in positions:
        if not keep(p):
            continue
        # A current post runs to the cutoff; nothing after the cutoff counts.
        start, end = max(p.start, since) if since else p.start, min(p.end or cutoff, cutoff)
        if start <= end:
            spans.append((start, end, p))
    runs: list[Run] = []
    for start, end, p in sorted(spans, key=lambda s: (s[0], s[1])):
        # Days strictly between the runs: negative for an overlap, 0 for next-day adjacency.
        if runs and (start - runs[-1].end).days - 1 <= MAX_GAP_DAYS:
            last = runs[-1]  # a bridged gap counts towards the run: the person never left for long
            runs[-1] = Run(last.start, max(last.end, end), last.positions + (p,))
        else:
            runs.append(Run(start, end, (p,)))
    return runs


def longest_run(runs: Sequence[Run]) -> Run | None:
    """The run with the most whole years (then the most days), or None."""
    return max(runs, key=lambda r: (r.years, r.end - r.start), default=None)


# --- rule registry -------------------------------------------------------------------

# One rule as the call stores it (JSON): {"rule": name, parameter: value, …}; validate_rules checks its shape.
Rule = Mapping[str, Any]
Evaluator = Callable[[Rule, ApplicantFacts, CallFacts], RuleResult]
RULE_TYPES: dict[str, Evaluator] = {}
# Rule name -> {parameter: kind}; a kind ending in "?" is optional. Kinds are checked by _KIND_CHECKS.
RULE_PARAMS: dict[str, dict[str, str]] = {}


def _rule(name: str, **params: str) -> Callable[[Evaluator], Evaluator]:
    def register(fn: Evaluator) -> Evaluator:
        RULE_TYPES[name] = fn
        RULE_PARAMS[name] = params
        return fn

    return register


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)  # bool is an int subclass; True is not a limit


_KIND_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "int": lambda v: None if _is_int(v) and v >= 0 else "must be a whole number of 0 or more",
    "number": lambda v: None if (_is_int(v) or isinstance(v, float)) and math.isfinite(v) else "must be a number",
    "bool": lambda v: None if isinstance(v, bool) else "must be true or false",
    "degree": lambda v: None if v in DEGREES else f"must be one of {', '.join(DEGREES)}",
    "post_level": lambda v: None if v in POST_LEVELS else f"must be one of {', '.join(POST_LEVELS)}",
    "codes": lambda v: (
        None
        if isinstance(v, list) and v and all(isinstance(c, str) and len(c) == 2 and c.isalpha() for c in v)
        else "must be a list of 2-letter codes"
    ),
    "field": lambda v: None if isinstance(v, str) and v.strip() else "must be a field name",
    "text": lambda v: None if isinstance(v, str) else "must be text",
}


def _rule_problems(rule: Any) -> list[str]:
    if not isinstance(rule, Mapping):
        return ['must be an object with a "rule" key']
    name = rule.get("rule")
    if not isinstance(name, str) or name not in RULE_TYPES:
        return [f"unknown rule {name!r} (known: {', '.join(sorted(RULE_TYPES))})"]
    spec = RULE_PARAMS[name]
    # Unknown keys are reported too: a typo such as "vaule" would otherwise silently drop a limit.
    problems = [f"{name}: unknown parameter {key!r}" for key in rule if key != "rule" and key not in spec]
    for key, kind in spec.items():
        if key not in rule:
            if not kind.endswith("?"):
                problems.append(f"{name}: missing parameter {key!r}")
        elif problem := _KIND_CHECKS[kind.rstrip("?")](rule[key]):
            problems.append(f"{name}: {key!r} {problem}")
    if name == "nationality" and ("allowed" in rule) == ("excluded" in rule):
        problems.append('nationality: give exactly one of "allowed" or "excluded"')
    if name == "company_age_years" and not problems:
        low, high = rule.get("min"), rule.get("max")
        if low is None and high is None:
            problems.append('company_age_years: give "min", "max" or both')
        elif low is not None and high is not None and low > high:
            problems.append('company_age_years: "min" is greater than "max"')
    return problems


def validate_rules(rules: Any) -> list[str]:
    """Problems that make a list of rule dicts unusable, one English line each; empty when valid."""
    if not isinstance(rules, (list, tuple)):
        return ["Rules must be a list of objects"]
    return [f"Rule {i}: {p}" for i, rule in enumerate(rules, start=1) for p in _rule_problems(rule)]


def evaluate(rules: Sequence[Rule], applicant: ApplicantFacts, call: CallFacts) -> list[RuleResult]:
    """Evaluate each rule in order; a malformed rule fails rather than being skipped."""
    results = []
    for rule in rules:
        problems = _rule_problems(rule)
        if problems:
            # Fail closed: a broken rule must not let anyone through, and the reason tells the
            # applicant to contact the program office rather than change their profile.
            name = rule.get("rule") if isinstance(rule, Mapping) else None
            results.append(
                _result(name if isinstance(name, str) else "?", False, "misconfigured", detail="; ".join(problems))
            )
        else:
            results.append(RULE_TYPES[rule["rule"]](rule, applicant, call))
    return results


def is_eligible(results: Sequence[RuleResult]) -> bool:
    """True when every rule passed (and so when there are no rules)."""
    return all(r.passed for r in results)


# --- evaluators ---------------------------------------------------------------------------


def _result(rule: str, passed: bool, key: str, **values: Any) -> RuleResult:
    return RuleResult(rule, passed, *msg.render(key, values))


def _verdict(rule: str, passed: bool, **values: Any) -> RuleResult:
    return _result(rule, passed, f"{rule}.{'pass' if passed else 'fail'}", **values)


def _rank(order: tuple[str, ...], value: str) -> int:
    value = (value or "").strip().lower()
    return order.index(value) if value in order else -1


_AGE_TESTS = {
    "max_age": lambda age, limit: age <= limit,
    "max_age_exclusive": lambda age, limit: age < limit,
    "min_age": lambda age, limit: age >= limit,
}


@_rule("max_age", value="int")
@_rule("max_age_exclusive", value="int")  # "under 40" (百人计划) is age < 40, not <= 39 by convention
@_rule("min_age", value="int")
def _age(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    name = rule["rule"]
    if applicant.birth_date is None:
        return _result(name, False, "age.missing")
    age = full_years(applicant.birth_date, call.cutoff_date)
    return _verdict(name, _AGE_TESTS[name](age, rule["value"]), age=age, limit=rule["value"], cutoff=call.cutoff_date)


@_rule("min_degree", value="degree")
def _min_degree(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    if not applicant.education:
        return _result("min_degree", False, "education.missing")
    best = (max(applicant.education, key=lambda e: _rank(DEGREES, e.degree)).degree or "").strip().lower()
    return _verdict(
        "min_degree",
        _rank(DEGREES, best) >= _rank(DEGREES, rule["value"]),
        highest=best,
        required=rule["value"],
        **msg.labels("highest", DEGREE_LABELS, best),
        **msg.labels("required", DEGREE_LABELS, rule["value"]),
    )


@_rule("degree_abroad", min_degree="degree?")
def _degree_abroad(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    if not applicant.education:
        return _result("degree_abroad", False, "education.missing")
    required = rule.get("min_degree", "bachelor")
    found = [
        e for e in applicant.education if is_abroad(e.country) and _rank(DEGREES, e.degree) >= _rank(DEGREES, required)
    ]
    if not found:
        return _verdict("degree_abroad", False, required=required, **msg.labels("required", DEGREE_LABELS, required))
    best = max(found, key=lambda e: (_rank(DEGREES, e.degree), e.year))
    degree = (best.degree or "").strip().lower()
    return _verdict(
        "degree_abroad",
        True,
        degree=degree,
        institution=best.institution,
        country=(best.country or "").upper(),
        year=best.year,
        **msg.labels("degree", DEGREE_LABELS, degree),
    )


@_rule("consecutive_years_abroad", value="int", research_only="bool?", after_phd="bool?")
def _consecutive_years_abroad(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    name, required = "consecutive_years_abroad", rule["value"]
    research_only, after_phd = rule.get("research_only", False), rule.get("after_phd", False)
    if not applicant.positions:
        return _result(name, False, "positions.missing")
    since = None
    if after_phd:
        phd_years = [e.year for e in applicant.education if _rank(DEGREES, e.degree) == DEGREES.index(Degree.PHD.value)]
        if not phd_years:
            return _result(name, False, "phd.missing")
        # The profile holds only the PhD year, so count from 1 January of the next year: the
        # earliest date by which the degree is certainly finished. The first PhD counts.
        since = date(min(phd_years) + 1, 1, 1)
    run = longest_run(
        merge_runs(
            applicant.positions,
            call.cutoff_date,
            lambda p: is_abroad(p.country) and (p.is_research or not research_only),
            since,
        )
    )
    words = {
        **msg.words("after", *(msg.AFTER_PHD_WORDS if after_phd else ("", ""))),
        **msg.words("kind", *(msg.RESEARCH_WORDS if research_only else ("", ""))),
    }
    if run is None:
        return _result(name, False, f"{name}.none", required=required, **words)
    return _verdict(
        name, run.years >= required, years=run.years, start=run.start, end=run.end, required=required, **words
    )


@_rule("min_post_level", value="post_level", abroad="bool?", current="bool?")
def _min_post_level(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    # By default any post held by the cutoff counts, not only the current one: applicants to
    # the Thousand Talents programs may already have come back to a post in China.
    required, abroad, current = rule["value"], rule.get("abroad", False), rule.get("current", False)
    if not applicant.positions:
        return _result("min_post_level", False, "positions.missing")
    cutoff = call.cutoff_date
    held = [
        p
        for p in applicant.positions
        if p.start <= cutoff
        and (is_abroad(p.country) or not abroad)
        and (not current or p.end is None or p.end >= cutoff)
    ]
    best = max(held, key=lambda p: _rank(POST_LEVELS, p.post_level), default=None)
    required_labels = msg.labels("required", POST_LEVEL_LABELS, required)
    if best is not None and _rank(POST_LEVELS, best.post_level) >= _rank(POST_LEVELS, required):
        return _verdict(
            "min_post_level",
            True,
            employer=best.employer,
            country=(best.country or "").upper(),
            title=best.title,
            level=best.post_level,
            required=required,
            **msg.labels("level", POST_LEVEL_LABELS, best.post_level),
            **required_labels,
        )
    where = (
        (msg.CURRENT_WORDS[0] if current else "") + (msg.ABROAD_WORDS[0] if abroad else ""),
        (msg.ABROAD_WORDS[1] if abroad else "") + (msg.CURRENT_WORDS[1] if current else ""),
    )
    highest = (
        msg.labels("highest", POST_LEVEL_LABELS, best.post_level) if best else msg.words("highest", *msg.NONE_WORDS)
    )
    return _verdict(
        "min_post_level",
        False,
        required=required,
        highest=best.post_level if best else None,
        **msg.words("where", *where),
        **highest,
        **required_labels,
    )


@_rule("years_in_current_post", value="int", post_level="post_level?")
def _years_in_current_post(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    # Back-to-back posts at the same level join (a technician moving institutes stays in a
    # technical-support post); without post_level, continuous employment up to the cutoff counts.
    name, required, level = "years_in_current_post", rule["value"], rule.get("post_level")
    if not applicant.positions:
        return _result(name, False, "positions.missing")
    cutoff = call.cutoff_date
    runs = merge_runs(applicant.positions, cutoff, lambda p: level is None or p.post_level == level)
    zh, en = POST_LEVEL_LABELS[level] if level else ("", "")
    words = msg.words("level", zh, en + " " if en else "")  # en: "technical support post" / "post"
    run = next((r for r in runs if r.end == cutoff), None)  # clipped ends equal the cutoff only for current posts
    if run is None:
        return _result(name, False, f"{name}.none", cutoff=cutoff, level=level, **words)
    post = max((p for p in run.positions if p.end is None or p.end >= cutoff), key=lambda p: p.start)
    return _verdict(
        name,
        run.years >= required,
        years=run.years,
        required=required,
        cutoff=cutoff,
        level=level,
        title=post.title,
        employer=post.employer,
        since=run.start,
        **words,
    )


@_rule("nationality", allowed="codes?", excluded="codes?")
def _nationality(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    nationality = (applicant.nationality or "").strip().upper()
    if not nationality:
        return _result("nationality", False, "nationality.missing")
    if "allowed" in rule:
        codes = [c.upper() for c in rule["allowed"]]
        key = "pass" if nationality in codes else "not_allowed"
    else:
        codes = [c.upper() for c in rule["excluded"]]
        key = "excluded" if nationality in codes else "pass"
    return _result("nationality", key == "pass", f"nationality.{key}", nationality=nationality, codes=", ".join(codes))


@_rule("no_same_level_program")
def _no_same_level_program(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    level = call.program_level
    key = (
        "held"
        if level in applicant.held_program_levels
        else "live"
        if level in applicant.live_application_levels
        else "pass"
    )
    return _result(
        "no_same_level_program",
        key == "pass",
        f"no_same_level_program.{key}",
        level=level,
        **msg.labels("level", PROGRAM_LEVEL_LABELS, level),
    )


@_rule("max_attempts", value="int")
def _max_attempts(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    # `value` is the most applications allowed in total, this one included; earlier rounds
    # only, each year once, so a withdrawn and resubmitted application in this call is one attempt.
    earlier = sorted({y for y in applicant.previous_attempts if y < call.year})
    return _verdict(
        "max_attempts",
        len(earlier) < rule["value"],
        count=len(earlier),
        limit=rule["value"],
        years=earlier,
        years_list_zh="、".join(map(str, earlier)),
        years_list_en=", ".join(map(str, earlier)),
    )


@_rule("no_consecutive_rounds")
def _no_consecutive_rounds(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    previous = call.year - 1
    return _verdict("no_consecutive_rounds", previous not in applicant.previous_attempts, previous=previous)


def _number(value: Any) -> float | int | None:
    if _is_int(value) or isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):  # answers stored as JSON from a form may arrive as text
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


@_rule("min_extra", field="field", value="number", label_zh="text?", label_en="text?")
@_rule("max_extra", field="field", value="number", label_zh="text?", label_en="text?")
def _extra_bound(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    name, labels = rule["rule"], msg.extra_labels(rule["field"], rule.get("label_zh"), rule.get("label_en"))
    actual = _number(applicant.extra.get(rule["field"]))
    if actual is None:
        return _result(name, False, "extra.missing", field=rule["field"], **labels)
    passed = actual >= rule["value"] if name == "min_extra" else actual <= rule["value"]
    return _verdict(name, passed, field=rule["field"], actual=actual, limit=rule["value"], **labels)


_YES, _NO = {"true", "yes", "y", "1", "on", "是"}, {"false", "no", "n", "0", "off", "否"}


@_rule("extra_true", field="field", label_zh="text?", label_en="text?")
def _extra_true(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    labels = msg.extra_labels(rule["field"], rule.get("label_zh"), rule.get("label_en"))
    value = applicant.extra.get(rule["field"])
    text = value.strip().lower() if isinstance(value, str) else None
    flag = value if isinstance(value, bool) else True if text in _YES else False if text in _NO else None
    if flag is None:
        return _result("extra_true", False, "extra.missing", field=rule["field"], **labels)
    return _verdict("extra_true", flag, field=rule["field"], **labels)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@_rule("company_age_years", min="int?", max="int?")
def _company_age_years(rule: Rule, applicant: ApplicantFacts, call: CallFacts) -> RuleResult:
    name, cutoff = "company_age_years", call.cutoff_date
    founded = _as_date(applicant.extra.get("company_founded"))
    if founded is None:
        return _result(name, False, "extra.missing", field="company_founded", **msg.extra_labels("company_founded"))
    low, high = rule.get("min"), rule.get("max")
    years = full_years(founded, cutoff)
    figures = dict(founded=founded, cutoff=cutoff, years=years, min=low, max=high)
    if low is not None and years < low:
        return _result(name, False, f"{name}.too_young", **figures)
    # "At most N years old" allows exactly N years; it is too old if the N-th anniversary
    # fell before the cutoff day.
    if high is not None and full_years(founded, cutoff - timedelta(days=1)) >= high:
        return _result(name, False, f"{name}.too_old", **figures)
    return _result(name, True, f"{name}.pass", **figures, **msg.words("bound", *msg.bound_words(low, high)))


# --- seeded programs: SPEC §2 demo table (typical published rules, editable by admins), plus
# no_same_level_program on each because SPEC §3.1 allows one program of the same level at a time.
