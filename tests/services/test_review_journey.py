"""From the demo data to a ranking: a "top" call (unit 30 % + peer 70 %) and a "support" call (user evaluation).

Applications travel through unit review, formal check, manual expert assignment, scoring by experts (one strict,
one lenient) and by token-link evaluators, to a ranking whose normalised order differs from the plain mean the way
SPEC §4.1 intends: strict and lenient experts count alike.
"""

from portal.reviews.assignment import services as assigning
from portal.reviews.evaluation.schemes import options_for_call
from portal.reviews.ranking.services import ranking_for_call
from tests.journeys import review_demo_calls


def test_top_and_support_calls_from_submission_to_ranking(db):
    a, b, c, support, tokens = review_demo_calls(db)
    assert {x.state for x in (a, b, c, support)} == {"reviewed"}
    assert all(assigning.external_assignment_for_token(t) is None for t in tokens)  # links stop after use

    call = a.call
    plain = ranking_for_call(call, options_for_call(call, normalise=False))
    normalised = ranking_for_call(call, options_for_call(call, normalise=True))
    order = {r.application.id: r.position for r in plain.rows}
    # Plain mean of the peer scores: A 73.3, B 73.3, C 75.0 — the lenient expert lifts C to the top.
    assert order[c.id] == 1 and plain.rows[0].final == 24 + 0.7 * 75
    # Normalised per expert: every expert ranks A > B > C, and so does the ranking.
    assert [r.application.id for r in normalised.rows] == [a.id, b.id, c.id]
    assert not any({"missing", "integrity"} & set(r.flags) for r in normalised.rows), [r.flags for r in normalised.rows]
    assert all(r.n_evaluations["peer"] == 3 and r.n_evaluations["unit"] == 1 for r in normalised.rows)

    support_rank = ranking_for_call(support.call, options_for_call(support.call))
    row = next(r for r in support_rank.rows if r.application.id == support.id)
    assert row.final == 85 and row.n_evaluations == {"user": 2}
