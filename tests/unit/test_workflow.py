"""The application state machine (SPEC §5): every (state, action, role) triple, the journeys, the graph."""

import itertools
from collections import deque

import pytest

from portal.applications.workflow import (
    ACTION_LABELS,
    COMMENT_REQUIRED,
    DECIDED,
    EDITABLE_STATES,
    NOT_ALLOWED_IN_STATE,
    ROLE_LABELS,
    ROLE_NOT_ALLOWED,
    ROLES,
    STATE_LABELS,
    TERMINAL,
    TRANSITIONS,
    Action,
    State,
    TransitionError,
    allowed_actions,
    can,
    next_state,
    transition,
)

A, S = Action, State
APPLICANT, UNIT, OFFICE, SYSTEM = "applicant", "unit_admin", "program_admin", "system"


@pytest.mark.parametrize(("state", "action", "role"), list(itertools.product(State, Action, ROLES)))
def test_every_triple_follows_the_table(state, action, role):
    edge = TRANSITIONS.get((state, action))
    if edge is not None and role in edge.roles:
        assert next_state(state, action, [role], comment="理由") == edge.target
        assert can(state, action, [role]) and action in allowed_actions(state, [role])
        if edge.needs_comment:
            with pytest.raises(TransitionError) as exc:
                next_state(state, action, [role])
            assert exc.value.code == COMMENT_REQUIRED
        else:
            assert next_state(state, action, [role]) == edge.target
        return
    expected = NOT_ALLOWED_IN_STATE if edge is None else ROLE_NOT_ALLOWED
    assert not can(state, action, [role]) and action not in allowed_actions(state, [role])
    for comment in (None, "理由"):  # a comment never turns a refusal into a success, and never changes why
        with pytest.raises(TransitionError) as exc:
            next_state(state, action, [role], comment=comment)
        assert exc.value.code == expected


def walk(steps, start=S.DRAFT):
    """Apply (action, role) steps and return the states visited."""
    states = [start]
    for action, role in steps:
        states.append(next_state(states[-1], action, [role], comment="说明"))
    return states


MAIN_PATH = [
    (A.SUBMIT, APPLICANT),
    (A.UNIT_ENDORSE, UNIT),
    (A.FORMAL_PASS, OFFICE),
    (A.COMPLETE_REVIEW, SYSTEM),
    (A.APPROVE, OFFICE),
    (A.PUBLISH_NOTICE, OFFICE),
    (A.AWARD, SYSTEM),
]


def test_main_path_from_draft_to_awarded():
    assert walk(MAIN_PATH) == [
        S.DRAFT,
        S.SUBMITTED,
        S.UNIT_ENDORSED,
        S.UNDER_REVIEW,
        S.REVIEWED,
        S.APPROVED,
        S.IN_NOTICE,
        S.AWARDED,
    ]


def test_program_without_notice_awards_straight_from_approved():
    assert walk(MAIN_PATH[:5] + [(A.AWARD, OFFICE)])[-1] == S.AWARDED


def test_return_and_resubmit_then_endorse():
    states = walk(
        [(A.SUBMIT, APPLICANT), (A.RETURN_FOR_REVISION, UNIT), (A.RESUBMIT, APPLICANT), (A.UNIT_ENDORSE, UNIT)]
    )
    assert states == [S.DRAFT, S.SUBMITTED, S.RETURNED, S.SUBMITTED, S.UNIT_ENDORSED]
    assert S.RETURNED in EDITABLE_STATES and S.SUBMITTED not in EDITABLE_STATES


def test_unit_decline_is_final():
    assert walk([(A.SUBMIT, APPLICANT), (A.UNIT_DECLINE, UNIT)])[-1] == S.UNIT_DECLINED
    assert S.UNIT_DECLINED in TERMINAL
    assert allowed_actions(S.UNIT_DECLINED, ROLES) == []


def test_failed_formal_check_recheck_granted_goes_to_review():
    states = walk(
        [
            (A.SUBMIT, APPLICANT),
            (A.UNIT_ENDORSE, UNIT),
            (A.FORMAL_FAIL, OFFICE),
            (A.REQUEST_RECHECK, APPLICANT),
            (A.ACCEPT_RECHECK, OFFICE),
        ]
    )
    assert states[-3:] == [S.INELIGIBLE, S.FORMAL_RECHECK, S.UNDER_REVIEW]


def test_failed_formal_check_recheck_refused_stays_ineligible():
    assert walk([(A.REQUEST_RECHECK, APPLICANT), (A.REJECT_RECHECK, OFFICE)], start=S.INELIGIBLE) == [
        S.INELIGIBLE,
        S.FORMAL_RECHECK,
        S.INELIGIBLE,
    ]


def test_rejection_appeal_granted_goes_back_to_review_and_can_end_in_award():
    states = walk(
        MAIN_PATH[:4]
        + [
            (A.REJECT, OFFICE),
            (A.APPEAL, APPLICANT),
            (A.ACCEPT_APPEAL, OFFICE),
            (A.COMPLETE_REVIEW, OFFICE),
            (A.APPROVE, OFFICE),
            (A.AWARD, OFFICE),
        ]
    )
    assert states[5:8] == [S.REJECTED, S.APPEAL, S.UNDER_REVIEW]
    assert states[-1] == S.AWARDED


def test_rejection_appeal_dismissed_leaves_rejection():
    assert walk([(A.APPEAL, APPLICANT), (A.REJECT_APPEAL, OFFICE)], start=S.REJECTED)[-1] == S.REJECTED


def test_waitlist_promotion_and_lapse():
    assert walk([(A.PROMOTE_WAITLISTED, OFFICE)], start=S.WAITLISTED)[-1] == S.APPROVED
    assert walk([(A.REJECT, SYSTEM)], start=S.WAITLISTED)[-1] == S.REJECTED


def test_upheld_objection_during_notice_rejects():
    assert walk([(A.UPHOLD_OBJECTION, OFFICE)], start=S.IN_NOTICE)[-1] == S.REJECTED
    with pytest.raises(TransitionError) as exc:
        next_state(S.IN_NOTICE, A.UPHOLD_OBJECTION, [OFFICE], comment="   ")
    assert exc.value.code == COMMENT_REQUIRED


@pytest.mark.parametrize("state", [S.SUBMITTED, S.RETURNED, S.UNIT_ENDORSED, S.UNDER_REVIEW, S.REVIEWED])
def test_applicant_may_withdraw_before_a_decision(state):
    assert next_state(state, A.WITHDRAW, [APPLICANT]) == S.WITHDRAWN
    assert state not in DECIDED


@pytest.mark.parametrize(
    "state", sorted(set(State) - {S.SUBMITTED, S.RETURNED, S.UNIT_ENDORSED, S.UNDER_REVIEW, S.REVIEWED})
)
def test_no_withdrawal_after_a_decision_or_from_a_draft(state):
    with pytest.raises(TransitionError) as exc:
        next_state(state, A.WITHDRAW, [APPLICANT])
    assert exc.value.code == NOT_ALLOWED_IN_STATE
    assert (state in DECIDED) == (state != S.DRAFT)


def test_only_the_applicant_withdraws():
    edges = [e for e in TRANSITIONS.values() if e.action == A.WITHDRAW]
    assert edges and all(e.roles == {APPLICANT} for e in edges)


def test_withdrawal_during_review_tells_the_experts():
    assert "experts" in TRANSITIONS[(S.UNDER_REVIEW, A.WITHDRAW)].notify
    assert "experts" not in TRANSITIONS[(S.SUBMITTED, A.WITHDRAW)].notify


def test_every_state_is_reachable_from_draft():
    seen, queue = {S.DRAFT}, deque([S.DRAFT])
    while queue:
        state = queue.popleft()
        for (source, _), edge in TRANSITIONS.items():
            if source == state and edge.target not in seen:
                seen.add(edge.target)
                queue.append(edge.target)
    assert seen == set(State)


def test_every_non_terminal_state_has_an_exit_and_terminal_states_have_none():
    sources = {source for source, _ in TRANSITIONS}
    assert {S.UNIT_DECLINED, S.AWARDED, S.WITHDRAWN} == TERMINAL
    for state in State:
        assert (state in sources) == (state not in TERMINAL)


def test_awarded_is_reachable_from_every_non_terminal_state():
    """No state is a trap: apart from the dead ends, each can still lead to an award."""
    reverse = {S.AWARDED}
    changed = True
    while changed:
        changed = False
        for edge in TRANSITIONS.values():
            if edge.target in reverse and edge.source not in reverse:
                reverse.add(edge.source)
                changed = True
    assert set(State) - TERMINAL <= reverse


def test_table_is_consistent():
    for (source, action), edge in TRANSITIONS.items():
        assert (edge.source, edge.action) == (source, action)
        assert edge.roles and edge.roles <= set(ROLES)
        assert "sysadmin" not in edge.roles and "expert" not in edge.roles
        assert edge.notify and edge.notify <= {"applicant", "unit", "program_office", "experts"}
    assert {a for _, a in TRANSITIONS} == set(Action), "an action no state accepts is dead code"
    assert set(STATE_LABELS) == set(State) and set(ACTION_LABELS) == set(Action) and set(ROLE_LABELS) == set(ROLES)


@pytest.mark.parametrize(
    "edge", [e for e in TRANSITIONS.values() if e.needs_comment], ids=lambda e: f"{e.source.value}-{e.action.value}"
)
@pytest.mark.parametrize("comment", [None, "", "  \n"])
def test_comment_required_actions_refuse_without_a_comment(edge, comment):
    role = sorted(edge.roles)[0]
    with pytest.raises(TransitionError) as exc:
        next_state(edge.source, edge.action, [role], comment=comment)
    assert exc.value.code == COMMENT_REQUIRED
    assert next_state(edge.source, edge.action, [role], comment="原因") == edge.target


def test_reasons_are_required_where_the_spec_asks_for_them():
    required = {(e.source, e.action) for e in TRANSITIONS.values() if e.needs_comment}
    for key in [
        (S.SUBMITTED, A.RETURN_FOR_REVISION),
        (S.SUBMITTED, A.UNIT_DECLINE),
        (S.UNIT_ENDORSED, A.FORMAL_PASS),
        (S.UNIT_ENDORSED, A.FORMAL_FAIL),
        (S.REJECTED, A.APPEAL),
        (S.INELIGIBLE, A.REQUEST_RECHECK),
    ]:
        assert key in required
    assert (S.DRAFT, A.SUBMIT) not in required


def test_messages_are_concrete_in_both_languages():
    with pytest.raises(TransitionError) as exc:
        next_state(S.SUBMITTED, A.UNIT_ENDORSE, [APPLICANT])
    assert exc.value.code == ROLE_NOT_ALLOWED
    assert exc.value.message("zh_CN") == "「单位推荐」只能由单位管理员执行"
    assert exc.value.message("en") == "'Endorse (unit)' can only be done by unit admin."
    with pytest.raises(TransitionError) as exc:
        next_state(S.UNDER_REVIEW, A.UNIT_ENDORSE, [UNIT])
    assert exc.value.message("zh") == "申请当前状态为「评审中」，不能执行「单位推荐」"
    assert "Under review" in exc.value.message("en") and "Endorse (unit)" in str(exc.value)
    with pytest.raises(TransitionError) as exc:
        next_state(S.SUBMITTED, A.UNIT_DECLINE, [UNIT])
    assert exc.value.message("zh") == "执行「单位不予推荐」须填写理由"


def test_several_roles_combine_and_strings_are_accepted():
    both = ["applicant", "unit_admin"]
    assert allowed_actions("submitted", both) == [A.RETURN_FOR_REVISION, A.UNIT_ENDORSE, A.UNIT_DECLINE, A.WITHDRAW]
    assert allowed_actions(S.SUBMITTED, "applicant") == [A.WITHDRAW]  # a bare role string is one role
    assert next_state("draft", "submit", "applicant") == S.SUBMITTED
    assert transition(S.APPROVED, A.AWARD, {SYSTEM}).notify == {"applicant", "unit", "program_office"}
    assert allowed_actions(S.UNDER_REVIEW, []) == []
    with pytest.raises(ValueError):
        next_state("no_such_state", A.SUBMIT, [APPLICANT])
