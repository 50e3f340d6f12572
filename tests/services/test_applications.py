"""Applying on a real database: eligibility with reasons, documents, referees, submission, withdrawal."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.applications import referees as referee_service
from portal.applications import services
from portal.applications.models import Profile
from portal.audit.models import AuditEntry
from portal.database import commit, utcnow
from portal.notifications.models import OutboxMessage
from portal.storage import DocumentError, inspect_pdf, read_document, save_document
from tests.factories import fill_application, make_profile, pdf_bytes, started_application, unit_id


@pytest.fixture()
def applicant(demo, make_user):
    user = make_user("applicant", email="scholar@example.cn", name="张𠮷")
    make_profile(demo, user)
    return user


def _give_letter(db, application):
    referee = referee_service.invite_referee(
        application, name="李教授", email="li@example.edu", institution="北大", title="教授", locale="zh_CN"
    )
    db.session.commit()
    referee_service.upload_letter(referee, pdf_bytes(1), "letter.pdf")
    db.session.commit()
    return referee


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


# ------------------------------------------------------------------ documents


def test_a_real_pdf_is_accepted_with_pages_and_hash(db):
    info = inspect_pdf(pdf_bytes(3))
    assert info.page_count == 3 and len(info.sha256) == 64


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"just some text renamed to .pdf", "不是 PDF"),
        (pdf_bytes(2)[:300], "不完整"),
        (pdf_bytes(1, encrypt="secret"), "加密"),
        (b"", "为空"),
    ],
)
def test_bad_files_are_refused_with_a_reason(app, data, reason):
    with app.test_request_context(), pytest.raises(DocumentError) as err:
        inspect_pdf(data)
    assert reason in err.value.message


def test_too_large_file_is_refused(app):
    app.config["MAX_UPLOAD_MB"] = 1
    try:
        with app.test_request_context(), pytest.raises(DocumentError, match="1 MB"):
            inspect_pdf(pdf_bytes(1) + b"%" * (1024 * 1024))
    finally:
        app.config["MAX_UPLOAD_MB"] = 20


def test_stored_file_is_outside_static_under_a_random_name(demo, applicant, app):
    document = save_document(pdf_bytes(1), kind="cv", original_name="../../etc/我的简历.pdf", owner_id=applicant.id)
    commit()
    assert document.original_name == "我的简历.pdf"
    assert "我的简历" not in document.stored_name and len(document.stored_name) == 44
    from portal.storage import document_path

    path = document_path(document)
    assert str(path).startswith(app.config["UPLOAD_FOLDER"]) and "static" not in str(path)
    assert read_document(document) == pdf_bytes(1)


# ------------------------------------------------------------------ eligibility


def test_rule_failure_has_a_reason_and_fixing_the_profile_passes(demo, applicant):
    application = started_application(demo, applicant)
    position = demo.session.execute(select(Profile)).scalars().first()
    assert position is not None
    from portal.applications.models import Position

    pos = demo.session.execute(select(Position).where(Position.user_id == applicant.id)).scalar_one()
    pos.end_date = pos.start_date + timedelta(days=365 * 2)  # only two years abroad
    demo.session.commit()
    results = {r.rule: r for r in services.check_eligibility(application)}
    failing = results["consecutive_years_abroad"]
    assert not failing.passed and "4" in failing.message_zh and "4" in failing.message_en
    review = services.review(application)
    assert not review.can_submit and any("破格" in p for p in review.problems)

    pos.end_date = pos.start_date + timedelta(days=365 * 6)
    demo.session.commit()
    assert all(r.passed for r in services.check_eligibility(application))


def test_exception_request_lets_an_ineligible_applicant_submit(demo, applicant):
    application = started_application(demo, applicant)
    profile = demo.session.get(Profile, applicant.id)
    profile.birth_date = profile.birth_date.replace(year=1970)  # far too old for 百人计划
    fill_application(demo, application)
    _give_letter(demo, application)
    assert not services.review(application).can_submit
    application.exception_requested = True
    application.exception_justification = "在国际顶级期刊发表多篇重要论文，属于特别优秀人才，申请破格。"
    assert services.review(application).can_submit
    services.submit_application(application.id, applicant)
    commit()
    assert application.state == "submitted" and application.snapshot["application"]["exception"]["requested"]


def test_one_live_application_per_call_and_same_level_rule(demo, applicant):
    first = started_application(demo, applicant)
    again = services.start_application(first.call, applicant, unit_id(demo))
    assert again.id == first.id


# ------------------------------------------------------------------ referees


def test_referee_letter_by_token_link(demo, applicant):
    application = started_application(demo, applicant)
    referee = referee_service.invite_referee(
        application, name="王老师", email="Wang@Example.edu", institution="清华大学", title="教授", locale="zh_CN"
    )
    commit()
    mail = demo.session.execute(
        select(OutboxMessage).where(OutboxMessage.to_address == "wang@example.edu")
    ).scalar_one()
    token = mail.body_text.split("/referee/")[1].split()[0]
    assert referee_service.referee_for_token(token).id == referee.id
    assert referee_service.referee_for_token(token + "x") is None
    referee_service.upload_letter(referee, pdf_bytes(1), "推荐信.pdf")
    commit()
    assert referee.letter_received_at is not None and referee.letter.kind == "referee_letter"
    with pytest.raises(services.ApplicationError):
        referee_service.upload_letter(referee, pdf_bytes(1), "again.pdf")
    told = demo.session.execute(
        select(OutboxMessage).where(
            OutboxMessage.to_address == applicant.email, OutboxMessage.template == "referee_letter_arrived"
        )
    ).first()
    assert told is not None


def test_remind_replaces_the_link(demo, applicant):
    application = started_application(demo, applicant)
    referee = referee_service.invite_referee(
        application, name="赵", email="zhao@example.edu", institution="x", title="", locale="en"
    )
    old_hash = referee.token_hash
    referee_service.remind_referee(referee, "en")
    assert referee.token_hash != old_hash


def test_at_most_three_exclusions(demo, applicant):
    application = started_application(demo, applicant)
    for i in range(3):
        referee_service.add_exclusion(application, name=f"专家{i}", institution="某大学", reason="合作者")
    with pytest.raises(services.ApplicationError, match="3"):
        referee_service.add_exclusion(application, name="专家9", institution="", reason="x")


def test_exclusion_matches_the_expert_pool_by_name(demo, applicant):
    application = started_application(demo, applicant)
    exclusion = referee_service.add_exclusion(application, name="王建国", institution="", reason="曾有学术争议")
    expert = demo.session.execute(select(Profile)).first()
    assert exclusion.expert_id is not None and expert is not None


# ------------------------------------------------------------------ submission


def test_incomplete_application_lists_what_is_missing(demo, applicant):
    application = started_application(demo, applicant)
    with pytest.raises(services.ApplicationError) as err:
        services.submit_application(application.id, applicant)
    text = " ".join(err.value.messages)
    assert "题目" in text and "个人简历" in text and "推荐信" in text
    assert application.state == "draft"


def test_submit_freezes_snapshot_makes_book_and_tells_the_unit(demo, applicant):
    application = started_application(demo, applicant)
    fill_application(demo, application)
    _give_letter(demo, application)
    outcome = services.submit_application(application.id, applicant)
    commit()
    assert not outcome.already and application.state == "submitted" and application.submitted_at
    snap = application.snapshot
    assert snap["applicant"]["name"] == "张𠮷" and snap["applicant"]["id_number_masked"] == "110***********1234"
    assert snap["reference"] == services.reference(application)
    assert all(r["passed"] for r in snap["eligibility"])
    demo.session.refresh(application)
    assert application.book is not None and application.book.page_count >= 2
    unit_mail = demo.session.execute(
        select(OutboxMessage).where(
            OutboxMessage.to_address == "unit@demo.talent.cn", OutboxMessage.template == "application_status"
        )
    ).first()
    assert unit_mail is not None
    with pytest.raises(services.ApplicationError):
        services.ensure_editable(application)


def test_submitting_twice_submits_once(demo, applicant):
    application = started_application(demo, applicant)
    fill_application(demo, application)
    _give_letter(demo, application)
    services.submit_application(application.id, applicant)
    commit()
    second = services.submit_application(application.id, applicant)
    commit()
    assert second.already
    assert len(_audit(demo, application, "application.submit")) == 1
    assert application.submission_count == 1


@pytest.mark.parametrize("offset_seconds,accepted", [(-1, True), (0, False), (1, False)])
def test_deadline_to_the_second(demo, applicant, monkeypatch, offset_seconds, accepted):
    application = started_application(demo, applicant)
    fill_application(demo, application)
    _give_letter(demo, application)
    closes = application.call.closes_at
    monkeypatch.setattr(services, "utcnow", lambda: closes + timedelta(seconds=offset_seconds))
    if accepted:
        services.submit_application(application.id, applicant)
        assert application.state == "submitted"
    else:
        with pytest.raises(services.ApplicationError) as err:
            services.submit_application(application.id, applicant)
        assert "截止" in err.value.messages[0] and services.beijing(closes) in err.value.messages[0]
        assert application.state == "draft"


def test_withdraw_before_decision_only(demo, applicant):
    application = started_application(demo, applicant)
    fill_application(demo, application)
    _give_letter(demo, application)
    services.submit_application(application.id, applicant)
    services.withdraw_application(application, applicant, "改投其他计划")
    assert application.state == "withdrawn"
    again = services.start_application(application.call, applicant, unit_id(demo))
    assert again.id != application.id  # a withdrawn application no longer blocks a new one
    again.state = "approved"
    again.submitted_at = utcnow()
    with pytest.raises(services.ApplicationError):
        services.withdraw_application(again, applicant)


def test_other_people_cannot_submit_my_application(demo, applicant, make_user):
    application = started_application(demo, applicant)
    stranger = make_user("applicant")
    with pytest.raises(LookupError):
        services.submit_application(application.id, stranger)


def test_id_number_is_encrypted_at_rest(demo, applicant):
    from sqlalchemy import text

    stored = demo.session.execute(
        text("SELECT id_number FROM profiles WHERE user_id = :u"), {"u": applicant.id}
    ).scalar_one()
    assert "110101199005011234" not in stored and stored.startswith("gAAAA")
    assert demo.session.get(Profile, applicant.id).id_number == "110101199005011234"


def test_applications_listed_for_unit_admins_of_parent_units(demo, applicant, make_user):
    from portal.applications.access import actor_roles
    from portal.programs.models import Unit

    application = started_application(demo, applicant)
    cas = demo.session.execute(select(Unit).where(Unit.code == "CAS")).scalar_one()
    thu = demo.session.execute(select(Unit).where(Unit.code == "THU")).scalar_one()
    parent_admin = make_user(("unit_admin", cas.id))
    other_admin = make_user(("unit_admin", thu.id))
    assert "unit_admin" in actor_roles(parent_admin, application)
    assert "unit_admin" not in actor_roles(other_admin, application)
