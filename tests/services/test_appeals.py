"""Feedback and appeals on a real database: labelled comments, the 15-day window, accepted and dismissed appeals."""

from datetime import timedelta

import pytest

from portal.applications import workflow
from portal.applications.services import apply_transition
from portal.database import commit, utcnow
from portal.decisions import appeals
from portal.errors import Refusal
from portal.reviews import services
from portal.reviews.assignment import services as assigning
from portal.reviews.rounds import previous_experts
from tests.factories import demo_expert, demo_office
from tests.journeys import evaluate_with_comments, rejected_after_review, reviewed_by_panel

REASON = "评审过程中专家王某与本人存在合作关系，未按规定回避，请求复审。"


def test_comments_are_labelled_in_order_without_names_or_confidential_text(demo, make_user):
    application = rejected_after_review(demo, make_user)
    rows = appeals.feedback_for(application, "zh_CN")
    assert [(r.label, r.component, r.comment) for r in rows] == [
        ("专家一", "同行评价", "研究计划清晰，创新性较强。"),
        ("专家二", "同行评价", "建议加强国际合作。"),
    ]
    assert [r.label for r in appeals.feedback_for(application, "en")] == ["Expert 1", "Expert 2"]
    text = repr(rows)
    assert "仅供委员会参考" not in text and "王建国" not in text and "赵立平" not in text


def test_numerals_and_evaluator_labels():
    assert [appeals.chinese_number(n) for n in (1, 9, 10, 11, 20, 23)] == ["一", "九", "十", "十一", "二十", "二十三"]
    assert appeals.evaluator_label("user", 2, "zh_CN") == "评价人二"
    assert appeals.evaluator_label("social", 3, "en") == "Evaluator 3"


def test_feedback_waits_for_the_final_decision(demo, make_user):
    application = reviewed_by_panel(demo, make_user)
    assert not appeals.feedback_visible(application)
    for state in ("rejected", "waitlisted", "approved", "in_notice", "awarded", "appeal"):
        application.state = state
        assert appeals.feedback_visible(application)


def test_appeal_within_fifteen_days(demo, make_user):
    application = rejected_after_review(demo, make_user)
    application.state_changed_at = utcnow() - timedelta(days=14, hours=23)
    appeal = appeals.file_appeal(application, application.applicant, REASON)
    commit()
    assert application.state == "appeal" and appeal.status == "pending" and appeal.reason == REASON
    with pytest.raises(Refusal):  # one appeal per decision
        appeals.file_appeal(application, application.applicant, REASON)


def test_appeal_on_day_sixteen_is_refused(demo, make_user):
    application = rejected_after_review(demo, make_user)
    application.state_changed_at = utcnow() - timedelta(days=15, minutes=1)
    assert appeals.appeal_deadline(application) < utcnow() and not appeals.can_appeal(application)
    with pytest.raises(Refusal, match="15"):
        appeals.file_appeal(application, application.applicant, REASON)
    assert application.state == "rejected"


def test_appeal_needs_grounds_and_the_applicant(demo, make_user):
    application = rejected_after_review(demo, make_user)
    with pytest.raises(Refusal, match="20"):
        appeals.file_appeal(application, application.applicant, "不同意专家意见。")
    with pytest.raises(Refusal):
        appeals.file_appeal(application, demo_office(), REASON)
    assert application.state == "rejected"


def test_only_a_rejection_can_be_appealed(demo, make_user):
    application = reviewed_by_panel(demo, make_user)
    with pytest.raises(Refusal):
        appeals.file_appeal(application, application.applicant, REASON)


def test_accepted_appeal_goes_back_to_review_with_new_experts(demo, make_user):
    application = rejected_after_review(demo, make_user)
    appeal = appeals.file_appeal(application, application.applicant, REASON)
    commit()
    with pytest.raises(Refusal):  # the note is required
        appeals.decide_appeal(appeal, demo_office(), True, "  ")
    appeals.decide_appeal(appeal, demo_office(), True, "回避问题属实，重新组织评审。")
    commit()
    assert application.state == "under_review" and appeal.status == "accepted"
    assert previous_experts(application) == {demo_expert(1).id, demo_expert(2).id}
    assert not appeals.feedback_visible(application)
    with pytest.raises(Refusal):  # a previous expert is not assigned again
        assigning.assign_expert(application, demo_expert(1), demo_office())
    with pytest.raises(Refusal):  # an appeal is decided once
        appeals.decide_appeal(appeal, demo_office(), False, "再议")

    # The new round: only its comments are shown, numbered from 专家一 again.
    evaluate_with_comments(application, 3, "第二轮意见：工作基础扎实。")
    services.complete_review(application, demo_office())
    apply_transition(application, workflow.Action.REJECT, demo_office())
    commit()
    assert [(r.label, r.comment) for r in appeals.feedback_for(application, "zh_CN")] == [
        ("专家一", "第二轮意见：工作基础扎实。")
    ]
    assert appeals.can_appeal(application)  # a new decision may be appealed again


def test_dismissed_appeal_leaves_the_rejection_with_the_note(demo, make_user):
    application = rejected_after_review(demo, make_user)
    appeal = appeals.file_appeal(application, application.applicant, REASON)
    appeals.decide_appeal(appeal, demo_office(), False, "经核查，评审程序符合规定。")
    commit()
    assert application.state == "rejected"
    assert (appeal.status, appeal.decision_note) == ("rejected", "经核查，评审程序符合规定。")
    assert appeal.decided_by_id == demo_office().id and appeal.decided_at is not None
    assert not appeals.can_appeal(application)  # the dismissal does not open a second window
    assert appeals.pending_appeals() == []
