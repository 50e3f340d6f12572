"""The program office's call verbs: create, copy, edit a draft, unit quotas, attachments and the call's life."""

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.applications.models import Application, Referee
from portal.audit.models import AuditEntry
from portal.database import utcnow
from portal.decisions.models import DecisionSession
from portal.i18n import in_locale
from portal.notifications.models import OutboxMessage
from portal.office import call_life
from portal.programs import call_admin as calls
from portal.programs.errors import ProgramError, StaleEdit
from portal.programs.models import Call, CallUnitQuota, ProgramRules
from portal.reviews.evaluation.schemes import latest, save_version, seed_schemes
from portal.reviews.models import EvaluationScheme
from portal.storage import Document
from tests.factories import ApplicationFactory, DecisionSessionFactory, ProgramFactory, pdf_bytes

DAY = timedelta(days=1)
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture(autouse=True)
def english(db):
    """The messages are checked in English; the Chinese ones where a test says so."""
    with in_locale("en"):
        yield


@pytest.fixture()
def program(db):
    found = ProgramFactory(qingnian=True)
    db.session.commit()
    return found


@pytest.fixture()
def office(make_user):
    return make_user("program_admin", name="陈静")


def figures(year=2027, **changes):
    now = utcnow()
    values = dict(
        year=year,
        title_zh=f"青年英才开发计划 {year} 年度申报",
        title_en=f"Young Talent Programme, {year} call",
        opens_at=now - DAY,
        closes_at=now + 30 * DAY,
        cutoff_date=date(year, 12, 31),
        total_quota=10,
        review_due=(now + 60 * DAY).date(),
    )
    values.update(changes)
    return values


def actions(db, call):
    return [
        e.action
        for e in db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.object_type == "Call", AuditEntry.object_id == str(call.id))
            .order_by(AuditEntry.id)
        ).scalars()
    ]


def applicant_with(db, make_user, call, state, unit, locale="zh_CN", email=None):
    user = make_user("applicant", locale=locale, email=email)
    ApplicationFactory(
        call=call, applicant=user, unit=unit, state=state, submitted_at=None if state == "draft" else utcnow()
    )
    return user


# ---------------------------------------------------------------- create, copy, edit


def test_create_call_is_a_draft_with_the_programs_unit_quota(db, program, office):
    call = calls.create_call(program, actor=office, **figures())
    db.session.commit()
    assert call.status == "draft" and call.unit_quota == 4 and call.rules_id is None
    assert call.updated_by_id == office.id and call.version == 1
    assert actions(db, call) == ["call.created"]
    explicit = calls.create_call(program, actor=office, **figures(2028, unit_quota=None))
    assert explicit.unit_quota is None


def test_create_refused_for_an_archived_program(db, program, office):
    program.archived_at = utcnow()
    db.session.commit()
    with pytest.raises(ProgramError) as refused:
        calls.create_call(program, actor=office, **figures())
    assert "archived" in refused.value.message


def test_create_validates_each_field(db, program, office):
    calls.create_call(program, actor=office, **figures())
    closes = utcnow() + 5 * DAY
    with pytest.raises(calls.CallInvalid) as refused:
        calls.create_call(
            program,
            actor=office,
            **figures(2027, closes_at=closes, opens_at=closes + DAY, cutoff_date=None, review_due=closes.date()),
        )
    problems = refused.value.problems
    assert set(problems) == {"year", "closes_at", "cutoff_date", "review_due"}
    assert "already has a call for 2027" in problems["year"][0]
    assert problems["closes_at"] == ["The call must close after it opens."]
    with in_locale("zh_CN"), pytest.raises(calls.CallInvalid) as chinese:
        calls.create_call(program, actor=office, **figures(2029, cutoff_date=None))
    assert "截止" in chinese.value.problems["cutoff_date"][0] or "计算" in chinese.value.problems["cutoff_date"][0]


def test_review_due_is_compared_with_the_closing_date_in_beijing(db, program, office):
    # Closes at 01:00 Beijing on 1 April (17:00 UTC on 31 March): a review due on 1 April is not after it.
    closes = datetime(2027, 4, 1, 1, 0, tzinfo=BEIJING).astimezone(UTC)
    with pytest.raises(calls.CallInvalid) as refused:
        calls.create_call(
            program, actor=office, **figures(opens_at=closes - 30 * DAY, closes_at=closes, review_due=date(2027, 4, 1))
        )
    assert set(refused.value.problems) == {"review_due"}
    assert calls.create_call(
        program, actor=office, **figures(opens_at=closes - 30 * DAY, closes_at=closes, review_due=date(2027, 4, 2))
    )


def test_copy_moves_every_date_a_year_and_copies_quotas_and_guide(db, program, office, unit):
    opens = datetime(2026, 3, 1, 9, 0, tzinfo=BEIJING).astimezone(UTC)
    closes = datetime(2026, 5, 31, 17, 0, tzinfo=BEIJING).astimezone(UTC)
    source = calls.create_call(
        program,
        actor=office,
        year=2026,
        title_zh="青年英才开发计划 2026 年度申报",
        title_en="Young Talent Programme, 2026 call",
        opens_at=opens,
        closes_at=closes,
        cutoff_date=date(2026, 12, 31),
        total_quota=12,
        review_due=date(2026, 7, 15),
        unit_quota=3,
        guide_zh="# 2026 年度申报指南",
        guide_en="# Guide",
    )
    source.unit_quotas.append(CallUnitQuota(unit_id=unit.id, quota=1))
    calls.add_attachment(source, pdf_bytes(), filename="guide.pdf", label_zh="申报指南", actor=office)
    db.session.commit()
    assert calls.last_call(program) is source

    copy = calls.copy_call(source, actor=office)
    db.session.commit()
    assert copy.year == 2027 and copy.status == "draft"
    assert copy.title_zh == "青年英才开发计划 2027 年度申报" and copy.title_en == "Young Talent Programme, 2027 call"
    assert copy.opens_at.astimezone(BEIJING) == datetime(2027, 3, 1, 9, 0, tzinfo=BEIJING)
    assert copy.closes_at.astimezone(BEIJING) == datetime(2027, 5, 31, 17, 0, tzinfo=BEIJING)
    assert copy.cutoff_date == date(2027, 12, 31) and copy.review_due == date(2027, 7, 15)
    assert (copy.total_quota, copy.unit_quota) == (12, 3)
    assert [(q.unit_id, q.quota) for q in copy.unit_quotas] == [(unit.id, 1)]
    assert copy.guide_zh == "# 2026 年度申报指南" and copy.guide_en == "# Guide"
    assert copy.attachments == [] and len(source.attachments) == 1
    assert actions(db, copy) == ["call.created", "call.copied"]
    assert calls.last_call(program) is copy
    # The next copy would be 2028; copying 2026 again clashes with 2027.
    with pytest.raises(calls.CallInvalid) as refused:
        calls.copy_call(source, actor=office)
    assert "year" in refused.value.problems


def test_copy_of_a_leap_day(db, program, office):
    source = calls.create_call(program, actor=office, **figures(2028, cutoff_date=date(2028, 2, 29), review_due=None))
    assert calls.copy_call(source, actor=office).cutoff_date == date(2029, 2, 28)


def test_year_in_titles_is_replaced_only_where_it_stands_alone():
    assert calls.year_in("2026 年度（编号 120261）", 2026, 2027) == "2027 年度（编号 120261）"


def test_update_a_draft_with_the_version_it_was_loaded_with(db, program, office, make_user):
    call = calls.create_call(program, actor=office, **figures())
    db.session.commit()
    loaded = call.version
    other = make_user("program_admin", name="王磊")
    calls.update_call(call, actor=other, version=loaded, total_quota=15, guide_zh="新的指南")
    db.session.commit()
    assert call.total_quota == 15 and call.version == loaded + 1 and call.updated_by_id == other.id
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "call.updated")).scalar_one()
    assert entry.data["before"] == {"total_quota": 10} and entry.data["after"] == {"total_quota": 15}
    assert entry.data["guide_changed"] is True
    # The first office member still has the old version in their form: refused, naming who saved.
    with pytest.raises(StaleEdit) as stale:
        calls.update_call(call, actor=office, version=loaded, total_quota=20)
    assert "王磊" in stale.value.message
    db.session.rollback()
    assert db.session.get(Call, call.id).total_quota == 15


def test_only_a_draft_is_edited(db, program, office):
    call = calls.create_call(program, actor=office, **figures())
    call_life.publish(call, actor=office)
    db.session.commit()
    with pytest.raises(ProgramError) as refused:
        calls.update_call(call, actor=office, version=call.version, total_quota=3)
    assert "Only a draft" in refused.value.message


# ---------------------------------------------------------------- unit quotas


def test_unit_quotas_blank_means_the_default(db, program, office, unit):
    call = calls.create_call(program, actor=office, **figures())
    parent = unit.parent
    db.session.commit()
    units = [u for u, _depth in calls.quota_units(call)]
    assert parent in units and unit in units
    calls.set_unit_quotas(call, {parent.id: 2, unit.id: None}, actor=office, version=call.version)
    db.session.commit()
    assert call.quota_for_unit(parent.id) == 2 and call.quota_for_unit(unit.id) == 4
    calls.set_unit_quotas(call, {parent.id: None, unit.id: 0}, actor=office, version=call.version)
    db.session.commit()
    assert [(q.unit_id, q.quota) for q in call.unit_quotas] == [(unit.id, 0)]
    assert call.quota_for_unit(parent.id) == 4 and call.quota_for_unit(unit.id) == 0
    assert actions(db, call).count("call.unit_quotas_set") == 2
    with pytest.raises(StaleEdit):
        calls.set_unit_quotas(call, {unit.id: 1}, actor=office, version=call.version - 1)


def test_unit_quota_table_is_the_programs_subtree(db, program, office, unit):
    program.unit_scope_id = unit.id
    db.session.commit()
    call = calls.create_call(program, actor=office, **figures())
    assert calls.quota_units(call) == [(unit, 0)]
    with pytest.raises(ProgramError):
        calls.set_unit_quotas(call, {unit.parent_id: 1}, actor=office, version=call.version)


def test_unit_quotas_frozen_once_review_starts(db, program, office, unit):
    seed_schemes()
    call = calls.create_call(program, actor=office, **figures())
    call_life.publish(call, actor=office)
    call.closes_at = utcnow() - timedelta(seconds=1)
    call_life.start_review(call, actor=office)
    with pytest.raises(ProgramError):
        calls.set_unit_quotas(call, {unit.id: 1}, actor=office, version=call.version)


# ---------------------------------------------------------------- attachments and the guide


def test_attachment_is_a_call_guide_document(db, program, office):
    call = calls.create_call(program, actor=office, **figures())
    attachment = calls.add_attachment(
        call, pdf_bytes(3), filename="指南.pdf", label_zh="申报指南", label_en="Guide", actor=office
    )
    db.session.commit()
    document = attachment.document
    assert (document.kind, document.application_id, document.owner_id, document.page_count) == (
        "call_guide",
        None,
        office.id,
        3,
    )
    assert call.attachments == [attachment] and attachment.label("en") == "Guide"
    calls.remove_attachment(call, attachment, actor=office)
    db.session.commit()
    assert call.attachments == [] and db.session.get(Document, document.id) is None
    assert actions(db, call)[-2:] == ["call.attachment_added", "call.attachment_removed"]


def test_a_non_pdf_attachment_is_refused(db, program, office):
    call = calls.create_call(program, actor=office, **figures())
    with pytest.raises(ProgramError) as refused:
        calls.add_attachment(call, b"GIF89a not a pdf", filename="x.gif", label_zh="图片", actor=office)
    assert refused.value.field == "file" and "not a PDF" in refused.value.message
    with pytest.raises(ProgramError) as unlabelled:
        calls.add_attachment(call, pdf_bytes(), filename="x.pdf", label_zh=" ", actor=office)
    assert unlabelled.value.field == "label_zh"


def test_guide_is_rendered_without_raw_html_or_javascript_links():
    html = calls.render_guide(
        "# 申报指南\n\n**重要**：见 [附件](https://example.cn/a.pdf)\n\n"
        "<script>alert(1)</script>\n\n[点我](javascript:alert(1)) "
        "[数据](data:text/html;base64,PHNjcmlwdD4=)\n\n<img src=x onerror=alert(1)>"
    )
    assert "<h1>申报指南</h1>" in html and "<strong>重要</strong>" in html
    assert '<a href="https://example.cn/a.pdf">附件</a>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html
    assert "javascript:" not in html.replace("[点我](javascript:alert(1))", "")
    assert 'href="javascript' not in html and 'href="data' not in html
    assert calls.render_guide("") == "" and calls.render_guide("   ") == ""


def test_guide_pictures_from_elsewhere_are_not_embedded():
    # Offline intranet and a CSP that loads nothing from outside: a picture would only show as a broken frame.
    html = calls.render_guide("![图](http://elsewhere.example/x.png)")
    assert "<img" not in html


# ---------------------------------------------------------------- publish and back to draft


def test_publish_pins_version_one_when_the_program_has_none(db, program, office):
    call = calls.create_call(program, actor=office, **figures())
    assert program.rule_versions == []
    call_life.publish(call, actor=office)
    db.session.commit()
    assert call.status == "open" and call.published_at is not None
    rules = call.rules
    assert rules.number == 1 and rules.eligibility_rules == [{"rule": "max_age", "value": 35}]
    assert rules.required_documents == program.required_documents
    assert actions(db, call)[-1] == "call.published"


def test_rules_pinned_at_publish_stay_when_the_program_changes(db, program, office):
    db.session.add(
        ProgramRules(
            program_id=program.id,
            number=1,
            eligibility_rules=[{"rule": "max_age", "value": 35}],
            required_documents=[],
            extra_fields=[],
        )
    )
    db.session.add(
        ProgramRules(
            program_id=program.id,
            number=2,
            eligibility_rules=[{"rule": "max_age", "value": 40}],
            required_documents=[],
            extra_fields=[],
        )
    )
    db.session.commit()
    call = calls.create_call(program, actor=office, **figures())
    call_life.publish(call, actor=office)
    db.session.commit()
    assert call.rules.number == 2
    # The program is edited later: a version 3 and a new working copy. The published call keeps version 2.
    db.session.add(
        ProgramRules(
            program_id=program.id,
            number=3,
            eligibility_rules=[{"rule": "max_age", "value": 45}],
            required_documents=[],
            extra_fields=[],
        )
    )
    program.eligibility_rules = [{"rule": "max_age", "value": 45}]
    db.session.commit()
    db.session.expire_all()
    call = db.session.get(Call, call.id)
    assert call.rules.number == 2 and call.eligibility_rules == [{"rule": "max_age", "value": 40}]
    # A call published after the edit takes version 3.
    later = calls.create_call(program, actor=office, **figures(2028))
    call_life.publish(later, actor=office)
    assert later.rules.number == 3
    assert len(db.session.execute(select(ProgramRules).where(ProgramRules.program_id == program.id)).all()) == 3


def test_publish_refusals_in_the_users_language(db, program, office):
    call = calls.create_call(program, actor=office, **figures())
    call.closes_at = utcnow() - DAY
    call.opens_at = utcnow() - 2 * DAY
    with pytest.raises(ProgramError) as refused:
        call_life.publish(call, actor=office)
    assert refused.value.messages == ["The closing time has already passed: choose a closing time in the future."]
    with in_locale("zh_CN"), pytest.raises(ProgramError) as chinese:
        call_life.publish(call, actor=office)
    assert "截止时间" in chinese.value.message
    db.session.rollback()
    published = calls.create_call(program, actor=office, **figures(2030))
    call_life.publish(published, actor=office)
    with pytest.raises(ProgramError) as twice:
        call_life.publish(published, actor=office)
    assert "Open" in twice.value.message and "Publish" in twice.value.message


def test_back_to_draft_only_before_opening(db, program, office):
    call = calls.create_call(program, actor=office, **figures(opens_at=utcnow() + 2 * DAY))
    call_life.publish(call, actor=office)
    call_life.unpublish(call, actor=office)
    assert call.status == "draft" and call.rules_id is None and call.published_at is None
    call_life.publish(call, actor=office)
    with pytest.raises(ProgramError) as refused:
        call_life.unpublish(call, actor=office, now=call.opens_at)
    assert "cannot go back to draft" in refused.value.message
    assert actions(db, call)[-3:] == ["call.published", "call.unpublished", "call.published"]


# ---------------------------------------------------------------- extend


def test_extend_emails_the_draft_holders_only_in_their_language(db, program, office, make_user, unit):
    call = calls.create_call(program, actor=office, **figures())
    call_life.publish(call, actor=office)
    zh = applicant_with(db, make_user, call, "draft", unit, email="zh@example.cn")
    applicant_with(db, make_user, call, "returned", unit, locale="en", email="en@example.cn")
    applicant_with(db, make_user, call, "submitted", unit, email="done@example.cn")
    applicant_with(db, make_user, call, "withdrawn", unit, email="gone@example.cn")
    old = call.closes_at
    new = old + 7 * DAY
    draft = db.session.execute(select(Application).where(Application.applicant_id == zh.id)).scalar_one()
    waiting = Referee(
        application_id=draft.id, name="李教授", email="li@example.cn", token_hash="a" * 64, expires_at=old
    )
    arrived = Referee(
        application_id=draft.id,
        name="张教授",
        email="zhang@example.cn",
        token_hash="b" * 64,
        expires_at=old,
        letter_received_at=utcnow(),
    )
    db.session.add_all([waiting, arrived])
    db.session.flush()
    told = call_life.extend_deadline(call, new, actor=office)
    db.session.commit()
    db.session.expire_all()
    assert waiting.expires_at == new and arrived.expires_at == old
    assert sorted(told) == ["en@example.cn", "zh@example.cn"]
    assert call.closes_at == new and call.status == "open"
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "call.deadline_extended")).scalar_one()
    assert entry.data["old_closes_at"] == old.isoformat() and entry.data["new_closes_at"] == new.isoformat()
    mails = {
        m.to_address: m
        for m in db.session.execute(
            select(OutboxMessage).where(OutboxMessage.template == "call_deadline_extended")
        ).scalars()
    }
    assert set(mails) == {"zh@example.cn", "en@example.cn"}
    local_new = new.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    english_mail = mails["en@example.cn"]
    assert "deadline has been extended" in english_mail.subject and local_new in english_mail.subject
    assert "Young Talent Programme" in english_mail.subject and "2027 call" in english_mail.body_text
    assert mails["zh@example.cn"].locale == "zh_CN" and "青年英才开发计划" in mails["zh@example.cn"].subject
    assert "延长" in mails["zh@example.cn"].subject or "截止" in mails["zh@example.cn"].subject


def test_extend_must_be_later_and_in_the_future(db, program, office):
    call = calls.create_call(program, actor=office, **figures())
    call_life.publish(call, actor=office)
    with pytest.raises(ProgramError) as earlier:
        call_life.extend_deadline(call, call.closes_at - DAY, actor=office)
    assert "later than the current one" in earlier.value.message
    # A call that closed by itself may reopen until the review starts, to a time still ahead.
    closed_at = utcnow() - timedelta(hours=2)
    call.closes_at = closed_at
    assert call.effective_status() == "closed"
    with pytest.raises(ProgramError) as past:
        call_life.extend_deadline(call, closed_at + timedelta(hours=1), actor=office)
    assert "already passed" in past.value.message
    call_life.extend_deadline(call, utcnow() + DAY, actor=office)
    assert call.effective_status() == "open"


def test_a_draft_deadline_is_not_extended(db, program, office):
    call = calls.create_call(program, actor=office, **figures())
    with pytest.raises(ProgramError):
        call_life.extend_deadline(call, call.closes_at + DAY, actor=office)


# ---------------------------------------------------------------- start review


def _closed_call(db, program, office):
    seed_schemes()
    call = calls.create_call(program, actor=office, **figures())
    call_life.publish(call, actor=office)
    call.closes_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    return call


def test_start_review_is_refused_while_applications_wait_unless_confirmed(db, program, office, make_user, unit):
    call = _closed_call(db, program, office)
    applicant_with(db, make_user, call, "submitted", unit)
    applicant_with(db, make_user, call, "unit_endorsed", unit)
    applicant_with(db, make_user, call, "unit_endorsed", unit)
    applicant_with(db, make_user, call, "under_review", unit)
    with pytest.raises(ProgramError) as refused:
        call_life.start_review(call, actor=office)
    assert refused.value.messages == [
        "1 applications still wait for unit review and 2 for the formal check. Tick "
        "the confirmation to start the review anyway."
    ]
    assert call.status == "open" and call.scheme_id is None
    call_life.start_review(call, actor=office, confirmed=True)
    assert call.status == "review" and call.review_started_at is not None
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "call.review_started")).scalar_one()
    assert entry.data["confirmed"] is True and entry.data["waiting_unit_review"] == 1


def test_a_pending_formal_recheck_counts_as_waiting_for_the_formal_check(db, program, office, make_user, unit):
    call = _closed_call(db, program, office)
    applicant_with(db, make_user, call, "formal_recheck", unit)
    assert call_life.waiting_counts(call) == (0, 1)
    with pytest.raises(ProgramError):
        call_life.start_review(call, actor=office)


def test_start_review_freezes_the_scheme_version(db, program, office):
    call = _closed_call(db, program, office)
    frozen = latest("young")
    call_life.start_review(call, actor=office)
    db.session.commit()
    assert call.scheme_id == frozen.id and call_life.scheme_version(call) == frozen.version
    # A later scheme version does not change the call's.
    save_version("young", frozen.definition, actor=office, note="next year")
    db.session.commit()
    assert latest("young").version == frozen.version + 1
    assert db.session.get(Call, call.id).scheme_id == frozen.id
    assert db.session.get(EvaluationScheme, call.scheme_id).version == frozen.version
    assert "call.scheme_fixed" in actions(db, call) and actions(db, call)[-1] == "call.review_started"


def test_start_review_not_before_the_deadline(db, program, office):
    call = calls.create_call(program, actor=office, **figures())
    call_life.publish(call, actor=office)
    with pytest.raises(ProgramError) as refused:
        call_life.start_review(call, actor=office, confirmed=True)
    assert "Start review" in refused.value.message


# ---------------------------------------------------------------- mark decided


def test_mark_decided_needs_a_final_session_and_no_undecided_application(db, program, office, make_user, unit):
    call = _closed_call(db, program, office)
    call_life.start_review(call, actor=office)
    waiting = applicant_with(db, make_user, call, "reviewed", unit)
    applicant_with(db, make_user, call, "approved", unit)
    applicant_with(db, make_user, call, "returned", unit)  # never resubmitted before the deadline: out
    with pytest.raises(ProgramError) as refused:
        call_life.mark_decided(call, actor=office)
    assert len(refused.value.messages) == 2
    assert "not finalised" in refused.value.messages[0] and "1 applications" in refused.value.messages[1]
    DecisionSessionFactory(call=call, finalised=True, opened_by_id=office.id)
    with pytest.raises(ProgramError) as still:
        call_life.mark_decided(call, actor=office)
    assert still.value.messages == ["1 applications of the call still wait for a decision."]
    application = db.session.execute(select(Application).where(Application.applicant_id == waiting.id)).scalar_one()
    application.state = "rejected"
    # A new session opened after the first one was finalised is not final yet.
    DecisionSessionFactory(call=call, opened_by_id=office.id)
    with pytest.raises(ProgramError):
        call_life.mark_decided(call, actor=office)
    db.session.execute(DecisionSession.__table__.delete().where(DecisionSession.status == "draft"))
    call_life.mark_decided(call, actor=office)
    assert call.status == "decided" and call.decided_at is not None
    assert actions(db, call)[-1] == "call.decided"
    # The verbs at the end of the life: nothing more, attachments frozen.
    with pytest.raises(ProgramError):
        calls.add_attachment(call, pdf_bytes(), filename="late.pdf", label_zh="补充", actor=office)


def test_the_whole_life_through_effective_status(db, program, office):
    seed_schemes()
    call = calls.create_call(program, actor=office, **figures(opens_at=utcnow() + DAY))
    assert call.effective_status() == "draft"
    call_life.publish(call, actor=office)
    assert call.effective_status() == "open" and not call.is_open()
    assert call.effective_status(call.closes_at) == "closed"
    call.opens_at = utcnow() - DAY
    call.closes_at = utcnow() - timedelta(seconds=1)
    assert call.effective_status() == "closed" and call.status == "open"
    call_life.start_review(call, actor=office)
    assert call.effective_status() == "review"
    DecisionSessionFactory(call=call, finalised=True)
    call_life.mark_decided(call, actor=office)
    assert call.effective_status() == "decided"
    assert [a for a in actions(db, call) if a != "call.scheme_fixed"] == [
        "call.created",
        "call.published",
        "call.review_started",
        "call.decided",
    ]


def test_local_datetime_is_beijing_time(app):
    with app.app_context():
        moment = calls.local_datetime(date(2027, 3, 31), time(17, 0, 59))
    assert moment == datetime(2027, 3, 31, 9, 0, tzinfo=UTC)
