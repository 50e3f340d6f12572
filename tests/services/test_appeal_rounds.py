"""An accepted appeal sends the application back to review with new experts; the old round no longer counts."""

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.applications import workflow
from portal.applications.models import Application
from portal.applications.services import apply_transition
from portal.database import commit
from portal.decisions.appeals import decide_appeal, file_appeal
from portal.errors import Refusal
from portal.reviews import services
from portal.reviews.assignment import services as assigning
from portal.reviews.evaluation import services as evaluations
from portal.reviews.evaluation.schemes import options_for_call
from portal.reviews.ranking.services import ranking_for_call
from portal.reviews.unit import services as unit_review
from portal.seed import load_demo


def test_appeal_round_needs_new_experts_and_drops_old_scores(db):
    load_demo()
    unit_admin, office = find_user("unit@demo.talent.cn"), find_user("program@demo.talent.cn")
    application = db.session.execute(
        select(Application).where(Application.applicant_id == find_user("li.na@demo.talent.cn").id)
    ).scalar_one()
    unit_review.endorse(
        application,
        unit_admin,
        post="p",
        startup_funds="f",
        space="s",
        opinion="o",
        unit_scores={"performance": 80, "influence": 80},
    )
    services.formal_pass(application, office, "通过")
    first = find_user("expert@demo.talent.cn")
    assignment = assigning.assign_expert(application, first, office)
    evaluations.accept_assignment(assignment, first, "无利益冲突")
    evaluations.save_evaluation(
        assignment,
        scores={"performance": 40, "influence": 40},
        familiarity="familiar",
        recommendation="oppose",
        comment_for_applicant="创新性不足。",
        comment_confidential="",
        integrity_ok=True,
        integrity_note="",
        submit=True,
    )
    services.complete_review(application, office)
    apply_transition(application, workflow.Action.REJECT, office)
    commit()
    appeal = file_appeal(
        application, application.applicant, "评审专家与本人存在未申报的合作关系，请求更换专家重新评审。"
    )
    decide_appeal(appeal, office, True, "经核实，同意重新评审")
    commit()
    assert application.state == "under_review"

    try:
        assigning.assign_expert(application, first, office)
        raise AssertionError("the earlier expert was assigned again")
    except Refusal as exc:
        assert "此前的评审" in exc.messages[0] or "earlier round" in exc.messages[0]
    second = find_user("expert3@demo.talent.cn")
    new = assigning.assign_expert(application, second, office)
    evaluations.accept_assignment(new, second, "无利益冲突")
    evaluations.save_evaluation(
        new,
        scores={"performance": 90, "influence": 90},
        familiarity="familiar",
        recommendation="support",
        comment_for_applicant="很好。",
        comment_confidential="",
        integrity_ok=True,
        integrity_note="",
        submit=True,
    )
    commit()
    row = next(
        r
        for r in ranking_for_call(application.call, options_for_call(application.call)).rows
        if r.application.id == application.id
    )
    assert row.component_scores["peer"] == 90 and row.n_evaluations["peer"] == 1
