"""From the demo data to a ranking: a "top" call (unit 30 % + peer 70 %) and a "support" call (user evaluation).

Applications travel through unit review, formal check, manual expert assignment, scoring by experts (one strict,
one lenient) and by token-link evaluators, to a ranking whose normalised order differs from the plain mean the way
SPEC §4.1 intends: strict and lenient experts count alike.
"""
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.applications.models import Application
from portal.database import commit
from portal.notifications.models import OutboxMessage
from portal.reviews import evaluations, services
from portal.reviews.ranking import ranking_for_call
from portal.reviews.schemes import options_for_call
from portal.seed import load_demo


def _demo_application(db, email):
    user = find_user(email)
    return db.session.execute(select(Application).where(Application.applicant_id == user.id)).scalar_one()


def _score(assignment, expert, performance, influence=None):
    if expert is not None:
        evaluations.accept_assignment(assignment, expert, "本人与申请人不存在利益冲突。")
    criteria = evaluations.criteria_for(assignment)
    scores = {code: performance if influence is None or i == 0 else influence for i, code in enumerate(criteria)}
    evaluations.save_evaluation(assignment, scores=scores, familiarity="familiar" if expert else None,
                                recommendation="support", comment_for_applicant="研究计划清晰。",
                                comment_confidential="仅供评审委员会参考。", integrity_ok=True, integrity_note="",
                                submit=True)


def test_top_and_support_calls_from_submission_to_ranking(db):
    load_demo()
    unit_admin = find_user("unit@demo.talent.cn")
    office = find_user("program@demo.talent.cn")
    a = _demo_application(db, "li.na@demo.talent.cn")      # every expert prefers A to B to C
    b = _demo_application(db, "chen.hao@demo.talent.cn")
    c = _demo_application(db, "yang.fan@demo.talent.cn")
    support = _demo_application(db, "zhang.li@demo.talent.cn")

    # Unit review: the same unit assessment for the three, so the peer scores decide.
    for application in (a, b, c):
        services.endorse(application, unit_admin, post="研究员", startup_funds="300 万元", space="120 平方米",
                         opinion="同意推荐", unit_scores={"performance": 80, "influence": 80})
    services.endorse(support, unit_admin, post="高级工程师", startup_funds="—", space="—", opinion="同意推荐")
    # Formal check.
    for application in (a, b, c, support):
        services.formal_pass(application, office, "材料齐全，符合要求")
    commit()
    assert {x.state for x in (a, b, c, support)} == {"under_review"}

    # Manual assignment: neutral 王建国 scores all three; strict 孙海涛 (−20) only A and B; lenient 周雅琴 (+15)
    # only B and C; 赵立平 fills the third place of A and C. Nobody from the applicants' CAS branch.
    neutral, strict = find_user("expert@demo.talent.cn"), find_user("expert3@demo.talent.cn")
    lenient, fourth = find_user("expert4@demo.talent.cn"), find_user("expert2@demo.talent.cn")
    plan = {a: [(neutral, 80), (strict, 60), (fourth, 80)],
            b: [(neutral, 75), (strict, 55), (lenient, 90)],
            c: [(neutral, 70), (lenient, 85), (fourth, 70)]}
    for application, panel in plan.items():
        for expert, score in panel:
            assignment = services.assign_expert(application, expert, office)
            _score(assignment, expert, score)
    commit()

    # Token-link user evaluators for the support program.
    for name, email, score in (("用户甲", "user.a@example.cn", 90), ("用户乙", "user.b@example.cn", 80)):
        assignment = services.invite_external(support, kind="user", name=name, email=email, actor=office)
        commit()
        body = db.session.execute(select(OutboxMessage.body_text).where(OutboxMessage.to_address == email)) \
            .scalar_one()
        token = body.split("/evaluate/")[1].split()[0]
        opened = services.external_assignment_for_token(token)
        assert opened.id == assignment.id
        _score(opened, None, score)
        commit()
        assert services.external_assignment_for_token(token) is None  # the link stops working once used

    for application in (a, b, c, support):
        services.complete_review(application, office)
    commit()

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
