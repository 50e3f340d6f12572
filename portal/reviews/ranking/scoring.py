"""Score aggregation for classified evaluation (SPEC §4, §4.1): pure, deterministic, standard library only."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

FAMILIARITY_WEIGHTS: Mapping[str, float] = {"familiar": 1.0, "somewhat": 0.7, "unfamiliar": 0.4}
# Unit, user and social evaluators are not asked how familiar they are with the field; they count in full.
DEFAULT_FAMILIARITY_WEIGHT = 1.0

FLAG_DISAGREEMENT = "disagreement"
FLAG_MISSING = "missing"
FLAG_INTEGRITY = "integrity"
FLAG_TIE_AT_QUOTA = "tie_at_quota"

# The component whose spread is reported as `std_dev`: peer review where the scheme has it (it is the panel
# of several experts, where disagreement means something), otherwise the heaviest component.
MAIN_COMPONENT = "peer"

# Scores live on a 0-100 scale; differences below this are floating-point noise, not a spread or a ranking.
_EPSILON = 1e-9
_TIE_DIGITS = 9


@dataclass(frozen=True)
class Evaluation:
    """One evaluator's submitted scores for one application and one component of the scheme."""

    evaluation_id: Hashable
    application_id: Hashable
    evaluator_id: Hashable
    component: str  # 'peer', 'unit', 'user', 'social' ...
    criteria: Mapping[str, float]  # criterion code -> score 0-100
    familiarity: str | None = None  # 'familiar' | 'somewhat' | 'unfamiliar'
    integrity_ok: bool = True  # the 德才兼备 question: False means the evaluator knows of misconduct


@dataclass(frozen=True)
class Component:
    """One evaluator kind in a scheme: its share of the final score and its criteria weights."""

    weight: float  # fraction of the final score; a scheme's weights sum to 1
    criteria: Mapping[str, float]  # criterion code -> relative weight (normalised, so 50/50 or 0.6/0.4 alike)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(f"component weight must be a non-negative number, got {self.weight!r}")
        if not self.criteria:
            raise ValueError("a component needs at least one criterion")
        if any(not (math.isfinite(w) and w >= 0) for w in self.criteria.values()):
            raise ValueError("criterion weights must be non-negative numbers")
        if math.fsum(self.criteria.values()) <= 0:
            raise ValueError("criterion weights must not all be zero")


@dataclass(frozen=True)
class Scheme:
    """A talent category's evaluation scheme (SPEC §4): component name -> Component."""

    components: Mapping[str, Component]

    def __post_init__(self) -> None:
        if not self.components:
            raise ValueError("a scheme needs at least one component")
        total = math.fsum(c.weight for c in self.components.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"component weights must sum to 1, got {total}")

    @property
    def main_component(self) -> str:
        """'peer' if present, else the heaviest component (ties broken by name, so the choice is stable)."""
        if MAIN_COMPONENT in self.components:
            return MAIN_COMPONENT
        return min(self.components, key=lambda name: (-self.components[name].weight, name))


@dataclass(frozen=True)
class Options:
    """Per-call aggregation options (SPEC §4.1). The defaults here are the one default of every call.

    The first four are what a call stores as its default aggregation and the ranking page switches
    (:data:`STORED`, read by :meth:`from_mapping`, written by :meth:`to_mapping`); the quota and the expected
    evaluations per component come from the call itself.
    """

    trimmed: bool = False
    familiarity_weights: bool = False
    normalise: bool = False
    disagreement_threshold: float = 15.0
    quota: int | None = None
    expected_per_component: Mapping[str, int] | None = None

    #: The options a call stores (Call.aggregation) and the ranking page switches.
    STORED: ClassVar[tuple[str, ...]] = ("trimmed", "familiarity_weights", "normalise", "disagreement_threshold")
    #: The largest disagreement threshold a call may store or the ranking page may ask for.
    MAX_DISAGREEMENT_THRESHOLD: ClassVar[float] = 100.0

    def __post_init__(self) -> None:
        if not self.disagreement_threshold >= 0:
            raise ValueError("disagreement_threshold must be >= 0")
        if self.quota is not None and self.quota < 0:
            raise ValueError("quota must be >= 0")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, *, base: Options | None = None, **fixed: Any) -> Options:
        """Options from their stored form (a call's aggregation, the values of the options form): the STORED
        options in `values` over those of `base` (default: the defaults), missing ones kept from `base`;
        `fixed` sets the others (quota, expected_per_component). ValueError for a key that is not an option and
        for a threshold that is not a number from 0 to MAX_DISAGREEMENT_THRESHOLD."""
        given = dict(values or {})
        unknown = set(given) - set(cls.STORED)
        if unknown:
            raise ValueError(f"unknown aggregation options: {sorted(unknown)}")
        chosen: dict[str, Any] = {
            name: bool(value) for name, value in given.items() if name != "disagreement_threshold"
        }
        if "disagreement_threshold" in given:
            try:
                threshold = float(given["disagreement_threshold"])
            except (TypeError, ValueError):
                threshold = math.nan
            if not (math.isfinite(threshold) and 0 <= threshold <= cls.MAX_DISAGREEMENT_THRESHOLD):
                raise ValueError(f"the disagreement threshold must be between 0 and {cls.MAX_DISAGREEMENT_THRESHOLD:g}")
            chosen["disagreement_threshold"] = threshold
        return replace(base if base is not None else cls(), **chosen, **fixed)

    def to_mapping(self) -> dict[str, Any]:
        """The stored form of the options (a call's aggregation): the STORED ones, by name."""
        return {name: getattr(self, name) for name in self.STORED}


@dataclass(frozen=True)
class RankedApplication:
    """One application's aggregate: its place in the ranking, scores and flags."""

    application_id: Hashable
    rank: int | None  # standard competition ranking (1, 2, 2, 4); None when there is no final score
    final: float | None  # None when some component has no evaluation
    component_scores: dict[str, float | None]
    n_evaluations: dict[str, int]
    std_dev: float | None  # population SD of the main component's scores (see Scheme.main_component)
    component_std_devs: dict[str, float | None] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()


def mean_and_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation; fsum makes both independent of the order of the values."""
    n = len(values)
    if n == 0:
        raise ValueError("mean of no values")
    mean = math.fsum(values) / n
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / n)


def z_scores(values: Sequence[float]) -> list[float]:
    """Population z-scores; a single value or no spread gives 0 for every value (nothing to stretch)."""
    if not values:
        return []
    mean, sd = mean_and_sd(values)
    if sd <= _EPSILON:
        return [0.0] * len(values)
    return [(v - mean) / sd for v in values]


def _clamp(x: float) -> float:
    return min(100.0, max(0.0, x))


def evaluation_score(evaluation: Evaluation, component: Component) -> float:
    """An evaluation's component score: the weighted mean of its criteria with the scheme's weights."""
    given, expected = set(evaluation.criteria), set(component.criteria)
    if given != expected:
        raise ValueError(
            f"evaluation {evaluation.evaluation_id!r}: criteria {sorted(given)} do not match the scheme's "
            f"{sorted(expected)}"
        )
    for code, score in evaluation.criteria.items():
        if not (isinstance(score, (int, float)) and math.isfinite(score) and 0 <= score <= 100):
            raise ValueError(f"evaluation {evaluation.evaluation_id!r}: {code} = {score!r} is not within 0-100")
    total = math.fsum(component.criteria.values())
    return _clamp(math.fsum(w * evaluation.criteria[c] for c, w in component.criteria.items()) / total)


def familiarity_weight(familiarity: str | None) -> float:
    """The weight of an evaluator's opinion given how familiar they say they are with the field."""
    if familiarity is None:
        return DEFAULT_FAMILIARITY_WEIGHT
    try:
        return FAMILIARITY_WEIGHTS[familiarity]
    except KeyError:
        raise ValueError(f"unknown familiarity {familiarity!r}") from None


@dataclass(frozen=True)
class _Scored:
    evaluation: Evaluation
    score: float  # after normalisation when that option is on
    weight: float


def _validate(evaluations: Sequence[Evaluation], scheme: Scheme) -> None:
    seen_ids, seen_slots = set(), set()
    for e in evaluations:
        if e.component not in scheme.components:
            raise ValueError(f"evaluation {e.evaluation_id!r}: component {e.component!r} is not in the scheme")
        if e.evaluation_id in seen_ids:
            raise ValueError(f"evaluation {e.evaluation_id!r} appears twice")
        slot = (e.application_id, e.component, e.evaluator_id)
        if slot in seen_slots:
            # One evaluator counted twice for the same application would silently double their weight.
            raise ValueError(f"evaluator {e.evaluator_id!r} evaluated {e.application_id!r} ({e.component}) twice")
        seen_ids.add(e.evaluation_id)
        seen_slots.add(slot)


def _normalise(raw: dict[Hashable, float], evaluations: Sequence[Evaluation]) -> dict[Hashable, float]:
    """Per component and evaluator: z-score within the call, mapped back with the call's mean and SD.

    Why: a strict expert who gives 60-75 and a lenient one who gives 85-98 rank the same applications alike;
    only their scale differs. Each expert's scores become z = (s - expert_mean) / expert_sd, then
    call_mean + z * call_sd, where call_mean/call_sd are over all raw scores of that component in the call.
    An expert with a single score or no spread has no scale to remove, only a level: s - expert_mean + call_mean,
    which for zero spread is exactly call_mean, i.e. z = 0. The result is clamped to 0-100 because an expert's
    extreme score can map beyond the scale.
    """
    by_component: dict[str, list[Evaluation]] = defaultdict(list)
    for e in evaluations:
        by_component[e.component].append(e)
    mapped: dict[Hashable, float] = {}
    for members in by_component.values():
        call_mean, call_sd = mean_and_sd([raw[e.evaluation_id] for e in members])
        by_evaluator: dict[Hashable, list[Evaluation]] = defaultdict(list)
        for e in members:
            by_evaluator[e.evaluator_id].append(e)
        for own in by_evaluator.values():
            for e, z in zip(own, z_scores([raw[e.evaluation_id] for e in own]), strict=True):
                mapped[e.evaluation_id] = _clamp(call_mean + z * call_sd)
    return mapped


def _combine(items: list[_Scored], trimmed: bool) -> float:
    """Weighted mean, after dropping the single highest and lowest score when there are at least five.

    Ties in score are broken by weight, then evaluation id, so which evaluation is dropped never depends on
    the order the evaluations arrived in.
    """
    items = sorted(items, key=lambda s: (s.score, s.weight, s.evaluation.evaluation_id))
    if trimmed and len(items) >= 5:
        items = items[1:-1]
    total = math.fsum(s.weight for s in items)
    return _clamp(math.fsum(s.score * s.weight for s in items) / total)


def _tie_key(final: float | None) -> float | None:
    # Two finals that differ only in the last bits (summation order, 0.1 + 0.2) are the same score to a person.
    return None if final is None else round(final, _TIE_DIGITS)


def aggregate(
    evaluations: Iterable[Evaluation],
    scheme: Scheme,
    options: Options = Options(),
    application_ids: Iterable[Hashable] | None = None,
) -> list[RankedApplication]:
    """Rank the call's applications: best final score first, unscored last, ties in application id order.

    `evaluations` must be all of the call's evaluations (normalisation looks at each evaluator's whole set).
    `application_ids` adds applications that have no evaluation at all, so they show as missing instead of
    vanishing from the list.
    """
    # Canonical order first: the same input in any order gives the same output, bit for bit.
    evaluations = sorted(evaluations, key=lambda e: (e.application_id, e.component, e.evaluation_id))
    _validate(evaluations, scheme)

    raw = {e.evaluation_id: evaluation_score(e, scheme.components[e.component]) for e in evaluations}
    used = _normalise(raw, evaluations) if options.normalise else raw

    grouped: dict[Hashable, dict[str, list[_Scored]]] = {aid: {} for aid in application_ids or ()}
    integrity: set[Hashable] = set()
    for e in evaluations:
        weight = familiarity_weight(e.familiarity) if options.familiarity_weights else 1.0
        grouped.setdefault(e.application_id, {}).setdefault(e.component, []).append(
            _Scored(e, used[e.evaluation_id], weight)
        )
        if not e.integrity_ok:
            integrity.add(e.application_id)

    expected = options.expected_per_component or {}
    main = scheme.main_component
    results = []
    for aid, per_component in grouped.items():
        flags: set[str] = set()
        scores: dict[str, float | None] = {}
        counts: dict[str, int] = {}
        spreads: dict[str, float | None] = {}
        for name in scheme.components:
            items = per_component.get(name, [])
            counts[name] = len(items)
            if not items:
                scores[name] = spreads[name] = None
                flags.add(FLAG_MISSING)
                continue
            if len(items) < expected.get(name, 0):
                flags.add(FLAG_MISSING)
            scores[name] = _combine(items, options.trimmed)
            # Spread over all scores as used (normalised if on), before trimming: trimming hides outliers from
            # the mean, but the committee should still see that the experts disagreed.
            spreads[name] = spread = mean_and_sd([s.score for s in items])[1]
            if spread > options.disagreement_threshold:
                flags.add(FLAG_DISAGREEMENT)
        if aid in integrity:
            flags.add(FLAG_INTEGRITY)
        final = None
        weighted = [(c.weight, scores[n]) for n, c in scheme.components.items()]
        if all(score is not None for _, score in weighted):
            final = _clamp(math.fsum(w * score for w, score in weighted if score is not None))
        results.append((aid, final, scores, counts, spreads, flags))

    results.sort(key=lambda r: (r[1] is None, -(_tie_key(r[1]) or 0.0), r[0]))
    scored = [r for r in results if r[1] is not None]

    # Everyone sharing the score at the quota line is flagged when that score straddles the line
    # (positions quota and quota + 1 equal): the committee must break that tie, not the sort order.
    quota = options.quota
    if quota and quota < len(scored) and _tie_key(scored[quota - 1][1]) == _tie_key(scored[quota][1]):
        line = _tie_key(scored[quota][1])
        for r in scored:
            if _tie_key(r[1]) == line:
                r[5].add(FLAG_TIE_AT_QUOTA)

    ranked, rank, previous = [], None, object()
    for position, (aid, final, scores, counts, spreads, flags) in enumerate(results, start=1):
        if final is None:
            rank = None
        elif _tie_key(final) != previous:
            rank, previous = position, _tie_key(final)
        ranked.append(
            RankedApplication(
                application_id=aid,
                rank=rank,
                final=final,
                component_scores=scores,
                n_evaluations=counts,
                std_dev=spreads[main],
                component_std_devs=spreads,
                flags=frozenset(flags),
            )
        )
    return ranked
