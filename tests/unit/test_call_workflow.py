"""The call's life (SPEC §2, §4): every (state, action) pair of the pure table, each guard, the effective state."""

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from portal.programs.call_workflow import (
    ACTION_LABELS,
    NEXT_STEPS,
    STATE_LABELS,
    TRANSITIONS,
    CallAction,
    CallFacts,
    CallState,
    effective_state,
    next_steps,
    refusals,
    target,
)

A, S = CallAction, CallState
NOW = datetime(2027, 3, 1, 4, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# Facts under which each action's own guards all pass, for a call standing in each (effective) state.
OPENS_AT = {
    S.DRAFT: NOW + DAY,
    S.OPEN: NOW + DAY,
    S.CLOSED: NOW - 30 * DAY,
    S.REVIEW: NOW - 30 * DAY,
    S.DECIDED: NOW - 30 * DAY,
}
CLOSES_AT = {
    S.DRAFT: NOW + 30 * DAY,
    S.OPEN: NOW + 30 * DAY,
    S.CLOSED: NOW - DAY,
    S.REVIEW: NOW - DAY,
    S.DECIDED: NOW - DAY,
}
STORED = {S.DRAFT: "draft", S.OPEN: "open", S.CLOSED: "open", S.REVIEW: "review", S.DECIDED: "decided"}


def facts_for(state: CallState, **changes) -> CallFacts:
    base = CallFacts(
        status=STORED[state],
        opens_at=OPENS_AT[state],
        closes_at=CLOSES_AT[state],
        now=NOW,
        new_closes_at=NOW + 60 * DAY,
        decision_session_final=True,
    )
    return replace(base, **changes)


@pytest.mark.parametrize(("state", "action"), list(itertools.product(CallState, CallAction)))
def test_every_pair_follows_the_table(state, action):
    facts = facts_for(state)
    assert effective_state(facts.status, facts.closes_at, NOW) is state
    found = refusals(action, facts)
    if (state, action) in TRANSITIONS:
        assert found == [], (state, action, found)
        assert target(state, action) is TRANSITIONS[(state, action)]
    else:
        assert [r.code for r in found] == ["not_in_state"]
        assert found[0].values == {"state": state.value, "action": action.value}
        assert target(state, action) is None


def test_the_table_is_the_life_of_the_issue():
    assert TRANSITIONS == {
        (S.DRAFT, A.PUBLISH): S.OPEN,
        (S.OPEN, A.UNPUBLISH): S.DRAFT,
        (S.OPEN, A.EXTEND): S.OPEN,
        (S.CLOSED, A.EXTEND): S.OPEN,
        (S.CLOSED, A.START_REVIEW): S.REVIEW,
        (S.REVIEW, A.DECIDE): S.DECIDED,
    }
    # No person's action stores "closed": the clock does it.
    assert S.CLOSED not in TRANSITIONS.values()


def test_next_steps_are_allowed_transitions_and_labels_exist():
    for state, actions in NEXT_STEPS.items():
        for action in actions:
            assert (state, action) in TRANSITIONS
    assert NEXT_STEPS[S.DECIDED] == ()
    assert set(STATE_LABELS) == set(CallState) and set(ACTION_LABELS) == set(CallAction)
    assert all(zh and en for zh, en in [*STATE_LABELS.values(), *ACTION_LABELS.values()])


def test_effective_state_closes_at_the_second_of_the_deadline():
    closes = datetime(2027, 3, 31, 9, 0, 0, tzinfo=UTC)
    assert effective_state("open", closes, closes - timedelta(microseconds=1)) is S.OPEN
    assert effective_state("open", closes, closes) is S.CLOSED
    assert effective_state("open", closes, closes + timedelta(seconds=1)) is S.CLOSED
    # Only an open call closes by itself.
    for stored in ("draft", "review", "decided"):
        assert effective_state(stored, closes, closes + DAY).value == stored
    assert next_steps("open", closes, closes) == NEXT_STEPS[S.CLOSED]
    assert next_steps("open", closes, closes - timedelta(seconds=1)) == NEXT_STEPS[S.OPEN]


def codes(action, facts):
    return [r.code for r in refusals(action, facts)]


def test_publish_guards():
    assert codes(A.PUBLISH, facts_for(S.DRAFT, program_archived=True)) == ["program_archived"]
    assert codes(A.PUBLISH, facts_for(S.DRAFT, closes_at=OPENS_AT[S.DRAFT])) == ["closes_before_opening"]
    # A draft whose deadline has passed is a draft, not closed: publishing it is refused for the deadline.
    late = facts_for(S.DRAFT, opens_at=NOW - 10 * DAY, closes_at=NOW - DAY)
    assert codes(A.PUBLISH, late) == ["closes_in_past"]
    assert codes(A.PUBLISH, facts_for(S.DRAFT, opens_at=NOW - DAY, closes_at=NOW)) == ["closes_in_past"]
    assert codes(A.PUBLISH, facts_for(S.DRAFT, has_cutoff_date=False)) == ["no_cutoff_date"]
    assert codes(A.PUBLISH, facts_for(S.DRAFT, review_due_after_closing=False)) == ["review_due_before_closing"]
    everything = facts_for(S.DRAFT, program_archived=True, has_cutoff_date=False, review_due_after_closing=False)
    assert codes(A.PUBLISH, everything) == ["program_archived", "no_cutoff_date", "review_due_before_closing"]
    # Publishing a call that opens in the past (opens at once) is fine.
    assert codes(A.PUBLISH, facts_for(S.DRAFT, opens_at=NOW - DAY)) == []


def test_unpublish_only_before_opening():
    assert codes(A.UNPUBLISH, facts_for(S.OPEN)) == []
    assert codes(A.UNPUBLISH, facts_for(S.OPEN, opens_at=NOW)) == ["already_opened"]
    assert codes(A.UNPUBLISH, facts_for(S.OPEN, opens_at=NOW - DAY)) == ["already_opened"]
    assert codes(A.UNPUBLISH, facts_for(S.CLOSED)) == ["not_in_state"]


def test_extend_guards():
    open_facts = facts_for(S.OPEN)
    assert codes(A.EXTEND, replace(open_facts, new_closes_at=None)) == ["extend_not_later"]
    assert codes(A.EXTEND, replace(open_facts, new_closes_at=open_facts.closes_at)) == ["extend_not_later"]
    assert codes(A.EXTEND, replace(open_facts, new_closes_at=open_facts.closes_at - DAY)) == ["extend_not_later"]
    assert codes(A.EXTEND, replace(open_facts, new_closes_at=open_facts.closes_at + timedelta(seconds=1))) == []
    # A call that closed by itself may be reopened with a later deadline, but not to a time already past.
    closed = facts_for(S.CLOSED)
    assert codes(A.EXTEND, replace(closed, new_closes_at=NOW - timedelta(hours=1))) == ["closes_in_past"]
    assert codes(A.EXTEND, replace(closed, new_closes_at=NOW)) == ["closes_in_past"]
    assert codes(A.EXTEND, replace(closed, new_closes_at=NOW + DAY)) == []
    # A call stored as "closed" (not by the clock) is not reopened.
    assert codes(A.EXTEND, replace(closed, status="closed")) == ["not_in_state"]


def test_start_review_waits_for_units_and_formal_check_unless_confirmed():
    closed = facts_for(S.CLOSED)
    waiting = replace(closed, waiting_unit_review=2, waiting_formal_check=1)
    found = refusals(A.START_REVIEW, waiting)
    assert [r.code for r in found] == ["applications_waiting"] and found[0].values == {"unit": 2, "formal": 1}
    assert codes(A.START_REVIEW, replace(closed, waiting_formal_check=1)) == ["applications_waiting"]
    assert codes(A.START_REVIEW, replace(waiting, confirmed=True)) == []
    assert codes(A.START_REVIEW, closed) == []
    # Not before the deadline, even confirmed.
    assert codes(A.START_REVIEW, replace(facts_for(S.OPEN), confirmed=True)) == ["not_in_state"]


def test_decide_needs_the_final_session_and_every_decision():
    review = facts_for(S.REVIEW)
    assert codes(A.DECIDE, review) == []
    assert codes(A.DECIDE, replace(review, decision_session_final=False)) == ["no_final_session"]
    found = refusals(A.DECIDE, replace(review, undecided=3))
    assert [r.code for r in found] == ["undecided"] and found[0].values == {"count": 3}
    assert codes(A.DECIDE, replace(review, decision_session_final=False, undecided=1)) == [
        "no_final_session",
        "undecided",
    ]


def test_actions_by_their_values():
    assert codes("publish", facts_for(S.DRAFT)) == []
    with pytest.raises(ValueError):
        refusals("close", facts_for(S.OPEN))
