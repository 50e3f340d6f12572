"""Application state machine (SPEC §5, §5.1, §5.2, §6): one transition table, pure and framework-free."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class State(str, enum.Enum):
    """Where an application stands; the value is what the database stores."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    UNIT_DECLINED = "unit_declined"
    UNIT_ENDORSED = "unit_endorsed"
    INELIGIBLE = "ineligible"  # failed the formal check (§5.2)
    # SPEC §5 writes "ineligible -> appeal"; we give the 复核 of §5.2 its own state because a table keyed by
    # (state, action) cannot remember where an appeal came from: a refused recheck must land on `ineligible`,
    # a refused appeal on `rejected`. Both still end in `under_review` when granted, as §5 requires.
    FORMAL_RECHECK = "formal_recheck"
    UNDER_REVIEW = "under_review"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    REJECTED = "rejected"
    WAITLISTED = "waitlisted"
    IN_NOTICE = "in_notice"
    AWARDED = "awarded"
    WITHDRAWN = "withdrawn"
    APPEAL = "appeal"  # 复审 of §6.3, only after a committee rejection


class Action(str, enum.Enum):
    """A verb that moves an application; each is documented where the table uses it."""

    SUBMIT = "submit"
    RESUBMIT = "resubmit"
    RETURN_FOR_REVISION = "return_for_revision"
    UNIT_ENDORSE = "unit_endorse"
    UNIT_DECLINE = "unit_decline"
    FORMAL_PASS = "formal_pass"
    FORMAL_FAIL = "formal_fail"
    REQUEST_RECHECK = "request_recheck"
    ACCEPT_RECHECK = "accept_recheck"
    REJECT_RECHECK = "reject_recheck"
    COMPLETE_REVIEW = "complete_review"
    REOPEN_REVIEW = "reopen_review"
    APPROVE = "approve"
    REJECT = "reject"
    WAITLIST = "waitlist"
    PROMOTE_WAITLISTED = "promote_waitlisted"
    PUBLISH_NOTICE = "publish_notice"
    AWARD = "award"
    UPHOLD_OBJECTION = "uphold_objection"
    APPEAL = "appeal"
    ACCEPT_APPEAL = "accept_appeal"
    REJECT_APPEAL = "reject_appeal"
    WITHDRAW = "withdraw"


APPLICANT = "applicant"
UNIT_ADMIN = "unit_admin"
EXPERT = "expert"
PROGRAM_ADMIN = "program_admin"
SYSADMIN = "sysadmin"
SYSTEM = "system"  # scheduled jobs, e.g. the end of a notice period; never a person's role
ROLES: tuple[str, ...] = (APPLICANT, UNIT_ADMIN, EXPERT, PROGRAM_ADMIN, SYSADMIN, SYSTEM)

# Parties a transition notifies; the notifications package maps them to people and addresses.
NOTIFY_APPLICANT = "applicant"
NOTIFY_UNIT = "unit"
NOTIFY_PROGRAM_OFFICE = "program_office"
NOTIFY_EXPERTS = "experts"

STATE_LABELS: dict[State, tuple[str, str]] = {
    State.DRAFT: ("草稿", "Draft"),
    State.SUBMITTED: ("已提交", "Submitted"),
    State.RETURNED: ("退回修改", "Returned for revision"),
    State.UNIT_DECLINED: ("单位不予推荐", "Declined by unit"),
    State.UNIT_ENDORSED: ("单位已推荐", "Endorsed by unit"),
    State.INELIGIBLE: ("形式审查未通过", "Failed formal check"),
    State.FORMAL_RECHECK: ("形式审查复核中", "Formal check recheck"),
    State.UNDER_REVIEW: ("评审中", "Under review"),
    State.REVIEWED: ("评审完成", "Reviewed"),
    State.APPROVED: ("拟入选", "Approved"),
    State.REJECTED: ("未入选", "Not selected"),
    State.WAITLISTED: ("候补", "Waitlisted"),
    State.IN_NOTICE: ("公示中", "In public notice"),
    State.AWARDED: ("已入选", "Awarded"),
    State.WITHDRAWN: ("已撤回", "Withdrawn"),
    State.APPEAL: ("复审中", "Under appeal"),
}

ACTION_LABELS: dict[Action, tuple[str, str]] = {
    Action.SUBMIT: ("提交申请", "Submit"),
    Action.RESUBMIT: ("重新提交", "Resubmit"),
    Action.RETURN_FOR_REVISION: ("退回修改", "Return for revision"),
    Action.UNIT_ENDORSE: ("单位推荐", "Endorse (unit)"),
    Action.UNIT_DECLINE: ("单位不予推荐", "Decline (unit)"),
    Action.FORMAL_PASS: ("形式审查通过", "Pass formal check"),
    Action.FORMAL_FAIL: ("形式审查不通过", "Fail formal check"),
    Action.REQUEST_RECHECK: ("申请复核", "Request recheck"),
    Action.ACCEPT_RECHECK: ("复核通过", "Grant recheck"),
    Action.REJECT_RECHECK: ("维持形式审查结论", "Uphold formal check result"),
    Action.COMPLETE_REVIEW: ("完成评审", "Complete review"),
    Action.REOPEN_REVIEW: ("重新评审", "Reopen review"),
    Action.APPROVE: ("批准入选", "Approve"),
    Action.REJECT: ("不予入选", "Reject"),
    Action.WAITLIST: ("列入候补", "Waitlist"),
    Action.PROMOTE_WAITLISTED: ("候补递补", "Promote from waitlist"),
    Action.PUBLISH_NOTICE: ("发布公示", "Publish notice"),
    Action.AWARD: ("确认入选", "Confirm award"),
    Action.UPHOLD_OBJECTION: ("异议成立", "Uphold objection"),
    Action.APPEAL: ("申请复审", "Appeal"),
    Action.ACCEPT_APPEAL: ("受理复审", "Grant appeal"),
    Action.REJECT_APPEAL: ("驳回复审", "Dismiss appeal"),
    Action.WITHDRAW: ("撤回申请", "Withdraw"),
}

ROLE_LABELS: dict[str, tuple[str, str]] = {
    APPLICANT: ("申请人", "applicant"),
    UNIT_ADMIN: ("单位管理员", "unit admin"),
    EXPERT: ("评审专家", "expert"),
    PROGRAM_ADMIN: ("项目管理员", "program admin"),
    SYSADMIN: ("系统管理员", "system admin"),
    SYSTEM: ("系统自动处理", "the system"),
}


@dataclass(frozen=True)
class Transition:
    """One edge of the state machine: who may take it, whether a reason is required, whom to tell."""

    source: State
    action: Action
    target: State
    roles: frozenset[str]
    needs_comment: bool
    notify: frozenset[str]


def _t(
    source: State,
    action: Action,
    target: State,
    roles: Iterable[str],
    notify: Iterable[str],
    needs_comment: bool = False,
) -> Transition:
    return Transition(source, action, target, frozenset(roles), needs_comment, frozenset(notify))


_APP, _UNIT, _OFFICE, _EXPERTS = NOTIFY_APPLICANT, NOTIFY_UNIT, NOTIFY_PROGRAM_OFFICE, NOTIFY_EXPERTS

# Withdrawal: "from any state before a decision" (§5), by the applicant only. A decision is anything the unit,
# the program office or the committee has concluded (decline, formal fail, approve/reject/waitlist and what
# follows). A draft is not withdrawn but deleted: nobody has seen it, so there is nothing to record or tell.
# Whom a withdrawal notifies grows with how far the application got, so people stop working on it.
_WITHDRAWABLE: dict[State, tuple[str, ...]] = {
    State.SUBMITTED: (_UNIT,),
    State.RETURNED: (_UNIT,),
    State.UNIT_ENDORSED: (_UNIT, _OFFICE),
    State.UNDER_REVIEW: (_UNIT, _OFFICE, _EXPERTS),
    State.REVIEWED: (_UNIT, _OFFICE),
}

_EDGES: list[Transition] = [
    # §3.4/§5.1: the applicant submits; resubmission after a return goes back to the unit. The deadline check
    # is the service's job (it needs the clock); the table only says the edge exists.
    _t(State.DRAFT, Action.SUBMIT, State.SUBMITTED, {APPLICANT}, {_UNIT}),
    _t(State.RETURNED, Action.RESUBMIT, State.SUBMITTED, {APPLICANT}, {_UNIT}),
    # §5.1: returns and declines must carry reasons the applicant can read; an endorsement carries structured
    # commitments and scores instead of free text.
    _t(State.SUBMITTED, Action.RETURN_FOR_REVISION, State.RETURNED, {UNIT_ADMIN}, {_APP}, needs_comment=True),
    _t(State.SUBMITTED, Action.UNIT_ENDORSE, State.UNIT_ENDORSED, {UNIT_ADMIN}, {_APP, _OFFICE}),
    _t(State.SUBMITTED, Action.UNIT_DECLINE, State.UNIT_DECLINED, {UNIT_ADMIN}, {_APP}, needs_comment=True),
    # §5.2: the formal check is passed or failed "with written reasons", both ways.
    _t(State.UNIT_ENDORSED, Action.FORMAL_PASS, State.UNDER_REVIEW, {PROGRAM_ADMIN}, {_APP, _UNIT}, needs_comment=True),
    _t(State.UNIT_ENDORSED, Action.FORMAL_FAIL, State.INELIGIBLE, {PROGRAM_ADMIN}, {_APP, _UNIT}, needs_comment=True),
    # §5.2 复核 (the "ineligible -> appeal" of §5): the applicant states grounds, the office answers with reasons.
    # The 15-day window is checked by the service.
    _t(
        State.INELIGIBLE,
        Action.REQUEST_RECHECK,
        State.FORMAL_RECHECK,
        {APPLICANT},
        {_OFFICE, _UNIT},
        needs_comment=True,
    ),
    _t(
        State.FORMAL_RECHECK,
        Action.ACCEPT_RECHECK,
        State.UNDER_REVIEW,
        {PROGRAM_ADMIN},
        {_APP, _UNIT},
        needs_comment=True,
    ),
    _t(
        State.FORMAL_RECHECK,
        Action.REJECT_RECHECK,
        State.INELIGIBLE,
        {PROGRAM_ADMIN},
        {_APP, _UNIT},
        needs_comment=True,
    ),
    # §5.5: the review closes when the evaluations are in (the system notices) or when the office closes it.
    _t(State.UNDER_REVIEW, Action.COMPLETE_REVIEW, State.REVIEWED, {PROGRAM_ADMIN, SYSTEM}, {_OFFICE}),
    # A closed review can be reopened (a replaced expert, a voided evaluation); the reason goes to the audit log.
    _t(State.REVIEWED, Action.REOPEN_REVIEW, State.UNDER_REVIEW, {PROGRAM_ADMIN}, {_EXPERTS}, needs_comment=True),
    # §6.1: committee decisions; the vote and minutes live on the decision session, not in a comment.
    _t(State.REVIEWED, Action.APPROVE, State.APPROVED, {PROGRAM_ADMIN}, {_APP, _UNIT}),
    _t(State.REVIEWED, Action.REJECT, State.REJECTED, {PROGRAM_ADMIN}, {_APP, _UNIT}),
    _t(State.REVIEWED, Action.WAITLIST, State.WAITLISTED, {PROGRAM_ADMIN}, {_APP, _UNIT}),
    # §5 "waitlisted -> (approved | rejected)": a waitlisted candidate moves up when a place frees, or is turned
    # down when the office (or the system, at the close of the call) closes the waiting list.
    _t(State.WAITLISTED, Action.PROMOTE_WAITLISTED, State.APPROVED, {PROGRAM_ADMIN}, {_APP, _UNIT}),
    _t(State.WAITLISTED, Action.REJECT, State.REJECTED, {PROGRAM_ADMIN, SYSTEM}, {_APP, _UNIT}),
    # §6.2: programs that require a public notice go through in_notice; the award becomes final when the period
    # ends with no upheld objection (the system), or when the office confirms it after handling objections.
    # Programs without a notice award straight from approved; the service picks the edge from the program flag.
    _t(State.APPROVED, Action.PUBLISH_NOTICE, State.IN_NOTICE, {PROGRAM_ADMIN}, {_APP, _UNIT}),
    _t(State.APPROVED, Action.AWARD, State.AWARDED, {PROGRAM_ADMIN, SYSTEM}, {_APP, _UNIT, _OFFICE}),
    _t(State.IN_NOTICE, Action.AWARD, State.AWARDED, {PROGRAM_ADMIN, SYSTEM}, {_APP, _UNIT, _OFFICE}),
    _t(State.IN_NOTICE, Action.UPHOLD_OBJECTION, State.REJECTED, {PROGRAM_ADMIN}, {_APP, _UNIT}, needs_comment=True),
    # §6.3 复审: grounds required (academic disagreement is not a ground, which a human judges); an accepted
    # appeal goes back to review with new experts, a dismissed one leaves the rejection standing.
    _t(State.REJECTED, Action.APPEAL, State.APPEAL, {APPLICANT}, {_OFFICE}, needs_comment=True),
    _t(State.APPEAL, Action.ACCEPT_APPEAL, State.UNDER_REVIEW, {PROGRAM_ADMIN}, {_APP, _UNIT}, needs_comment=True),
    _t(State.APPEAL, Action.REJECT_APPEAL, State.REJECTED, {PROGRAM_ADMIN}, {_APP}, needs_comment=True),
    *(_t(state, Action.WITHDRAW, State.WITHDRAWN, {APPLICANT}, notify) for state, notify in _WITHDRAWABLE.items()),
]

TRANSITIONS: dict[tuple[State, Action], Transition] = {(e.source, e.action): e for e in _EDGES}
assert len(TRANSITIONS) == len(_EDGES), "duplicate (state, action) in the transition table"

# States with no way out. `rejected` and `ineligible` are not terminal: they still have the appeal/recheck edge;
# once its 15-day window has passed the service simply stops offering it.
TERMINAL: frozenset[State] = frozenset(set(State) - {e.source for e in _EDGES})
# States at or after a decision (or a withdrawal): withdrawing is no longer possible. Draft is not among them
# although it cannot be withdrawn either: it is deleted instead.
DECIDED: frozenset[State] = frozenset(set(State) - set(_WITHDRAWABLE) - {State.DRAFT})
# States in which the applicant may edit the application and its documents (and is told when a deadline moves).
EDITABLE_STATES: frozenset[State] = frozenset({State.DRAFT, State.RETURNED})
# States in which an application still competes: it counts against "one program of a level at a time" (SPEC §3.3)
# and as one of the call's live applications.
LIVE_STATES: frozenset[State] = frozenset(
    {
        State.SUBMITTED,
        State.RETURNED,
        State.UNIT_ENDORSED,
        State.FORMAL_RECHECK,
        State.UNDER_REVIEW,
        State.REVIEWED,
        State.APPROVED,
        State.WAITLISTED,
        State.IN_NOTICE,
        State.APPEAL,
    }
)
# An award held: the applicant holds a program of that level.
HELD_STATES: frozenset[State] = frozenset({State.AWARDED})
# With a unit review on file, these do not use one of the unit's endorsements for the call: withdrawn, declined,
# or (back) before the unit's answer.
NOT_ENDORSED_STATES: frozenset[State] = frozenset(
    {State.WITHDRAWN, State.RETURNED, State.SUBMITTED, State.UNIT_DECLINED}
)
# Applications that have passed the formal check: they are (or were) in front of the experts and the committee.
REVIEW_STATES: frozenset[State] = frozenset(
    {
        State.UNDER_REVIEW,
        State.REVIEWED,
        State.APPROVED,
        State.REJECTED,
        State.WAITLISTED,
        State.IN_NOTICE,
        State.AWARDED,
        State.APPEAL,
    }
)
# States that hold one of the call's places: the quota counts them together with draft approvals.
PLACE_STATES: frozenset[State] = frozenset({State.APPROVED, State.IN_NOTICE, State.AWARDED})
# The committee has spoken (an appeal of its rejection included): the applicant reads the evaluators' comments.
FEEDBACK_STATES: frozenset[State] = frozenset(
    {State.REJECTED, State.WAITLISTED, State.APPROVED, State.IN_NOTICE, State.AWARDED, State.APPEAL}
)
# Applications still waiting for the program office or the committee: while any is in one of these states the
# call cannot be marked decided. Drafts and returned applications are out once the call has closed (they can no
# longer be submitted); withdrawn, declined and ineligible ones are settled; approved, rejected, waitlisted,
# in_notice and awarded carry the committee's outcome. An appeal (复审) pending an answer is not settled yet.
UNDECIDED_STATES: frozenset[State] = frozenset(
    {State.SUBMITTED, State.UNIT_ENDORSED, State.FORMAL_RECHECK, State.UNDER_REVIEW, State.REVIEWED, State.APPEAL}
)

# Error codes, stable for templates and API clients.
NOT_ALLOWED_IN_STATE = "not_allowed_in_state"
ROLE_NOT_ALLOWED = "role_not_allowed"
COMMENT_REQUIRED = "comment_required"


class TransitionError(Exception):
    """A refused transition, with a code and the user-facing message in Chinese and English."""

    def __init__(self, code: str, message_zh: str, message_en: str):
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    def message(self, locale: str = "zh") -> str:
        """The message for a locale such as 'zh', 'zh_CN' or 'en'; anything not English gets Chinese."""
        return self.message_en if str(locale).lower().startswith("en") else self.message_zh


def _role_set(roles: Iterable[str] | str) -> frozenset[str]:
    # A bare string would otherwise be read as a set of single letters and silently match nothing.
    return frozenset({roles} if isinstance(roles, str) else roles)


def _role_names(roles: frozenset[str], lang: int, sep: str) -> str:
    # ROLES order, so that messages read the same every time whatever the set's iteration order.
    return sep.join(ROLE_LABELS[r][lang] for r in ROLES if r in roles)


def transition(
    state: State | str, action: Action | str, roles: Iterable[str] | str, comment: str | None = None
) -> Transition:
    """The transition the actor may take, or TransitionError saying why not (state, then role, then comment)."""
    state, action, roles = State(state), Action(action), _role_set(roles)
    edge = TRANSITIONS.get((state, action))
    s_zh, s_en = STATE_LABELS[state]
    a_zh, a_en = ACTION_LABELS[action]
    if edge is None:
        raise TransitionError(
            NOT_ALLOWED_IN_STATE,
            f"申请当前状态为「{s_zh}」，不能执行「{a_zh}」",
            f"The application's status is '{s_en}'; '{a_en}' is not possible in this status.",
        )
    if not edge.roles & roles:
        raise TransitionError(
            ROLE_NOT_ALLOWED,
            f"「{a_zh}」只能由{_role_names(edge.roles, 0, '或')}执行",
            f"'{a_en}' can only be done by {_role_names(edge.roles, 1, ' or ')}.",
        )
    if edge.needs_comment and not (comment and comment.strip()):
        raise TransitionError(
            COMMENT_REQUIRED,
            f"执行「{a_zh}」须填写理由",
            f"'{a_en}' requires a reason.",
        )
    return edge


def next_state(
    state: State | str, action: Action | str, roles: Iterable[str] | str, comment: str | None = None
) -> State:
    """The state after the action, or TransitionError."""
    return transition(state, action, roles, comment).target


def can(state: State | str, action: Action | str, roles: Iterable[str] | str) -> bool:
    """Whether the roles may take the action now (the comment is asked for later, so it is not checked here)."""
    edge = TRANSITIONS.get((State(state), Action(action)))
    return edge is not None and bool(edge.roles & _role_set(roles))


def allowed_actions(state: State | str, roles: Iterable[str] | str) -> list[Action]:
    """Actions the roles may take in the state, in declaration order (the order buttons are shown)."""
    return [action for action in Action if can(state, action, roles)]
