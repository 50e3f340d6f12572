"""What a call asks, on a real database: its pinned questions and documents, unit subtrees, unit quotas,
notice days."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.services import find_user
from portal.applications import services
from portal.applications.forms import plan_form_class
from portal.applications.services import ApplicationError
from portal.database import commit, rollback, utcnow
from portal.decisions import services as decisions
from portal.programs.models import CallUnitQuota, ProgramRules, Unit
from portal.reviews.errors import ReviewError
from portal.seed import load_demo
from portal.storage import Document
from tests.factories import (
    approved_applications,
    call_of,
    fill_application,
    make_profile,
    pdf_bytes,
    started_application,
    submitted_application,
    unit_id,
)

ESSAY = {"code": "essay", "type": "text", "zh": "个人陈述", "en": "Personal statement", "min": 10, "max": 200}
YEARS_ABROAD = {
    "code": "years_abroad",
    "type": "number",
    "zh": "海外工作年数",
    "en": "Years abroad",
    "required": False,
    "min": 0,
    "max": 40,
}
RETURNS = {"code": "returns", "type": "bool", "zh": "入选后全职回国", "en": "Returns full-time"}
FIELD = {
    "code": "field",
    "type": "choice",
    "zh": "研究方向",
    "en": "Field",
    "required": False,
    "choices": [{"value": "math", "zh": "数学", "en": "Mathematics"}, {"value": "phys", "zh": "物理", "en": "Physics"}],
}
CV = {"code": "cv", "zh": "个人简历", "en": "Curriculum vitae"}
PAPERS = {"code": "papers", "zh": "代表性论文", "en": "Selected papers", "required": False, "max_files": 2}


def pin(db, call, *, questions=(), documents=(CV,), rules=()):
    """Pin the call to a new version of its program's rules, made by hand (as publishing does)."""
    number = (
        db.session.execute(
            select(func.max(ProgramRules.number)).where(ProgramRules.program_id == call.program_id)
        ).scalar()
        or 0
    ) + 1
    version = ProgramRules(
        program_id=call.program_id,
        number=number,
        eligibility_rules=list(rules),
        required_documents=list(documents),
        extra_fields=list(questions),
    )
    db.session.add(version)
    db.session.flush()
    call.rules_id = version.id
    db.session.commit()
    db.session.expire(call)
    return version


@pytest.fixture()
def applicant(demo, make_user):
    user = make_user("applicant", name="王小明")
    make_profile(demo, user)
    return user


def problems(application) -> str:
    return " ".join(services.completeness_problems(application))


# ------------------------------------------------------------------ questions and documents of the call


def test_only_required_questions_and_documents_are_demanded(demo, applicant):
    call = call_of(demo, "bairen")
    pin(demo, call, questions=[ESSAY, YEARS_ABROAD, RETURNS, FIELD], documents=[CV, PAPERS])
    application = started_application(demo, applicant)
    fill_application(demo, application)  # uploads the call's documents: the cv and one paper
    found = problems(application)
    assert "请填写“个人陈述”" in found and "请填写“入选后全职回国”" in found
    assert "海外工作年数" not in found and "研究方向" not in found and "代表性论文" not in found

    application.extra = {"essay": "我的研究兴趣在于代数几何", "returns": False}  # "no" is an answer
    found = problems(application)
    assert "个人陈述" not in found and "入选后全职回国" not in found

    application.extra = {"essay": "太短", "returns": True, "years_abroad": 50, "field": "chem"}
    found = problems(application)
    assert "“个人陈述”的回答不符合要求：请至少填写 10 个字（现为 2 个）" in found
    assert "“海外工作年数”的回答不符合要求：请输入不大于 40 的数" in found
    assert "“研究方向”的回答不符合要求" in found

    for document in list(application.documents):
        if document.kind == "papers":
            demo.session.delete(document)
    demo.session.commit()
    demo.session.refresh(application)
    application.extra = {"essay": "我的研究兴趣在于代数几何", "returns": True}
    assert "代表性论文" not in problems(application) and "个人简历" not in problems(application)
    cv = next(d for d in application.documents if d.kind == "cv")
    demo.session.delete(cv)
    demo.session.commit()
    demo.session.refresh(application)
    assert "请上传必需材料“个人简历”" in problems(application)


def test_seed_questions_without_required_stay_required(demo, applicant):
    application = started_application(demo, applicant, "qianren_startup")
    found = problems(application)
    assert "本人为企业主要创办人" in found and "本人持股比例" in found and "企业成立日期" in found
    application.extra = {"is_main_founder": False, "equity_percent": 35, "company_founded": "2023-03-01"}
    found = problems(application)
    assert "本人为企业主要创办人" not in found and "本人持股比例" not in found and "企业成立日期" not in found
    # The eligibility rules read the stored values as before.
    results = {r.rule: r.passed for r in services.check_eligibility(application)}
    assert results.get("extra_true") is False


def test_a_pinned_call_keeps_asking_its_old_questions_after_the_program_changes(demo, applicant):
    call = call_of(demo, "bairen")
    program = call.program
    pin(demo, call, questions=[ESSAY], documents=[CV], rules=[])
    program.extra_fields = [{"code": "new_question", "type": "number", "zh": "新问题", "en": "New question"}]
    program.required_documents = [{"code": "new_doc", "zh": "新材料", "en": "New document"}]
    program.eligibility_rules = [{"rule": "max_age", "value": 20}]
    demo.session.commit()

    application = started_application(demo, applicant)
    found = problems(application)
    assert "个人陈述" in found and "个人简历" in found
    assert "新问题" not in found and "新材料" not in found
    assert [r.rule for r in services.check_eligibility(application)] == []  # the pinned rules: none

    form = plan_form_class(call.extra_fields, "zh_CN")
    assert hasattr(form, "extra_essay") and not hasattr(form, "extra_new_question")

    application.extra = {"essay": "我的研究兴趣在于代数几何"}
    snapshot = services.build_snapshot(application, [], utcnow())
    assert [q["code"] for q in snapshot["application"]["extra"]] == ["essay"]
    assert snapshot["application"]["extra"][0]["answer_zh"] == "我的研究兴趣在于代数几何"
    assert snapshot["call"]["rules_version"] == call.rules.number

    # A call without a pinned version (a draft) asks what the program asks now.
    call.rules_id = None
    demo.session.commit()
    demo.session.expire(call)
    assert "新问题" in problems(application)


def test_the_snapshot_freezes_answers_in_both_languages(demo, applicant):
    call = call_of(demo, "bairen")
    pin(demo, call, questions=[RETURNS, FIELD])
    application = started_application(demo, applicant)
    application.extra = {"returns": False, "field": "phys"}
    items = services.build_snapshot(application, [], utcnow())["application"]["extra"]
    assert [(i["code"], i["value"], i["answer_zh"], i["answer_en"]) for i in items] == [
        ("returns", False, "否", "No"),
        ("field", "phys", "物理", "Physics"),
    ]


# ------------------------------------------------------------------ documents: how many files


def test_max_files_refuses_one_more_and_keeps_the_draft(demo, applicant):
    call = call_of(demo, "bairen")
    pin(demo, call, documents=[CV, PAPERS])
    application = started_application(demo, applicant)
    for name in ("a.pdf", "b.pdf"):
        services.add_document(application, pdf_bytes(1), kind="papers", original_name=name)
        commit()
    demo.session.refresh(application)
    with pytest.raises(ApplicationError, match="最多可上传 2 个文件"):
        services.add_document(application, pdf_bytes(1), kind="papers", original_name="c.pdf")
    rollback()
    names = (
        demo.session.execute(
            select(Document.original_name).where(Document.application_id == application.id).order_by(Document.id)
        )
        .scalars()
        .all()
    )
    assert names == ["a.pdf", "b.pdf"]

    # A one-file document is replaced by the next upload.
    for name in ("cv1.pdf", "cv2.pdf"):
        services.add_document(application, pdf_bytes(2), kind="cv", original_name=name)
        commit()
        demo.session.refresh(application)
    assert [d.original_name for d in application.documents if d.kind == "cv"] == ["cv2.pdf"]

    with pytest.raises(ApplicationError, match="不要求提交该材料"):
        services.add_document(application, pdf_bytes(1), kind="degree", original_name="d.pdf")
    rollback()


# ------------------------------------------------------------------ unit subtree


def test_a_program_limited_to_a_unit_subtree_refuses_other_units(demo, applicant):
    call = call_of(demo, "bairen")
    cas = demo.session.execute(select(Unit).where(Unit.code == "CAS")).scalar_one()
    call.program.unit_scope_id = cas.id
    demo.session.commit()
    assert services.allowed_unit_ids(call.program) >= {cas.id, unit_id(demo, "CAS-AMSS")}
    assert unit_id(demo, "THU") not in services.allowed_unit_ids(call.program)

    with pytest.raises(ApplicationError, match="仅受理中国科学院的申请：清华大学不能审核本申请"):
        services.start_application(call, applicant, unit_id(demo, "THU"))
    rollback()
    application = started_application(demo, applicant, unit="CAS-AMSS")

    with pytest.raises(ApplicationError, match="清华大学数学科学系不能审核"):
        services.save_basics(
            application, unit_id=unit_id(demo, "THU-MATH"), title="题目", discipline_code="A01", keywords=[]
        )
    rollback()
    assert application.unit_id == unit_id(demo, "CAS-AMSS")
    services.save_basics(
        application,
        unit_id=unit_id(demo, "CAS-IOP"),
        title="新题目",
        discipline_code="A04",
        keywords=["物理"],
        actor=applicant,
    )
    commit()
    assert (application.unit_id, application.title) == (unit_id(demo, "CAS-IOP"), "新题目")

    # A unit outside the subtree (e.g. named before the program was limited) stops the submission.
    application.unit_id = unit_id(demo, "PKU-PHY")
    demo.session.commit()
    assert "北京大学物理学院不能审核本申请" in problems(application)
    with pytest.raises(ApplicationError, match="北京大学物理学院不能审核本申请"):
        services.submit_application(application.id, applicant)
    rollback()


def test_without_a_subtree_every_unit_may_review(demo, applicant):
    call = call_of(demo, "bairen")
    assert call.program.unit_scope_id is None and services.allowed_unit_ids(call.program) is None
    application = started_application(demo, applicant, unit="FUDAN")
    assert "不能审核本申请" not in problems(application)


# ------------------------------------------------------------------ unit quotas per call


def _endorse(application, admin):
    from portal.reviews.unit import services as unit_review

    return unit_review.endorse(
        application,
        admin,
        post="研究员",
        startup_funds="300 万元",
        space="200 平方米",
        opinion="同意推荐",
        unit_scores={"performance": 85, "influence": 80},
    )


def test_the_calls_own_quota_for_a_unit_limits_its_endorsements(demo, make_user):
    amss = find_user("unit@demo.talent.cn")
    iop = make_user(("unit_admin", unit_id(demo, "CAS-IOP")))
    first = submitted_application(demo, make_user, name="甲")
    call = first.call
    call.unit_quota = 5
    call.program.unit_quota = 0  # the program's figure is not what counts
    demo.session.add(CallUnitQuota(call_id=call.id, unit_id=unit_id(demo, "CAS-AMSS"), quota=1))
    demo.session.commit()
    demo.session.expire(call)
    assert call.quota_for_unit(unit_id(demo, "CAS-AMSS")) == 1

    second = submitted_application(demo, make_user, name="乙")
    _endorse(first, amss)
    commit()
    with pytest.raises(ReviewError, match="1"):
        _endorse(second, amss)
    rollback()
    others = [submitted_application(demo, make_user, name=f"丙{i}", unit_code="CAS-IOP") for i in range(2)]
    for application in others:  # the call's default (5) for a unit without its own figure
        _endorse(application, iop)
        commit()
    assert {a.state for a in others} == {"unit_endorsed"}


def test_a_call_without_unit_quotas_sets_no_limit(demo, make_user):
    amss = find_user("unit@demo.talent.cn")
    applications = [submitted_application(demo, make_user, name=f"丁{i}") for i in range(2)]
    call = applications[0].call
    call.unit_quota = None
    demo.session.commit()
    for application in applications:
        _endorse(application, amss)
        commit()
    assert {a.state for a in applications} == {"unit_endorsed"}


# ------------------------------------------------------------------ public notice days


def test_the_notice_lasts_the_programs_notice_days_unless_told(db, make_user):
    load_demo()
    admin = find_user("program@demo.talent.cn")
    (a,) = approved_applications(db, make_user, admin, [90])
    a.call.program.notice_days = 10
    db.session.commit()
    notice = decisions.publish_notice(a.call, admin).notice
    commit()
    assert notice.days == 10 and notice.ends_at - notice.published_at == timedelta(days=10)


def test_an_explicit_notice_period_wins(db, make_user):
    load_demo()
    admin = find_user("program@demo.talent.cn")
    (a,) = approved_applications(db, make_user, admin, [90])
    a.call.program.notice_days = 10
    notice = decisions.publish_notice(a.call, admin, days=3).notice
    commit()
    assert notice.days == 3
