"""Evaluating on a real database: accept with a no-conflict statement, decline, draft, locked submission."""

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.errors import Refusal
from portal.notifications.models import OutboxMessage
from portal.reviews.assignment.services import assign_expert, invite_external
from portal.reviews.evaluation import services as evaluations
from portal.reviews.evaluation.services import EvaluationError
from portal.reviews.models import Evaluation
from tests.factories import demo_expert, demo_office, under_review

FULL = dict(
    scores={"performance": 88, "influence": 75.5},
    familiarity="familiar",
    recommendation="priority",
    comment_for_applicant="研究计划清晰。",
    comment_confidential="仅供委员会参考。",
    integrity_ok=True,
    integrity_note="",
)


@pytest.fixture()
def application(demo, make_user):
    return under_review(demo, make_user("applicant", name="钱学林"))


def _assign(db, application, n=1):
    assignment = assign_expert(application, demo_expert(n), demo_office())
    db.session.commit()
    return assignment


def _accepted(db, application, n=1):
    assignment = _assign(db, application, n)
    evaluations.accept_assignment(assignment, demo_expert(n), "本人与申请人无利益冲突。")
    db.session.commit()
    return assignment


def _audit(db, application, action):
    return (
        db.session.execute(
            select(AuditEntry).where(
                AuditEntry.object_type == "Application",
                AuditEntry.object_id == str(application.id),
                AuditEntry.action == action,
            )
        )
        .scalars()
        .all()
    )


# ------------------------------------------------------------------ accepting and declining


def test_accepting_needs_the_signed_statement(demo, application):
    assignment = _assign(demo, application)
    with pytest.raises(Refusal):
        evaluations.accept_assignment(assignment, demo_expert(), "   ")
    assert assignment.status == "invited"
    evaluations.accept_assignment(assignment, demo_expert(), "本人与申请人无利益冲突。")
    demo.session.commit()
    assert assignment.status == "accepted" and assignment.responded_at is not None
    statement = assignment.no_conflict_statement
    assert "本人与申请人无利益冲突。" in statement and "王建国" in statement and "UTC" in statement
    evaluations.accept_assignment(assignment, demo_expert(), "again")  # a double click changes nothing
    assert assignment.no_conflict_statement == statement
    assert len(_audit(demo, application, "assignment.accepted")) == 1
    evaluations.decline_assignment(assignment, demo_expert(), "发现利益冲突")
    with pytest.raises(Refusal):  # a declined invitation stays declined
        evaluations.accept_assignment(assignment, demo_expert(), "无利益冲突")


def test_only_the_assigned_expert_may_evaluate(demo, application, make_user):
    assignment = _assign(demo, application)
    assert evaluations.can_evaluate(demo_expert(), assignment)
    assert not evaluations.can_evaluate(demo_expert(2), assignment)
    assert not evaluations.can_evaluate(application.applicant, assignment)
    assert not evaluations.can_evaluate(None, assignment)
    with pytest.raises(Refusal):
        evaluations.accept_assignment(assignment, demo_expert(2), "无冲突")
    evaluations.decline_assignment(assignment, demo_expert(), "时间冲突")
    assert not evaluations.can_evaluate(demo_expert(), assignment)


def test_declining_frees_the_slot_and_tells_the_program_office(demo, make_user):
    application = under_review(demo, make_user("applicant"), code="youth_talent")  # three experts each
    first = _assign(demo, application, 1)
    _assign(demo, application, 2)
    _assign(demo, application, 3)
    with pytest.raises(Refusal):
        assign_expert(application, demo_expert(4), demo_office())
    demo.session.rollback()
    with pytest.raises(Refusal):
        evaluations.decline_assignment(first, demo_expert(), "")
    evaluations.decline_assignment(first, demo_expert(), "近期出国，无法按时完成评审")
    demo.session.commit()
    assert first.status == "declined" and first.decline_reason == "近期出国，无法按时完成评审"
    from portal.programs.access import program_admins_for

    told = {
        m.to_address: m
        for m in demo.session.execute(
            select(OutboxMessage).where(OutboxMessage.template == "assignment_declined")
        ).scalars()
    }
    assert set(told) == {u.email for u in program_admins_for(application.call.program_id)}  # this program's office
    mail = told["program@demo.talent.cn"]
    assert "近期出国" in mail.body_text
    assert "王建国" in mail.subject + mail.body_text
    assert f"http://portal.test/office/applications/{application.id}" in mail.body_text
    replacement = assign_expert(application, demo_expert(4), demo_office())
    assert replacement.status == "invited"
    assert len(_audit(demo, application, "assignment.declined")) == 1


def test_declining_after_a_draft_drops_it_and_the_expert_can_come_back(demo, application):
    assignment = _accepted(demo, application)
    evaluations.save_evaluation(assignment, **{**FULL, "scores": {"performance": 60}}, submit=False)
    demo.session.commit()
    evaluations.decline_assignment(assignment, demo_expert(), "发现与申请人曾合作")
    demo.session.commit()
    assert demo.session.execute(select(Evaluation)).scalars().all() == []
    again = _accepted(demo, application)
    assert evaluations.evaluation_for(again).scores == {}


# ------------------------------------------------------------------ drafts and submission


def test_one_draft_per_evaluator(demo, application):
    assignment = _accepted(demo, application)
    draft = evaluations.evaluation_for(assignment)
    assert (draft.evaluator_key, draft.component, draft.status) == (f"user:{demo_expert().id}", "peer", "draft")
    assert evaluations.evaluation_for(assignment).id == draft.id


def test_an_expert_accepts_before_scoring(demo, application):
    assignment = _assign(demo, application)
    with pytest.raises(Refusal):
        evaluations.save_evaluation(assignment, **FULL, submit=False)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"scores": {"performance": 88}}, "score_influence"),
        ({"scores": {"performance": 101, "influence": 70}}, "score_performance"),
        ({"scores": {"performance": -1, "influence": 70}}, "score_performance"),
        ({"scores": {"performance": 80, "influence": 70, "novelty": 90}}, "score_novelty"),
        ({"familiarity": None}, "familiarity"),
        ({"familiarity": "expert"}, "familiarity"),
        ({"recommendation": "maybe"}, "recommendation"),
        ({"integrity_ok": None}, "integrity"),
        ({"integrity_ok": False}, "integrity_note"),
    ],
)
def test_submission_is_checked_against_the_scheme(demo, application, change, field):
    assignment = _accepted(demo, application)
    with pytest.raises(EvaluationError) as refused:
        evaluations.save_evaluation(assignment, **{**FULL, **change}, submit=True)
    assert field in refused.value.fields
    assert assignment.status == "accepted"


def test_a_draft_may_be_partial_but_not_out_of_range(demo, application):
    assignment = _accepted(demo, application)
    draft = evaluations.save_evaluation(
        assignment,
        scores={"performance": 70},
        familiarity=None,
        recommendation=None,
        comment_for_applicant="",
        comment_confidential="",
        integrity_ok=None,
        integrity_note="",
        submit=False,
    )
    assert draft.status == "draft" and draft.scores == {"performance": 70.0}
    with pytest.raises(EvaluationError):
        evaluations.save_evaluation(assignment, **{**FULL, "scores": {"performance": 170}}, submit=False)


def test_a_submitted_evaluation_is_locked(demo, application):
    assignment = _accepted(demo, application)
    evaluation = evaluations.save_evaluation(assignment, **FULL, submit=True)
    demo.session.commit()
    assert evaluation.status == "submitted" and evaluation.submitted_at is not None
    assert assignment.status == "submitted"
    assert evaluation.scores == {"performance": 88.0, "influence": 75.5}
    entry = _audit(demo, application, "evaluation.submitted")[0]
    assert entry.data["scores"] == {"performance": 88.0, "influence": 75.5}
    assert "仅供委员会参考" not in str(entry.data)  # comments stay out of the log
    for submit in (False, True):
        with pytest.raises(Refusal):
            evaluations.save_evaluation(
                assignment, **{**FULL, "scores": {"performance": 10, "influence": 10}}, submit=submit
            )
        demo.session.rollback()
    assert demo.session.get(Evaluation, evaluation.id).scores == {"performance": 88.0, "influence": 75.5}
    with pytest.raises(Refusal):
        evaluations.decline_assignment(assignment, demo_expert(), "改变主意")


def test_integrity_no_flags_the_application(demo, application):
    assignment = _accepted(demo, application)
    evaluations.save_evaluation(
        assignment, **{**FULL, "integrity_ok": False, "integrity_note": "代表作存在数据造假嫌疑"}, submit=True
    )
    demo.session.commit()
    demo.session.refresh(application)
    assert application.integrity_flag is True
    assert len(_audit(demo, application, "application.integrity_flagged")) == 1
    assert assignment.evaluation.integrity_note == "代表作存在数据造假嫌疑"


def test_an_application_out_of_review_refuses_scores(demo, application):
    assignment = _accepted(demo, application)
    application.state = "withdrawn"
    demo.session.commit()
    with pytest.raises(Refusal):
        evaluations.save_evaluation(assignment, **FULL, submit=True)


# ------------------------------------------------------------------ outside evaluators


def test_external_evaluators_score_their_component_without_familiarity(demo, make_user):
    application = under_review(demo, make_user("applicant"), code="support_talent")
    assignment = invite_external(application, kind="user", name="刘用户", email="user@example.com", actor=demo_office())
    demo.session.commit()
    scores = {"completion": 90, "attitude": 95}
    with pytest.raises(EvaluationError) as refused:
        evaluations.save_evaluation(assignment, **{**FULL, "scores": scores}, submit=False)
    assert "familiarity" in refused.value.fields
    evaluation = evaluations.save_evaluation(assignment, **{**FULL, "scores": scores, "familiarity": None}, submit=True)
    demo.session.commit()
    assert (evaluation.evaluator_key, evaluation.component) == (f"ext:{assignment.id}", "user")
    assert assignment.status == "submitted" and assignment.responded_at is not None
    entry = _audit(demo, application, "evaluation.submitted")[0]
    assert entry.actor_label == "evaluator:user@example.com"


def test_an_expert_in_a_program_without_peer_review_gets_no_form(demo, make_user):
    application = under_review(demo, make_user("applicant"), code="support_talent")
    assignment = _assign(demo, application)
    with pytest.raises(Refusal):
        evaluations.criteria_for(assignment)
