"""Score aggregation (SPEC §4.1): hand-computed cases for every option, and properties checked with hypothesis."""

import math
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.reviews.ranking.scoring import (
    FLAG_DISAGREEMENT,
    FLAG_INTEGRITY,
    FLAG_MISSING,
    FLAG_TIE_AT_QUOTA,
    Component,
    Evaluation,
    Options,
    Scheme,
    aggregate,
    evaluation_score,
    z_scores,
)

CRITERIA = {"performance": 60, "influence": 40}  # 科研业绩 60; 影响力 40
TOP = Scheme({"unit": Component(0.3, CRITERIA), "peer": Component(0.7, CRITERIA)})  # 拔尖和骨干人才
ONE = Scheme({"peer": Component(1.0, {"q": 1})})  # one criterion, so a score is its own component score
SUPPORT = Scheme({"user": Component(1.0, {"completion": 60, "attitude": 40})})

PROPERTY = settings(max_examples=200, deadline=None, database=None)


def peer(eid, app, expert, score, **kw):
    return Evaluation(eid, app, expert, "peer", {"q": score}, **kw)


def by_id(results):
    return {r.application_id: r for r in results}


def panel(app, scores, **kw):
    return [peer(f"{app}-{i}", app, f"e{i}", s, **kw) for i, s in enumerate(scores)]


# ---- hand-computed cases -------------------------------------------------------------------------------------


def test_component_score_is_the_weighted_mean_of_the_criteria():
    e = Evaluation(1, "A", "x", "peer", {"performance": 80, "influence": 90})
    assert evaluation_score(e, TOP.components["peer"]) == pytest.approx(84.0)  # 0.6*80 + 0.4*90
    with pytest.raises(ValueError):
        evaluation_score(Evaluation(2, "A", "x", "peer", {"performance": 80}), TOP.components["peer"])
    with pytest.raises(ValueError):
        evaluation_score(Evaluation(3, "A", "x", "peer", {"performance": 80, "influence": 101}), TOP.components["peer"])


def test_plain_mean():
    [r] = aggregate(panel("A", [50, 70, 80, 90, 100]), ONE)
    assert r.final == pytest.approx(78.0) and r.rank == 1 and r.n_evaluations == {"peer": 5}


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([60, 70, 80, 90, 100], 80.0),
        ([50, 70, 80, 90, 100], 80.0),  # the plain mean is 78: the lowest 50 and the highest 100 are dropped
        ([10, 70, 80, 90], 62.5),  # fewer than five scores: nothing is dropped
        ([0, 100, 100, 100, 100, 100], 100.0),  # only one of the tied highest goes, and the single lowest
    ],
)
def test_trimmed_mean(scores, expected):
    [r] = aggregate(panel("A", scores), ONE, Options(trimmed=True))
    assert r.final == pytest.approx(expected)


def test_familiarity_weights():
    evals = [
        peer(1, "A", "x", 90, familiarity="familiar"),
        peer(2, "A", "y", 60, familiarity="somewhat"),
        peer(3, "A", "z", 40, familiarity="unfamiliar"),
    ]
    # (1.0*90 + 0.7*60 + 0.4*40) / (1.0 + 0.7 + 0.4) = 148 / 2.1
    assert aggregate(evals, ONE, Options(familiarity_weights=True))[0].final == pytest.approx(148 / 2.1)
    assert aggregate(evals, ONE)[0].final == pytest.approx(190 / 3)  # option off: plain mean
    with pytest.raises(ValueError):
        aggregate([peer(1, "A", "x", 90, familiarity="expert")], ONE, Options(familiarity_weights=True))


def test_top_scheme_thirty_percent_unit_seventy_percent_peer():
    evals = [
        Evaluation(1, "A", "unit-hr", "unit", {"performance": 80, "influence": 90}),  # 84
        Evaluation(2, "A", "e1", "peer", {"performance": 70, "influence": 80}),  # 74
        Evaluation(3, "A", "e2", "peer", {"performance": 90, "influence": 60}),  # 78 -> peer mean 76
    ]
    [r] = aggregate(evals, TOP)
    assert r.component_scores == pytest.approx({"unit": 84.0, "peer": 76.0})
    assert r.final == pytest.approx(0.3 * 84 + 0.7 * 76)  # 78.4
    assert r.n_evaluations == {"unit": 1, "peer": 2}
    assert r.std_dev == pytest.approx(2.0)  # peer is the main component: population SD of 74 and 78
    assert r.component_std_devs["unit"] == 0.0


def test_normalisation_worked_by_hand():
    # Expert S (strict) gives X 60 and Y 70; expert L (lenient) gives X 80 and Y 90; expert C scores only Z, 50.
    # Call: scores 60, 70, 80, 90, 50 -> mean 70; deviations -10, 0, 10, 20, -20 -> variance 1000/5 = 200,
    # population SD sqrt(200) = 14.142. S and L each have z = -1 for X and +1 for Y, so both map X to
    # 70 - 14.142 = 55.858 and Y to 70 + 14.142 = 84.142. C has a single score: no scale, only a level, so
    # 50 - 50 + 70 = 70. Raw means would be X 70, Y 80, Z 50; normalised: Y 84.142, Z 70, X 55.858.
    evals = [
        peer(1, "X", "S", 60),
        peer(2, "Y", "S", 70),
        peer(3, "X", "L", 80),
        peer(4, "Y", "L", 90),
        peer(5, "Z", "C", 50),
    ]
    results = aggregate(evals, ONE, Options(normalise=True))
    sd = math.sqrt(200)
    assert [r.application_id for r in results] == ["Y", "Z", "X"]
    assert [r.final for r in results] == pytest.approx([70 + sd, 70.0, 70 - sd])
    assert by_id(results)["X"].std_dev == pytest.approx(0.0)  # S and L agree once their scales are removed
    assert [r.application_id for r in aggregate(evals, ONE)] == ["Y", "X", "Z"]


def test_normalisation_clamps_to_the_scale():
    # Expert e: A 0, B/C/D 100 (z = -sqrt(3), +1/sqrt(3)); expert f: A 40, B 60 (z = -1, +1).
    # Call: 0, 100, 100, 100, 40, 60 -> mean 66.667, population SD 37.712. f's 60 for B maps to
    # 66.667 + 37.712 = 104.4, beyond the scale, so it counts as 100; e's 100 for B maps to 66.667 + 21.773.
    evals = [peer(i, app, "e", s) for i, (app, s) in enumerate([("A", 0), ("B", 100), ("C", 100), ("D", 100)])]
    evals += [peer(10, "A", "f", 40), peer(11, "B", "f", 60)]
    mean = 400 / 6
    sd = math.sqrt(sum((x - mean) ** 2 for x in [0, 100, 100, 100, 40, 60]) / 6)
    assert mean + sd > 100
    results = by_id(aggregate(evals, ONE, Options(normalise=True)))
    assert results["B"].final == pytest.approx((mean + sd / math.sqrt(3) + 100.0) / 2)
    assert results["C"].final == pytest.approx(mean + sd / math.sqrt(3))


@pytest.mark.parametrize(("high", "flagged"), [(80, False), (80.2, True)])
def test_disagreement_flag_at_the_threshold(high, flagged):
    # Scores 50 and 80: population SD exactly 15, which is not *above* the default threshold of 15.
    [r] = aggregate(panel("A", [50, high]), ONE)
    assert (FLAG_DISAGREEMENT in r.flags) is flagged
    assert r.std_dev == pytest.approx((high - 50) / 2)


def test_disagreement_threshold_is_an_option_and_trimming_does_not_hide_it():
    [r] = aggregate(panel("A", [0, 70, 70, 70, 100]), ONE, Options(trimmed=True, disagreement_threshold=30))
    assert r.final == pytest.approx(70.0) and FLAG_DISAGREEMENT in r.flags  # SD 32.2 over all five


def test_integrity_flag_marks_only_that_application_and_keeps_the_score():
    evals = panel("A", [80, 82]) + [peer("B-0", "B", "e0", 75, integrity_ok=False), peer("B-1", "B", "e1", 77)]
    results = by_id(aggregate(evals, ONE))
    assert results["B"].flags == {FLAG_INTEGRITY} and results["B"].final == pytest.approx(76.0)
    assert results["A"].flags == frozenset()


def test_missing_component_means_no_final_score_and_last_place():
    evals = [
        Evaluation(1, "A", "e1", "peer", {"performance": 90, "influence": 90}),  # no unit assessment
        Evaluation(2, "B", "hr", "unit", {"performance": 10, "influence": 10}),
        Evaluation(3, "B", "e1", "peer", {"performance": 10, "influence": 10}),
    ]
    results = aggregate(evals, TOP, application_ids=["C"])
    assert [r.application_id for r in results] == ["B", "A", "C"]
    a, c = results[1], results[2]
    assert a.final is None and a.rank is None and FLAG_MISSING in a.flags
    assert a.component_scores == {"unit": None, "peer": pytest.approx(90.0)}
    assert c.n_evaluations == {"unit": 0, "peer": 0} and c.std_dev is None and c.flags == {FLAG_MISSING}
    assert results[0].rank == 1 and results[0].flags == frozenset()


def test_fewer_evaluations_than_expected_is_flagged_but_still_scored():
    [r] = aggregate(panel("A", [70, 80, 90]), ONE, Options(expected_per_component={"peer": 5}))
    assert FLAG_MISSING in r.flags and r.final == pytest.approx(80.0)
    [r] = aggregate(panel("A", [70, 80, 90]), ONE, Options(expected_per_component={"peer": 3}))
    assert FLAG_MISSING not in r.flags


def finals_call(finals):
    return [peer(app, app, "e", score) for app, score in finals.items()]


@pytest.mark.parametrize(("quota", "tied"), [(1, set()), (2, {"B", "C"}), (3, set()), (4, set()), (None, set())])
def test_tie_at_the_quota_line(quota, tied):
    results = aggregate(finals_call({"A": 90, "B": 80, "C": 80, "D": 70}), ONE, Options(quota=quota))
    assert [(r.application_id, r.rank) for r in results] == [("A", 1), ("B", 2), ("C", 2), ("D", 4)]
    assert {r.application_id for r in results if FLAG_TIE_AT_QUOTA in r.flags} == tied


def test_everyone_in_a_tie_straddling_the_line_is_flagged():
    results = aggregate(finals_call({"A": 90, "B": 80, "C": 80, "D": 80, "E": 60}), ONE, Options(quota=2))
    assert {r.application_id for r in results if FLAG_TIE_AT_QUOTA in r.flags} == {"B", "C", "D"}


def test_scores_equal_up_to_rounding_noise_are_a_tie():
    # 0.1 + 0.2 != 0.3 in floating point; a person sees the same score, so it is the same rank.
    evals = [peer(1, "A", "x", 0.1), peer(2, "A", "y", 0.2), peer(3, "B", "x", 0.15), peer(4, "B", "y", 0.15)]
    assert [r.rank for r in aggregate(evals, ONE)] == [1, 1]


def test_main_component_for_std_dev():
    assert TOP.main_component == "peer" and SUPPORT.main_component == "user"
    industrial = Scheme({"social": Component(0.6, {"q": 1}), "unit": Component(0.4, {"q": 1})})
    assert industrial.main_component == "social"


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        Scheme({"peer": Component(0.7, {"q": 1})})  # weights must sum to 1
    with pytest.raises(ValueError):
        aggregate([Evaluation(1, "A", "x", "social", {"q": 50})], ONE)  # not a component of the scheme
    with pytest.raises(ValueError):
        aggregate([peer(1, "A", "x", 50), peer(1, "B", "x", 50)], ONE)  # duplicate evaluation id
    with pytest.raises(ValueError):
        aggregate([peer(1, "A", "x", 50), peer(2, "A", "x", 60)], ONE)  # same expert twice on one application


# ---- properties ----------------------------------------------------------------------------------------------

SCORE = st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False))
FAMILIARITY = st.sampled_from([None, "familiar", "somewhat", "unfamiliar"])


@st.composite
def calls(draw):
    """A call: a scheme and evaluations, each expert scoring a random subset of the applications."""
    scheme = draw(st.sampled_from([ONE, TOP, SUPPORT]))
    n_apps, n_experts = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    evals = []
    for app in range(n_apps):
        for name, component in scheme.components.items():
            evaluators = [f"hr{app}"] if name == "unit" else [f"e{i}" for i in range(n_experts)]
            for evaluator in evaluators:
                if draw(st.integers(0, 9)) < 8:  # some evaluations are missing
                    evals.append(
                        Evaluation(
                            len(evals),
                            f"app{app}",
                            evaluator,
                            name,
                            {code: draw(SCORE) for code in component.criteria},
                            familiarity=draw(FAMILIARITY),
                            integrity_ok=draw(st.integers(0, 9)) > 0,
                        )
                    )
    return scheme, evals


OPTIONS = st.builds(
    Options,
    trimmed=st.booleans(),
    familiarity_weights=st.booleans(),
    normalise=st.booleans(),
    quota=st.none() | st.integers(0, 6),
)


@PROPERTY
@given(calls(), OPTIONS, st.data())
def test_order_of_the_input_does_not_matter(call, options, data):
    scheme, evals = call
    shuffled = data.draw(st.permutations(evals))
    assert aggregate(shuffled, scheme, options) == aggregate(evals, scheme, options)


@PROPERTY
@given(calls(), OPTIONS)
def test_results_stay_on_the_scale_and_are_ranked(call, options):
    scheme, evals = call
    results = aggregate(evals, scheme, options)
    assert len(results) == len({e.application_id for e in evals})
    for r in results:
        for score in [r.final, *r.component_scores.values()]:
            assert score is None or 0.0 <= score <= 100.0
        assert (r.final is None) == (r.rank is None) == any(n == 0 for n in r.n_evaluations.values())
    # Finals equal to 9 decimals are a tie (rounding noise): same rank, then application id order.
    scored = [r for r in results if r.final is not None]
    keys = [round(r.final, 9) for r in scored]
    assert keys == sorted(keys, reverse=True)
    assert all(r.final is None for r in results[len(scored) :])
    for position, (before, after) in enumerate(pairwise(scored), start=2):
        tied = round(before.final, 9) == round(after.final, 9)
        assert after.rank == (before.rank if tied else position)
        assert not tied or before.application_id < after.application_id


# Monotonicity: raising one criterion score never lowers that application's final score. This holds with the
# plain mean, the trimmed mean and familiarity weights each on their own, but NOT
#  - with trimming and familiarity weights together: a raised score can become the top one and be dropped,
#    bringing back a lightly weighted former top score (see the counterexample below);
#  - with normalisation: the raised score moves the call's mean and SD, which remaps the *other* experts' scores
#    of the same application, and one of them can fall (counterexample below). What does hold there is that
#    the expert's own z-score for the application never falls (tested on z_scores).
MONOTONE_OPTIONS = st.sampled_from([Options(), Options(trimmed=True), Options(familiarity_weights=True)])


@PROPERTY
@given(calls(), MONOTONE_OPTIONS, st.data())
def test_raising_a_criterion_score_never_lowers_the_final_score(call, options, data):
    scheme, evals = call
    if not evals:
        return
    i = data.draw(st.integers(0, len(evals) - 1))
    target = evals[i]
    code = data.draw(st.sampled_from(sorted(target.criteria)))
    raised = data.draw(st.floats(target.criteria[code], 100, allow_nan=False))
    changed = list(evals)
    changed[i] = Evaluation(
        target.evaluation_id,
        target.application_id,
        target.evaluator_id,
        target.component,
        {**target.criteria, code: raised},
        target.familiarity,
        target.integrity_ok,
    )
    before = by_id(aggregate(evals, scheme, options))[target.application_id].final
    after = by_id(aggregate(changed, scheme, options))[target.application_id].final
    if before is not None:
        assert after >= before - 1e-9


@PROPERTY
@given(st.lists(SCORE, min_size=1, max_size=12), st.data())
def test_raising_a_score_never_lowers_the_experts_own_z_score(values, data):
    i = data.draw(st.integers(0, len(values) - 1))
    raised = list(values)
    raised[i] = data.draw(st.floats(values[i], 100, allow_nan=False))
    assert z_scores(raised)[i] >= z_scores(values)[i] - 1e-9


def test_trimming_with_familiarity_weights_is_not_monotone():
    familiarity = ["familiar"] * 4 + ["unfamiliar"]

    def final(scores):
        evals = [
            peer(i, "A", f"e{i}", s, familiarity=f) for i, (s, f) in enumerate(zip(scores, familiarity, strict=True))
        ]
        return aggregate(evals, ONE, Options(trimmed=True, familiarity_weights=True))[0].final

    # Middle three: 10, 10, 90 (weights 1) -> 36.67. Raise 90 to 95: it becomes the top and is dropped, and the
    # unfamiliar 91 (weight 0.4) comes back: (10 + 10 + 0.4 * 91) / 2.4 = 23.5.
    assert final([0, 10, 10, 90, 91]) == pytest.approx(110 / 3)
    assert final([0, 10, 10, 95, 91]) == pytest.approx(23.5)


def test_normalisation_is_not_monotone_in_the_final_score():
    def final(raised):
        evals = [
            peer(1, "A0", "E0", 90),
            peer(2, "A0", "E1", 60),
            peer(3, "A1", "E0", 10),
            peer(4, "A1", "E1", raised),
            peer(5, "A2", "E0", 100),
            peer(6, "A2", "E1", 80),
        ]
        return by_id(aggregate(evals, ONE, Options(normalise=True)))["A1"].final

    # E1 raising A1 from 90 to 100 widens the call's spread, which pushes E0's very low z-score for A1 further down.
    assert final(100) < final(90)


@st.composite
def biased_panels(draw):
    """True merit per application; every expert scores every application as merit + bias or merit x factor."""
    merits = draw(st.lists(st.integers(40, 60), min_size=2, max_size=6, unique=True))
    biases = draw(
        st.lists(
            st.one_of(st.tuples(st.just("+"), st.floats(-10, 10)), st.tuples(st.just("x"), st.floats(0.8, 1.25))),
            min_size=2,
            max_size=5,
        )
    )
    return merits, biases


def scored_by(merits, biases):
    evals = []
    for e, (kind, value) in enumerate(biases):
        for a, merit in enumerate(merits):
            evals.append(peer(len(evals), f"app{a}", f"e{e}", merit + value if kind == "+" else merit * value))
    return evals


@PROPERTY
@given(biased_panels())
def test_strict_and_lenient_experts_count_alike_after_normalisation(panels):
    merits, biases = panels
    merit_order = [f"app{a}" for a in sorted(range(len(merits)), key=lambda a: -merits[a])]
    normalised = aggregate(scored_by(merits, biases), ONE, Options(normalise=True))
    fair = aggregate(scored_by(merits, [("+", 0.0)] * len(biases)), ONE, Options(normalise=True))
    assert [r.application_id for r in normalised] == [r.application_id for r in fair] == merit_order
    for r in normalised:
        assert r.std_dev == pytest.approx(0.0, abs=1e-6)  # once their scales are removed the experts agree
        assert 0.0 < r.final < 100.0  # nothing clamped, so the ranking above is the real one


# -- Options: one typed value, one default, one stored form ----------------------------------------------------


def test_options_stored_form_round_trips_and_missing_keys_take_the_default():
    assert Options.from_mapping(None) == Options() == Options.from_mapping({})
    chosen = Options(trimmed=True, normalise=True, disagreement_threshold=12.0)
    assert chosen.to_mapping() == {
        "trimmed": True,
        "familiarity_weights": False,
        "normalise": True,
        "disagreement_threshold": 12.0,
    }
    assert Options.from_mapping(chosen.to_mapping()) == chosen
    assert Options.from_mapping({"normalise": 1, "disagreement_threshold": "21"}) == Options(
        normalise=True, disagreement_threshold=21.0
    )


def test_options_over_a_base_keep_what_is_not_given_and_take_the_fixed_fields():
    base = Options(trimmed=True, disagreement_threshold=30.0, quota=4)
    assert Options.from_mapping({"normalise": True}, base=base) == Options(
        trimmed=True, normalise=True, disagreement_threshold=30.0, quota=4
    )
    assert Options.from_mapping({}, quota=7).quota == 7


@pytest.mark.parametrize(
    "values",
    [
        {"median": True},
        {"disagreement_threshold": -1},
        {"disagreement_threshold": 100.5},
        {"disagreement_threshold": "abc"},
        {"disagreement_threshold": None},
        {"disagreement_threshold": float("nan")},
    ],
)
def test_options_refuse_unknown_keys_and_thresholds_outside_0_to_100(values):
    with pytest.raises(ValueError):
        Options.from_mapping(values)
