"""The program office's verbs on programs (portal/programs/program_admin.py): create and grant, edit under the
optimistic lock, versions of documents / questions / rules, archive, restore and delete."""

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import UserRole
from portal.applications.models import Application
from portal.applications.services import applicant_facts, profile_facts
from portal.audit.models import AuditEntry
from portal.i18n import in_locale
from portal.office import program_admin as programs
from portal.programs.access import can_manage
from portal.programs.errors import ProgramError, StaleEdit
from portal.programs.models import Call, Program, ProgramRules
from tests.factories import CallFactory, EducationFactory, PositionFactory, ProfileFactory, ProgramFactory

SETTINGS = dict(
    name_zh="青年英才开发计划",
    name_en="Young Talents Plan",
    level="institute",
    category="young",
    experts_per_application=3,
    referees_required=0,
    notice_required=True,
    notice_days=7,
)
DOCS = [{"code": "cv", "zh": "简历", "en": "CV"}]
QUESTIONS = [{"code": "returns", "type": "bool", "zh": "全职回国", "en": "Returns full-time"}]
RULES = [{"rule": "max_age", "value": 35}, {"rule": "extra_true", "field": "returns"}]
# As stored: a question rule without labels of its own takes its question's (the applicant's reason names it).
STORED_RULES = [RULES[0], {**RULES[1], "label_zh": "全职回国", "label_en": "Returns full-time"}]


@pytest.fixture(autouse=True)
def english(db):
    with in_locale("en"):
        yield


@pytest.fixture()
def holder(make_user, db):
    """A program admin who holds one named program (not office-wide)."""
    other = ProgramFactory(code="other", name_zh="其他", name_en="Other", level="national", category="top")
    user = make_user(("program_admin", None, other.id), name="周敏")
    assert user.program_ids == {other.id}
    return user


@pytest.fixture()
def office(make_user):
    return make_user("program_admin", name="陈静")


def make(actor, code="youth_x", **changes):
    return programs.create_program(
        actor,
        code=code,
        required_documents=DOCS,
        extra_fields=QUESTIONS,
        eligibility_rules=RULES,
        **{**SETTINGS, **changes},
    )


def actions(db, program):
    return [
        e.action
        for e in db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.object_type == "Program", AuditEntry.object_id == str(program.id))
            .order_by(AuditEntry.id)
        ).scalars()
    ]


# ---------------------------------------------------------------- create


def test_create_makes_version_one_and_grants_the_creator(db, holder):
    program = make(holder)
    db.session.commit()
    assert program.version == 1 and program.updated_by_id == holder.id and program.updated_at is not None
    [first] = program.rule_versions
    assert (first.number, first.created_by_id) == (1, holder.id)
    assert first.eligibility_rules == STORED_RULES and first.extra_fields[0]["required"] is True
    assert first.required_documents == [{"code": "cv", "zh": "简历", "en": "CV", "required": True, "max_files": 1}]
    grant = db.session.execute(
        select(UserRole).where(UserRole.user_id == holder.id, UserRole.program_id == program.id)
    ).scalar_one()
    assert grant.role == "program_admin"
    db.session.refresh(holder)
    assert can_manage(holder, program)
    assert actions(db, program) == ["program.created"]
    granted = (
        db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "user.role_granted", AuditEntry.object_id == str(holder.id))
        )
        .scalars()
        .all()
    )
    assert granted[-1].data["program_id"] == program.id


def test_an_office_wide_admin_gets_no_extra_grant(db, office):
    program = make(office)
    db.session.commit()
    assert db.session.execute(select(UserRole).where(UserRole.program_id == program.id)).first() is None
    assert office.program_ids is None


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(code="Bad Code"), "code"),
        (dict(code=""), "code"),
        (dict(name_en=" "), "name_en"),
        (dict(level="city"), "level"),
        (dict(category="famous"), "category"),
        (dict(experts_per_application=2), "experts_per_application"),
        (dict(referees_required=-1), "referees_required"),
        (dict(notice_days=0), "notice_days"),
        (dict(notice_days=None), "notice_days"),
        (dict(unit_quota=-2), "unit_quota"),
        (dict(unit_scope_id=999999), "unit_scope_id"),
    ],
)
def test_create_refuses_bad_settings(db, office, changes, field):
    code = changes.pop("code", "youth_x")
    with pytest.raises(ProgramError) as refused:
        make(office, code=code, **changes)
    assert refused.value.field == field


def test_no_notice_needs_no_days(db, office):
    program = make(office, notice_required=False, notice_days=None)
    assert program.notice_days == 7 and program.notice_required is False


def test_codes_are_unique(db, office):
    make(office)
    with pytest.raises(ProgramError, match="already uses the code"):
        make(office)


def test_create_refuses_bad_rules_documents_and_questions(db, office):
    with pytest.raises(ProgramError, match="Rule 2: The program has no question “nope”"):
        programs.create_program(
            office,
            code="x1",
            eligibility_rules=[{"rule": "max_age", "value": 35}, {"rule": "extra_true", "field": "nope"}],
            **SETTINGS,
        )
    with pytest.raises(ProgramError, match="Document 1: The number of files"):
        programs.create_program(office, code="x2", required_documents=[{**DOCS[0], "max_files": 0}], **SETTINGS)
    with pytest.raises(ProgramError, match="Question 1: A choice question needs at least two choices"):
        programs.create_program(
            office, code="x3", extra_fields=[{**QUESTIONS[0], "type": "choice", "choices": []}], **SETTINGS
        )


def test_refusals_in_chinese(db, office):
    with in_locale("zh_CN"), pytest.raises(ProgramError) as refused:
        programs.create_program(office, code="x1", eligibility_rules=[{"rule": "max_age", "value": -3}], **SETTINGS)
    assert refused.value.message == "条件 1：“年龄上限（周岁）”须为 0 或以上的整数。"


# ---------------------------------------------------------------- update and the lock


def test_update_records_what_changed(db, office):
    program = make(office)
    db.session.commit()
    changed = programs.update_program(
        program, office, version=program.version, **{**SETTINGS, "experts_per_application": 5, "blind_review": True}
    )
    db.session.commit()
    assert sorted(changed) == ["blind_review", "experts_per_application"]
    assert program.version == 2
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "program.updated")).scalar_one()
    assert entry.data == {
        "before": {"experts_per_application": 3, "blind_review": False},
        "after": {"experts_per_application": 5, "blind_review": True},
    }


def test_an_unchanged_save_changes_nothing(db, office):
    program = make(office)
    db.session.commit()
    assert programs.update_program(program, office, version=program.version, **SETTINGS) == []
    db.session.commit()
    assert program.version == 1 and actions(db, program) == ["program.created"]


def test_a_save_on_an_old_version_is_refused_naming_who_saved(db, office, make_user):
    program = make(office)
    db.session.commit()
    loaded = program.version
    colleague = make_user("program_admin", name="李娜")
    programs.update_program(program, colleague, version=loaded, **{**SETTINGS, "name_en": "Young Talents"})
    db.session.commit()
    with pytest.raises(StaleEdit, match="李娜 saved a newer version") as refused:
        programs.update_program(program, office, version=loaded, **{**SETTINGS, "experts_per_application": 7})
    assert refused.value.field == "version"
    for verb in (programs.save_rules, programs.save_documents, programs.save_questions):
        with pytest.raises(StaleEdit):
            verb(program, [], office, version=loaded)
    with pytest.raises(StaleEdit):
        programs.archive_program(program, office, version=loaded)
    with pytest.raises(StaleEdit):
        programs.delete_program(program, office, version=str(loaded))


def test_a_save_racing_past_the_check_fails_at_flush(db, office):
    program = make(office)
    db.session.commit()
    # Someone else's UPDATE lands after this session loaded the program: the check passes, the UPDATE does not.
    db.session.execute(text("UPDATE programs SET version = version + 1 WHERE id = :id"), {"id": program.id})
    with pytest.raises(StaleDataError):
        programs.update_program(program, office, version=program.version, **{**SETTINGS, "unit_quota": 3})


# ---------------------------------------------------------------- documents, questions, rules: versions


def test_changed_rules_make_a_new_version_and_unchanged_ones_do_not(db, office):
    program = make(office)
    db.session.commit()
    new_rules = [{"rule": "max_age", "value": 40}, STORED_RULES[1]]
    saved = programs.save_rules(program, new_rules, office, version=program.version)
    db.session.commit()
    assert saved.number == 2 and saved.created_by_id == office.id
    assert saved.eligibility_rules == new_rules and saved.required_documents == program.required_documents
    assert saved.extra_fields == program.extra_fields
    assert program.eligibility_rules == new_rules and program.version == 2
    assert programs.save_rules(program, new_rules, office, version=program.version) is None
    db.session.commit()
    assert [v.number for v in program.rule_versions] == [1, 2]
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "program.rules_saved")).scalar_one()
    assert entry.data["part"] == "eligibility_rules" and entry.data["number"] == 2
    assert entry.data["before"] == STORED_RULES and entry.data["after"] == new_rules


def test_documents_with_defaults_spelt_out_are_no_change(db, office):
    program = make(office)
    db.session.commit()
    assert (
        programs.save_documents(
            program, [{**DOCS[0], "required": True, "max_files": 1}], office, version=program.version
        )
        is None
    )
    saved = programs.save_documents(
        program,
        DOCS + [{"code": "papers", "zh": "论文", "en": "Papers", "max_files": 5, "required": False}],
        office,
        version=program.version,
    )
    assert saved.number == 2 and saved.required_documents[1]["max_files"] == 5


def test_questions_a_rule_reads_cannot_go(db, office):
    program = make(office)
    db.session.commit()
    with pytest.raises(ProgramError, match="Eligibility rule 2 .* reads the question “returns”"):
        programs.save_questions(program, [], office, version=program.version)
    with pytest.raises(ProgramError):
        programs.save_questions(program, [{**QUESTIONS[0], "type": "number"}], office, version=program.version)
    saved = programs.save_questions(
        program,
        QUESTIONS + [{"code": "years", "type": "number", "zh": "年数", "en": "Years", "min": 0, "max": 50}],
        office,
        version=program.version,
    )
    assert saved.number == 2 and saved.extra_fields[1]["max"] == 50


def test_rules_are_checked_against_the_saved_questions(db, office):
    program = make(office)
    db.session.commit()
    with pytest.raises(ProgramError, match="needs a question of type “Numeric”"):
        programs.save_rules(
            program, [{"rule": "min_extra", "field": "returns", "value": 1}], office, version=program.version
        )


def test_a_pinned_call_keeps_its_version(db, office):
    program = make(office)
    db.session.flush()
    call = CallFactory(program=program, year=2027, rules=program.rule_versions[0])
    db.session.commit()
    programs.save_rules(program, [{"rule": "max_age", "value": 45}], office, version=program.version)
    db.session.commit()
    assert call.eligibility_rules == STORED_RULES
    assert programs.calls_by_version(program) == {program.rule_versions[0].id: [call]}


# ---------------------------------------------------------------- archive, restore, delete


def test_archive_and_restore(db, office):
    program = make(office)
    db.session.commit()
    programs.archive_program(program, office, version=program.version)
    db.session.commit()
    assert program.is_archived
    with pytest.raises(ProgramError, match="already archived"):
        programs.archive_program(program, office, version=program.version)
    with pytest.raises(ProgramError, match="restore it before changing it"):
        programs.save_rules(program, [], office, version=program.version)
    with pytest.raises(ProgramError, match="restore it before changing it"):
        programs.update_program(program, office, version=program.version, **SETTINGS)
    programs.restore_program(program, office, version=program.version)
    db.session.commit()
    assert not program.is_archived
    with pytest.raises(ProgramError, match="not archived"):
        programs.restore_program(program, office, version=program.version)
    assert actions(db, program) == ["program.created", "program.archived", "program.restored"]


def test_a_program_with_applications_cannot_be_deleted(demo, office):
    program = demo.session.execute(select(Program).where(Program.code == "bairen")).scalar_one()
    assert programs.application_count(program) > 0
    with pytest.raises(ProgramError, match="archive it instead"):
        programs.delete_program(program, office, version=program.version)


def test_a_program_nobody_applied_to_is_deleted_with_its_calls_versions_and_grants(db, holder):
    program = make(holder)
    db.session.flush()
    CallFactory(program=program, year=2027, draft=True)
    db.session.commit()
    program_id = program.id
    with pytest.raises(ProgramError, match="tick the box"):
        programs.delete_program(program, holder, version=program.version)
    programs.delete_program(program, holder, version=program.version, confirmed=True)
    db.session.commit()
    assert db.session.get(Program, program_id) is None
    assert db.session.execute(select(Call).where(Call.program_id == program_id)).first() is None
    assert db.session.execute(select(ProgramRules).where(ProgramRules.program_id == program_id)).first() is None
    assert db.session.execute(select(UserRole).where(UserRole.program_id == program_id)).first() is None
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "program.deleted")).scalar_one()
    assert entry.data["code"] == "youth_x" and entry.data["calls"] == [2027]


# ---------------------------------------------------------------- trying rules on a profile


def test_profile_facts_is_what_applicant_facts_gives(demo):
    application = (
        demo.session.execute(select(Application).where(Application.state != "draft").order_by(Application.id))
        .scalars()
        .first()
    )
    program = application.call.program
    assert applicant_facts(application) == profile_facts(
        application.applicant_id, program, extra=application.extra, exclude_application_id=application.id
    )
    everything = profile_facts(application.applicant_id, program)
    assert everything.extra == {}
    assert program.level in everything.live_application_levels | everything.held_program_levels


def test_try_rules_on_a_person_without_an_application(db, office, make_user):
    program = make(office)
    person = make_user("applicant", email="try@example.cn")
    ProfileFactory(user=person, birth_date=date(1960, 1, 1), nationality="CN")
    EducationFactory(user=person, degree="phd", institution="MIT", country="US", year=1990)
    PositionFactory(
        user=person,
        employer="MIT",
        country="US",
        title="Professor",
        post_level="professor",
        start_date=date(1995, 1, 1),
    )
    db.session.commit()
    trial = programs.try_rules(
        program,
        [
            {"rule": "max_age", "value": 35},
            {"rule": "min_degree", "value": "phd"},
            {"rule": "extra_true", "field": "returns"},
        ],
        "TRY@example.cn",
    )
    assert trial.person.id == person.id and trial.call is None and trial.application_id is None
    assert [r.passed for r in trial.results] == [False, True, False]
    assert "exceeds the limit of 35" in trial.results[0].message_en
    with pytest.raises(ProgramError, match="No one with a profile") as refused:
        programs.try_rules(program, [], "nobody@example.cn")
    assert refused.value.field == "try_email"
    with pytest.raises(ProgramError, match="No one with a profile"):
        programs.try_rules(program, [], office.email)  # an account without a profile


def test_try_rules_reads_the_answers_of_a_submitted_application_never_of_a_draft(demo):
    from portal.accounts.models import User
    from portal.programs.models import Program

    application = (
        demo.session.execute(select(Application).where(Application.state != "draft").order_by(Application.id))
        .scalars()
        .first()
    )
    program = demo.session.get(Program, application.call.program_id)
    application.extra = {"returns": True}
    demo.session.flush()
    rule = [{"rule": "extra_true", "field": "returns"}]
    email = demo.session.get(User, application.applicant_id).email
    assert programs.try_rules(program, rule, email).results[0].passed
    application.state, application.submitted_at = "draft", None  # the same answers in a draft: not the office's
    demo.session.flush()
    trial = programs.try_rules(program, rule, email)
    assert trial.application_id is None and not trial.results[0].passed
