"""The demo data taken through review, shared by the journey tests of review and decisions, and applications taken
through review by the verbs (the feedback and appeal tests)."""

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.applications import workflow
from portal.applications.models import Application
from portal.applications.services import apply_transition
from portal.database import commit
from portal.notifications.models import OutboxMessage
from portal.reviews import services
from portal.reviews.assignment import services as assigning
from portal.reviews.evaluation import services as evaluations
from portal.reviews.unit import services as unit_review
from portal.seed import load_demo
from tests.factories import demo_expert, demo_office, submitted_application


def demo_application(db, email):
    user = find_user(email)
    return db.session.execute(select(Application).where(Application.applicant_id == user.id)).scalar_one()


def score(assignment, expert, value):
    """Accept (experts) and submit an evaluation giving `value` to every criterion."""
    if expert is not None:
        evaluations.accept_assignment(assignment, expert, "本人与申请人不存在利益冲突。")
    scores = dict.fromkeys(evaluations.criteria_for(assignment), value)
    evaluations.save_evaluation(
        assignment,
        scores=scores,
        familiarity="familiar" if expert else None,
        recommendation="support",
        comment_for_applicant="研究计划清晰，建议加强国际合作。",
        comment_confidential="仅供评审委员会参考的保密意见。",
        integrity_ok=True,
        integrity_note="",
        submit=True,
    )


def review_demo_calls(db):
    """A (李娜), B (陈浩), C (杨帆) of 百人计划 and 张丽 of the support program, all reviewed.

    Neutral 王建国 scores all three 百人计划 candidates; strict 孙海涛 (−20) only A and B; lenient 周雅琴 (+15)
    only B and C; 赵立平 fills the third place of A and C. Every expert prefers A to B to C. Two token-link user
    evaluators score the support application 90 and 80.
    """
    load_demo()
    unit_admin, office = find_user("unit@demo.talent.cn"), find_user("program@demo.talent.cn")
    a = demo_application(db, "li.na@demo.talent.cn")
    b = demo_application(db, "chen.hao@demo.talent.cn")
    c = demo_application(db, "yang.fan@demo.talent.cn")
    support = demo_application(db, "zhang.li@demo.talent.cn")
    for application in (a, b, c):
        unit_review.endorse(
            application,
            unit_admin,
            post="研究员",
            startup_funds="300 万元",
            space="120 平方米",
            opinion="同意推荐",
            unit_scores={"performance": 80, "influence": 80},
        )
    unit_review.endorse(support, unit_admin, post="高级工程师", startup_funds="—", space="—", opinion="同意推荐")
    for application in (a, b, c, support):
        services.formal_pass(application, office, "材料齐全，符合要求")
    commit()
    neutral, strict = find_user("expert@demo.talent.cn"), find_user("expert3@demo.talent.cn")
    lenient, fourth = find_user("expert4@demo.talent.cn"), find_user("expert2@demo.talent.cn")
    plan = {
        a: [(neutral, 80), (strict, 60), (fourth, 80)],
        b: [(neutral, 75), (strict, 55), (lenient, 90)],
        c: [(neutral, 70), (lenient, 85), (fourth, 70)],
    }
    for application, panel in plan.items():
        for expert, value in panel:
            score(assigning.assign_expert(application, expert, office), expert, value)
    commit()
    tokens = []
    for name, email, value in (("用户甲", "user.a@example.cn", 90), ("用户乙", "user.b@example.cn", 80)):
        assigning.invite_external(support, kind="user", name=name, email=email, actor=office)
        commit()
        body = db.session.execute(select(OutboxMessage.body_text).where(OutboxMessage.to_address == email)).scalar_one()
        token = body.split("/evaluate/")[1].split()[0]
        tokens.append(token)
        score(assigning.external_assignment_for_token(token), None, value)
        commit()
    for application in (a, b, c, support):
        services.complete_review(application, office)
    commit()
    return a, b, c, support, tokens


def evaluate_with_comments(application, n: int, for_applicant: str, confidential: str = "仅供委员会参考：不建议资助。"):
    """Expert n is assigned, accepts and submits an evaluation with both comments."""
    assignment = assigning.assign_expert(application, demo_expert(n), demo_office())
    evaluations.accept_assignment(assignment, demo_expert(n), "本人与申请人不存在利益冲突。")
    criteria = evaluations.criteria_for(assignment)
    evaluations.save_evaluation(
        assignment,
        scores=dict.fromkeys(criteria, 70),
        familiarity="familiar",
        recommendation="support",
        comment_for_applicant=for_applicant,
        comment_confidential=confidential,
        integrity_ok=True,
        integrity_note="",
        submit=True,
    )
    return assignment


def reviewed_by_panel(db, make_user, panel=((1, "研究计划清晰，创新性较强。"), (2, "建议加强国际合作。")), **kw):
    """An application through unit review, formal check and evaluation by the panel, review completed."""
    application = submitted_application(db, make_user, **kw)
    unit_review.endorse(
        application,
        find_user("unit@demo.talent.cn"),
        post="研究员",
        startup_funds="300 万元",
        space="200 平方米",
        opinion="同意推荐",
        unit_scores={"performance": 85, "influence": 80},
    )
    services.formal_pass(application, demo_office(), "材料齐全")
    for n, comment in panel:
        evaluate_with_comments(application, n, comment)
    services.complete_review(application, demo_office())
    commit()
    return application


def rejected_after_review(db, make_user, **kw):
    """An application reviewed by the panel (as above), then rejected by the office."""
    application = reviewed_by_panel(db, make_user, **kw)
    apply_transition(application, workflow.Action.REJECT, demo_office())
    commit()
    return application
