"""The assignment's transition table (portal/reviews/assignment/lifecycle.py): what each status allows, nothing else."""

import pytest

from portal.reviews.assignment.lifecycle import (
    ENDED,
    FINAL,
    LIVE,
    OPEN,
    STATUS_LABELS,
    TRANSITIONS,
    AssignmentAction,
    AssignmentStatus,
    can,
    next_status,
)

S, A = AssignmentStatus, AssignmentAction

EXPECTED = {
    (S.INVITED, A.ACCEPT): S.ACCEPTED,
    (S.INVITED, A.DECLINE): S.DECLINED,
    (S.INVITED, A.WITHDRAW): S.WITHDRAWN,
    (S.ACCEPTED, A.DECLINE): S.DECLINED,
    (S.ACCEPTED, A.SUBMIT): S.SUBMITTED,
    (S.ACCEPTED, A.WITHDRAW): S.WITHDRAWN,
}


def test_the_table_is_exactly_the_documented_life():
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(A))
def test_every_pair_is_allowed_or_refused_by_the_table(status, action):
    assert can(status, action) == ((status, action) in EXPECTED)
    assert can(status.value, action.value) == can(status, action)  # what the database hands back is a str
    if (status, action) in EXPECTED:
        assert next_status(status.value, action) is EXPECTED[(status, action)]
    else:
        with pytest.raises(ValueError):
            next_status(status, action)


def test_an_expert_must_accept_before_submitting():
    assert not can(S.INVITED, A.SUBMIT)
    assert next_status(next_status(S.INVITED, A.ACCEPT), A.SUBMIT) is S.SUBMITTED


def test_submitted_declined_and_withdrawn_are_final():
    assert {S.SUBMITTED, S.DECLINED, S.WITHDRAWN} == FINAL
    assert not any(can(status, action) for status in FINAL for action in A)


def test_the_named_sets_split_the_statuses():
    assert {S.INVITED, S.ACCEPTED} == OPEN and OPEN | {S.SUBMITTED} == LIVE
    assert set(S) == LIVE | ENDED and not LIVE & ENDED
    # Only open assignments move; the evaluator's work is what they wait for.
    assert {status for status, _action in TRANSITIONS} == OPEN
    assert "invited" in OPEN and "submitted" not in OPEN  # plain strings from the database compare equal


def test_every_status_has_both_labels():
    assert set(STATUS_LABELS) == set(S) and all(zh and en for zh, en in STATUS_LABELS.values())
