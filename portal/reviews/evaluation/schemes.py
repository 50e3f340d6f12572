"""Classified-evaluation schemes (SPEC §4): the seeded definitions, versions, and the scoring view of them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...audit.services import record
from ...errors import Refusal
from ...extensions import db
from ..models import EvaluationScheme
from ..ranking.scoring import Component, Options, Scheme

# component -> who scores it. "unit": the unit admin at endorsement; "expert": peer experts with accounts;
# "user" / "social": outside evaluators through a token link.
EVALUATOR_OF_COMPONENT = {"unit": "unit", "peer": "expert", "user": "user", "social": "social"}

COMPONENT_LABELS = {
    "unit": ("单位考评", "Unit assessment"),
    "peer": ("同行评价", "Peer review"),
    "user": ("用户评价", "User evaluation"),
    "social": ("社会评价", "Social evaluation"),
}


def _criteria(*items):
    return {code: {"weight": weight, "zh": zh, "en": en} for code, weight, zh, en in items}


LEADING = _criteria(
    ("vision", 50, "战略眼光", "Strategic vision"),
    ("organisation", 50, "策划与组织实施能力", "Planning, organisation and implementation"),
)
TOP = _criteria(("performance", 60, "科研业绩", "Research performance"), ("influence", 40, "影响力", "Influence"))
YOUNG = _criteria(
    ("potential", 50, "发展潜力", "Development potential"), ("ability", 50, "专业能力", "Professional ability")
)
SUPPORT = _criteria(
    ("completion", 60, "工作完成情况", "Work completion"), ("attitude", 40, "服务态度", "Service attitude")
)
INDUSTRIAL = _criteria(
    ("social_benefit", 50, "社会效益", "Social benefit"), ("economic_benefit", 50, "经济效益", "Economic benefit")
)

SEED_SCHEMES = {
    "leading": {"components": {"peer": {"weight": 1.0, "criteria": LEADING}}},
    "top": {"components": {"unit": {"weight": 0.3, "criteria": TOP}, "peer": {"weight": 0.7, "criteria": TOP}}},
    "young": {"components": {"unit": {"weight": 0.7, "criteria": YOUNG}, "peer": {"weight": 0.3, "criteria": YOUNG}}},
    "support": {"components": {"user": {"weight": 1.0, "criteria": SUPPORT}}},
    "industrial": {"components": {"social": {"weight": 1.0, "criteria": INDUSTRIAL}}},
}


class SchemeError(Refusal):
    """A scheme definition that cannot be saved or used, with the reason."""


def to_scoring(definition: dict) -> Scheme:
    """The pure aggregation module's view of a stored definition."""
    return Scheme(
        {
            name: Component(
                weight=float(c["weight"]),
                criteria={code: float(crit["weight"]) for code, crit in c["criteria"].items()},
            )
            for name, c in definition["components"].items()
        }
    )


def validate_definition(definition: dict) -> list[str]:
    """Problems that would make a scheme unusable (weights not summing to 100 %, empty criteria …)."""
    problems = []
    components = definition.get("components") or {}
    if not components:
        problems.append(_("A scheme needs at least one evaluator component."))
    for name in components:
        if name not in EVALUATOR_OF_COMPONENT:
            problems.append(_("Unknown evaluator component “%(name)s”.", name=name))
    try:
        to_scoring(definition)
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(_("The weights do not add up: %(detail)s", detail=str(exc)))
    return problems


def latest(category: str) -> EvaluationScheme | None:
    return db.session.execute(
        select(EvaluationScheme)
        .where(EvaluationScheme.category == category)
        .order_by(EvaluationScheme.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def save_version(category: str, definition: dict, *, actor, note: str = "") -> EvaluationScheme:
    """Store an edited scheme as a new version; calls already in review keep the version they started with."""
    problems = validate_definition(definition)
    if problems:
        raise SchemeError("; ".join(problems))
    version = (
        db.session.execute(
            select(func.max(EvaluationScheme.version)).where(EvaluationScheme.category == category)
        ).scalar()
        or 0
    ) + 1
    scheme = EvaluationScheme(
        category=category, version=version, definition=definition, note=note, created_by_id=getattr(actor, "id", None)
    )
    db.session.add(scheme)
    db.session.flush()
    record("scheme.saved", scheme, actor=actor, data={"category": category, "version": version})
    return scheme


def seed_schemes() -> None:
    """Version 1 of each category's scheme, if missing."""
    for category, definition in SEED_SCHEMES.items():
        if latest(category) is None:
            save_version(category, definition, actor="seed", note="SPEC §4")


def scheme_for_call(call) -> EvaluationScheme:
    """The call's fixed version once review has started, else the category's latest version."""
    if call.scheme_id:
        return db.session.get(EvaluationScheme, call.scheme_id)
    found = latest(call.program.category)
    if found is None:
        raise SchemeError(_("No evaluation scheme exists for this category."))
    return found


def fix_scheme(call) -> EvaluationScheme:
    """Pin the call to the current version when its review starts (first formal pass or assignment)."""
    if call.scheme_id is None:
        scheme = scheme_for_call(call)
        call.scheme_id = scheme.id
        record("call.scheme_fixed", call, data={"scheme_id": scheme.id, "version": scheme.version})
    return db.session.get(EvaluationScheme, call.scheme_id)


def options_for_call(call, **overrides) -> Options:
    """The call's aggregation options (SPEC §4.1): its stored default over Options' defaults, with its quota;
    `overrides` (None ones ignored) over both, e.g. what the ranking page asks for."""
    stored = Options.from_mapping(call.aggregation, quota=call.total_quota)
    return Options.from_mapping({name: value for name, value in overrides.items() if value is not None}, base=stored)
