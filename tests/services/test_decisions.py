"""Committee decisions, public notice and objections (SPEC §6.1–6.2), from reviewed applications to awards."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.database import commit
from portal.decisions import services
from portal.decisions.models import DecisionSession, Notice
from portal.errors import Refusal
from portal.notifications.models import OutboxMessage
from portal.seed import load_demo
from tests.factories import approved_applications, call_of, reviewed_applications


@pytest.fixture()
def office(db):
    load_demo()
    return find_user("program@demo.talent.cn")


def session_for(call, office, **rules):
    session = services.open_session(call, office, **{"committee_size": 15, "quorum": 10, **rules})
    commit()
    return session


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(Refusal) as info:
        fn(*args, **kwargs)
    return " ".join(info.value.messages)


@pytest.mark.parametrize(
    "votes, ok",
    [
        ((6, 3, 0), False),  # 9 present, quorum 10
        ((7, 3, 0), True),  # 7 of 10 cast ≥ 2/3
        ((6, 4, 0), False),  # 6 of 10 < 2/3
        ((10, 5, 0), True),  # exactly 2/3
        ((8, 2, 6), False),  # 16 present, only 15 members
        ((10, 0, 5), True),  # abstentions count for the quorum, not for the two thirds
        ((0, 0, 10), False),  # nobody for
    ],
)
def test_approval_vote_with_quorum_and_two_thirds(votes, ok):
    session = DecisionSession(committee_size=15, quorum=10, two_thirds=True)
    assert (services.vote_problems(session, "approve", *votes) == []) is ok


def test_simple_majority_when_two_thirds_is_off():
    session = DecisionSession(committee_size=15, quorum=10, two_thirds=False)
    assert services.vote_problems(session, "approve", 6, 5, 0) == []
    assert services.vote_problems(session, "approve", 5, 5, 1) != []
    assert services.vote_problems(session, "reject", 2, 8, 0) == []  # rejecting needs only a valid vote


def test_one_open_session_per_call(db, office):
    call = call_of(db, "bairen")
    session_for(call, office)
    assert refused(services.open_session, call, office, 15, 10)
    assert refused(services.open_session, call_of(db, "youth_talent"), office, 5, 6)  # quorum above committee


def test_drafts_apply_only_when_the_session_is_finalised(db, make_user, office):
    a, b, c, d = reviewed_applications(db, make_user, [90, 80, 70, 60])
    session = session_for(a.call, office)
    services.record_decision(session, a, "approve", 12, 1, 2, "", office)
    services.record_decision(session, b, "waitlist", 9, 1, 0, "", office)
    services.record_decision(session, c, "reject", 2, 10, 0, "评审意见较弱", office)
    services.record_decision(session, c, "reject", 1, 11, 0, "评审意见较弱", office)  # a re-vote replaces the draft
    commit()
    assert {x.state for x in (a, b, c, d)} == {"reviewed"}
    assert len(session.decisions) == 3

    assert refused(services.finalise, session, office, "  ")  # minutes are required
    report = services.finalise(session, office, "出席 15 人，投票结果如上。")
    commit()
    assert (a.state, b.state, c.state, d.state) == ("approved", "waitlisted", "rejected", "reviewed")
    assert report.applied == {"approve": 1, "reject": 1, "waitlist": 1} and report.undecided == 1
    assert session.status == "finalised" and session.finalised_at is not None
    assert refused(services.record_decision, session, d, "approve", 12, 0, 0, "", office)
    # The applicant hears of the outcome only now.
    assert db.session.execute(
        select(OutboxMessage).where(
            OutboxMessage.to_address == a.applicant.email, OutboxMessage.template == "application_status"
        )
    ).first()


def test_integrity_flag_blocks_approval(db, make_user, office):
    a, b = reviewed_applications(db, make_user, [90, 80])
    a.integrity_flag = True
    commit()
    session = session_for(a.call, office)
    assert a.applicant.name in refused(services.record_decision, session, a, "approve", 12, 0, 0, "", office)
    services.record_decision(session, a, "reject", 0, 12, 0, "诚信问题", office)  # other outcomes remain possible
    # A flag raised after the vote stops finalisation instead of approving silently.
    services.record_decision(session, b, "approve", 12, 0, 0, "", office)
    b.integrity_flag = True
    assert b.applicant.name in refused(services.finalise, session, office, "纪要")


def test_approve_top_n_respects_quota_and_skips_flagged(db, make_user, office):
    a, b, c, d = reviewed_applications(db, make_user, [95, 90, 85, 80])
    call = a.call
    call.total_quota = 2
    b.integrity_flag = True
    commit()
    session = session_for(call, office)
    result = services.approve_top(session, 5, office, 12, 1, 0)
    commit()
    assert [x.application_id for x in result.approved] == [a.id, c.id]
    assert result.skipped_flagged == [b] and result.quota_left == 0
    assert "2" in refused(services.approve_top, session, 1, office, 12, 1, 0)
    assert refused(services.record_decision, session, d, "approve", 12, 0, 0, "", office)
    assert refused(services.approve_top, session, 1, office, 5, 1, 0)  # the vote is checked too


def test_notice_period_end_awards_and_pending_objection_waits(db, make_user, office):
    a, b = approved_applications(db, make_user, office, [90, 85])
    notice = services.publish_notice(a.call, office, days=7).notice
    commit()
    assert (a.state, b.state) == ("in_notice", "in_notice")
    assert [i.name for i in notice.items] == [a.applicant.name, b.applicant.name]
    assert notice.items[0].unit_name == a.unit.name_zh and notice.items[0].discipline == "数学"

    objection = services.file_objection(
        notice, notice.items[1].id, "王五", "13900000000", "该候选人的海外工作经历与事实不符。", "10.0.0.1"
    )
    commit()
    assert db.session.execute(select(OutboxMessage).where(OutboxMessage.template == "objection_filed")).first()
    assert services.close_due_notices() == []  # still within the period

    later = notice.ends_at + timedelta(minutes=1)
    assert refused(
        services.file_objection,
        notice,
        notice.items[0].id,
        "赵六",
        "x@example.cn",
        "期满之后提交的异议内容。",
        "10.0.0.2",
        now=later,
    )
    [report] = services.close_due_notices(now=later)
    commit()
    assert (a.state, b.state) == ("awarded", "in_notice")
    assert report.waiting == [b.applicant.name] and notice.status == "open"

    # Dismissed after the period: the candidate need not wait for the next scheduled close.
    services.handle_objection(objection, False, "经核实，经历属实。", office, now=later)
    commit()
    assert b.state == "awarded" and notice.status == "closed"
    assert refused(services.handle_objection, objection, True, "再次处理", office)


def test_upheld_objection_turns_the_approval_into_a_rejection(db, make_user, office):
    (a,) = approved_applications(db, make_user, office, [90])
    notice = services.publish_notice(a.call, office).notice
    objection = services.file_objection(
        notice, notice.items[0].id, "王五", "wang@example.cn", "论文署名存在不实情况。", "10.0.0.1"
    )
    assert refused(services.handle_objection, objection, True, " ", office)  # the handling must be written down
    services.handle_objection(objection, True, "经核查异议成立。", office)
    commit()
    assert a.state == "rejected"
    [report] = services.close_due_notices(now=notice.ends_at)
    assert report.awarded == [] and report.closed and a.state == "rejected"


def test_program_without_notice_awards_directly(db, make_user, office):
    a, b = approved_applications(db, make_user, office, [90, 80], program="youth_talent")
    a.call.program.notice_required = False
    result = services.publish_notice(a.call, office)
    commit()
    assert result.notice is None and result.count == 2
    assert (a.state, b.state) == ("awarded", "awarded")
    assert db.session.execute(select(Notice)).first() is None
    assert refused(services.publish_notice, a.call, office)  # nobody left to publish
