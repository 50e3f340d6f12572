"""Unit review, formal check, recheck and manual assignment on a real database."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.applications.services import request_recheck
from portal.database import commit, utcnow
from portal.errors import Refusal
from portal.notifications.models import OutboxMessage
from portal.reviews import services
from portal.reviews.assignment import services as assigning
from portal.reviews.models import DeclaredConflict, Evaluation, ExpertProfile
from portal.reviews.unit import services as unit_review
from tests.factories import ExpertProfileFactory, demo_office, submitted_application, unit_id


@pytest.fixture()
def unit_admin(demo):
    return find_user("unit@demo.talent.cn")


@pytest.fixture()
def office(demo):
    return demo_office()


def _endorse(app, admin, **kw):
    scores = {"performance": 85, "influence": 80}
    return unit_review.endorse(
        app,
        admin,
        post="研究员",
        startup_funds="300 万元",
        space="200 平方米",
        opinion="同意推荐",
        unit_scores=kw.pop("unit_scores", scores),
        **kw,
    )


def test_endorse_records_commitments_and_unit_scores(demo, make_user, unit_admin):
    application = submitted_application(demo, make_user)
    review = _endorse(application, unit_admin)
    commit()
    assert application.state == "unit_endorsed" and review.startup_funds == "300 万元"
    unit_eval = demo.session.execute(select(Evaluation).where(Evaluation.application_id == application.id)).scalar_one()
    assert unit_eval.component == "unit" and unit_eval.scores == {"performance": 85.0, "influence": 80.0}


def test_unit_scores_are_required_for_a_scheme_with_a_unit_component(demo, make_user, unit_admin):
    application = submitted_application(demo, make_user)
    with pytest.raises(Refusal, match="单位考评|unit assessment"):
        _endorse(application, unit_admin, unit_scores={"performance": 85})
    with pytest.raises(Refusal, match="0"):
        _endorse(application, unit_admin, unit_scores={"performance": 185, "influence": 1})


def test_unit_quota_limits_endorsements(demo, make_user, unit_admin):
    call = submitted_application(demo, make_user).call
    call.unit_quota = quota = call.program.unit_quota  # a call takes its units' default from the program
    demo.session.commit()
    apps = [submitted_application(demo, make_user, name=f"申请人{i}") for i in range(quota + 1)]
    for application in apps[:quota]:
        _endorse(application, unit_admin)
    with pytest.raises(Refusal, match=str(quota)):
        _endorse(apps[quota], unit_admin)


def test_exception_needs_the_units_written_endorsement(demo, make_user, unit_admin):
    application = submitted_application(demo, make_user, exception=True)
    with pytest.raises(Refusal, match="破格|exception"):
        _endorse(application, unit_admin)
    _endorse(application, unit_admin, exception_endorsement="本单位认为该申请人确属特别优秀，同意破格推荐。")
    assert application.exception_endorsed


def test_return_and_decline_need_reasons_and_tell_the_applicant(demo, make_user, unit_admin):
    application = submitted_application(demo, make_user)
    with pytest.raises(Refusal):
        unit_review.return_for_revision(application, unit_admin, "")
    unit_review.return_for_revision(application, unit_admin, "请补充代表作全文")
    commit()
    assert application.state == "returned"
    mail = (
        demo.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == application.applicant.email)
            .order_by(OutboxMessage.id.desc())
        )
        .scalars()
        .first()
    )
    assert "请补充代表作全文" in mail.body_text
    other = submitted_application(demo, make_user, name="第二人")
    unit_review.decline(other, unit_admin, "不符合单位发展方向")
    assert other.state == "unit_declined"


def test_unit_admin_of_another_unit_is_refused(demo, make_user):
    application = submitted_application(demo, make_user)
    stranger = make_user(("unit_admin", unit_id(demo, "THU")))
    with pytest.raises(Refusal):
        _endorse(application, stranger)


def test_unit_ranking(demo, make_user, unit_admin):
    apps = [submitted_application(demo, make_user, name=f"候选人{i}") for i in range(3)]
    for application in apps:
        _endorse(application, unit_admin)
    unit_review.set_unit_ranks(apps, [apps[2].id, apps[0].id, apps[1].id], unit_admin)
    assert [a.unit_review.unit_rank for a in apps] == [2, 3, 1]
    with pytest.raises(Refusal):
        unit_review.set_unit_ranks(apps, [apps[0].id], unit_admin)


def test_formal_check_fixes_the_scheme_version_and_recheck_window(demo, make_user, unit_admin, office):
    from portal.reviews.evaluation.schemes import latest, save_version

    application = submitted_application(demo, make_user)
    _endorse(application, unit_admin)
    services.formal_pass(application, office, "材料齐全")
    fixed = application.call.scheme_id
    assert fixed == latest("top").id and application.state == "under_review"
    edited = dict(latest("top").definition)
    save_version("top", edited, actor=office, note="新版本")
    assert application.call.scheme_id == fixed  # the call keeps the version it started review with

    failed = submitted_application(demo, make_user, name="形审未过")
    _endorse(failed, unit_admin)
    services.formal_fail(failed, office, "缺少学位证书公证件")
    assert failed.state == "ineligible"
    failed.state_changed_at = utcnow() - timedelta(days=16)
    with pytest.raises(Refusal, match="15"):
        request_recheck(failed, failed.applicant, "已补交")
    failed.state_changed_at = utcnow() - timedelta(days=14)
    request_recheck(failed, failed.applicant, "已补交公证件")
    services.decide_recheck(failed, office, True, "复核通过")
    assert failed.state == "under_review"


def _under_review(demo, make_user, unit_admin, office, **kw):
    application = submitted_application(demo, make_user, **kw)
    _endorse(application, unit_admin)
    services.formal_pass(application, office, "通过")
    return application


def test_manual_assignment_checks_every_conflict_rule(demo, make_user, unit_admin, office):
    application = _under_review(demo, make_user, unit_admin, office)
    wang = find_user("expert@demo.talent.cn")  # THU, A01
    assignment = assigning.assign_expert(application, wang, office)
    assert assignment.status == "invited" and assignment.due_date
    with pytest.raises(Refusal, match="已分配|already"):
        assigning.assign_expert(application, wang, office)

    wu = find_user("expert5@demo.talent.cn")  # computer science only
    with pytest.raises(Refusal, match="一级学科|discipline"):
        assigning.assign_expert(application, wu, office)

    same_unit = make_user("expert", name="同单位专家")
    ExpertProfileFactory(user=same_unit, unit_id=unit_id(demo, "CAS-IOP"), disciplines=["A01"])
    with pytest.raises(Refusal, match="同一单位|same unit"):
        assigning.assign_expert(application, same_unit, office)  # CAS-IOP and CAS-AMSS share the CAS branch

    sun = find_user("expert3@demo.talent.cn")
    demo.session.add(DeclaredConflict(expert_id=sun.id, person_id=application.applicant_id, relation="coauthor"))
    with pytest.raises(Refusal, match="利益冲突|conflict"):
        assigning.assign_expert(application, sun, office)

    zhou = find_user("expert4@demo.talent.cn")
    profile = demo.session.get(ExpertProfile, zhou.id)
    profile.former_units = [{"unit_id": unit_id(demo, "CAS"), "until_year": application.call.year - 1}]
    with pytest.raises(Refusal, match="3 年|3 years"):
        assigning.assign_expert(application, zhou, office)

    zhao = find_user("expert2@demo.talent.cn")
    demo.session.get(ExpertProfile, zhao.id).load_cap = 0
    with pytest.raises(Refusal, match="上限|cap"):
        assigning.assign_expert(application, zhao, office)


def test_exclusion_list_is_a_hard_conflict(demo, make_user, unit_admin, office):
    from portal.applications.models import Exclusion

    application = _under_review(demo, make_user, unit_admin, office)
    wang = find_user("expert@demo.talent.cn")
    demo.session.add(Exclusion(application_id=application.id, name="王建国", expert_id=wang.id, reason="竞争关系"))
    demo.session.flush()
    with pytest.raises(Refusal, match="回避|exclude"):
        assigning.assign_expert(application, wang, office)


def test_no_assignment_before_the_formal_check(demo, make_user):
    application = submitted_application(demo, make_user)
    with pytest.raises(Refusal):
        assigning.assign_expert(application, find_user("expert@demo.talent.cn"), find_user("program@demo.talent.cn"))


def test_external_evaluator_link_for_a_support_program(demo, make_user, office):
    from portal.accounts.models import Role

    admin = make_user(("unit_admin", unit_id(demo)))
    application = submitted_application(demo, make_user, "support_talent")
    unit_review.endorse(application, admin, post="工程师", startup_funds="—", space="—", opinion="同意")
    services.formal_pass(application, office, "通过")
    with pytest.raises(Refusal):
        assigning.invite_external(application, kind="social", name="x", email="x@example.cn", actor=office)
    assignment = assigning.invite_external(
        application, kind="user", name="用户代表", email="User@Example.cn", actor=office
    )
    commit()
    mail = demo.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == "user@example.cn")).scalar_one()
    token = mail.body_text.split("/evaluate/")[1].split()[0]
    assert assigning.external_assignment_for_token(token).id == assignment.id
    assignment.expires_at = utcnow() - timedelta(seconds=1)
    assert assigning.external_assignment_for_token(token) is None
    assert Role.UNIT_ADMIN


def test_integrity_flag_blocks_approval_until_cleared(demo, make_user, unit_admin, office):
    from sqlalchemy.exc import IntegrityError

    application = _under_review(demo, make_user, unit_admin, office)
    application.integrity_flag = True
    services.complete_review(application, office)
    nested = demo.session.begin_nested()
    application.state = "approved"
    with pytest.raises(IntegrityError):
        demo.session.flush()
    nested.rollback()
    demo.session.refresh(application)
    services.clear_integrity_flag(application, office, "经核查，举报不实")
    assert not application.integrity_flag and application.integrity_cleared_reason
