"""Regressions found reviewing issue 10 (program and call verbs): races on the unique year and code, retried
uploads, odd numbers, a deleted program's guide PDFs."""

import pytest
from sqlalchemy import select

from portal.applications import questions, services
from portal.database import commit
from portal.i18n import in_locale
from portal.office import program_admin as programs
from portal.programs import call_admin as calls
from portal.programs import rules_editor
from portal.programs.call_admin import CallInvalid
from portal.programs.errors import ProgramError
from portal.programs.models import Call, CallAttachment, Program
from portal.storage import Document
from tests.factories import call_of, make_profile, pdf_bytes, started_application
from tests.services.test_call_admin import figures, office, program  # noqa: F401 (fixtures)
from tests.services.test_call_questions import CV, PAPERS, pin
from tests.services.test_program_admin import SETTINGS


@pytest.fixture(autouse=True)
def english(db):
    with in_locale("en"):
        yield


def test_a_call_of_the_same_year_committed_after_the_check_is_refused_not_a_500(db, program, office, monkeypatch):
    calls.create_call(program, actor=office, **figures(2027))
    db.session.commit()
    # A colleague's (or a retried) request committed its 2027 call between this one's check and its INSERT.
    monkeypatch.setattr(calls, "call_problems", lambda *args, **kwargs: {})
    with pytest.raises(CallInvalid) as refused:
        calls.create_call(program, actor=office, **figures(2027))
    assert refused.value.problems == {"year": ["This program already has a call for 2027."]}
    # The session is still usable: the refused INSERT went with its savepoint.
    assert [c.year for c in db.session.execute(select(Call)).scalars()] == [2027]


def test_a_year_clash_on_edit_committed_after_the_check_is_refused(db, program, office, monkeypatch):
    calls.create_call(program, actor=office, **figures(2027))
    draft = calls.create_call(program, actor=office, **figures(2028))
    db.session.commit()
    monkeypatch.setattr(calls, "call_problems", lambda *args, **kwargs: {})
    with pytest.raises(CallInvalid) as refused:
        calls.update_call(draft, actor=office, version=draft.version, year=2027)
    assert refused.value.problems == {"year": ["This program already has a call for 2027."]}


def test_copying_the_same_call_twice_is_refused_by_the_year(db, program, office):
    source = calls.create_call(program, actor=office, **figures(2026))
    calls.copy_call(source, actor=office)
    db.session.commit()
    with pytest.raises(ProgramError):
        calls.copy_call(source, actor=office)
    db.session.rollback()
    assert sorted(c.year for c in db.session.execute(select(Call)).scalars()) == [2026, 2027]


def test_a_program_code_committed_after_the_check_is_refused_not_a_500(db, office, monkeypatch):
    programs.create_program(office, code="youth", **SETTINGS)
    db.session.commit()
    real, asked = programs._code_taken, []
    # The check runs before the colleague's commit (free); asked again after the INSERT fails, the code is taken.
    monkeypatch.setattr(programs, "_code_taken", lambda code: bool(asked.append(code)) or real(code) and len(asked) > 1)
    with pytest.raises(ProgramError) as refused:
        programs.create_program(office, code="youth", **SETTINGS)
    assert refused.value.field == "code" and "youth" in refused.value.message
    assert [p.code for p in db.session.execute(select(Program)).scalars()] == ["youth"]


@pytest.mark.parametrize("quota", [-1, calls.QUOTA_MAX + 1, 10**20])
def test_quotas_out_of_range_are_refused_by_the_services(db, program, office, quota):
    with pytest.raises(CallInvalid) as refused:
        calls.create_call(program, actor=office, **figures(total_quota=quota))
    assert set(refused.value.problems) == {"total_quota"}
    draft = calls.create_call(program, actor=office, **figures(2030))
    with pytest.raises(CallInvalid):
        calls.update_call(draft, actor=office, version=draft.version, unit_quota=quota)
    with pytest.raises(ProgramError) as refused:
        programs.create_program(office, code="big", **{**SETTINGS, "unit_quota": quota})
    assert refused.value.field == "unit_quota"


def test_numbers_too_large_for_a_float_are_not_numbers_in_the_editors():
    for text in ("1" + "0" * 400, "9" * 5000, "-" + "9" * 400):
        assert rules_editor._parse_number(text) is None
    rows = [
        {
            "code": "years",
            "type": "number",
            "zh": "年数",
            "en": "Years",
            "required": True,
            "min": "",
            "max": "9" * 5000,
            "choices": "",
        }
    ]
    _items, problems = rules_editor.questions_from_rows(rows)
    assert [p.code for p in problems] == ["question.bound_number"]
    rule = [{"kind": "min_extra", "field": "years", "value": "1" + "0" * 400}]
    _rules, problems = rules_editor.rules_from_rows(rule, [{"code": "years", "type": "number"}])
    assert [p.code for p in problems] == ["rule.not_number"]
    assert rules_editor._parse_number("30") == 30 and rules_editor._parse_number("2.5") == 2.5


def test_a_stored_bound_too_large_for_a_float_is_no_bound():
    stored = {"code": "years", "type": "number", "zh": "年数", "en": "Years", "max": 10**400}
    assert questions.question(stored).max is None


def test_a_retried_upload_of_a_many_files_document_is_stored_once(demo, make_user):

    applicant = make_user("applicant", name="王小明")
    make_profile(demo, applicant)
    pin(demo, call_of(demo, "bairen"), documents=[CV, PAPERS])
    application = started_application(demo, applicant)
    for _click in range(2):  # a double click sends the same file twice
        services.add_document(application, pdf_bytes(1), kind="papers", original_name="paper.pdf")
        commit()
        demo.session.refresh(application)
    names = (
        demo.session.execute(
            select(Document.original_name).where(Document.application_id == application.id, Document.kind == "papers")
        )
        .scalars()
        .all()
    )
    assert names == ["paper.pdf"]
    # Another file (or the same file under another name, on purpose) is a second one.
    services.add_document(application, pdf_bytes(2), kind="papers", original_name="paper.pdf")
    commit()
    assert (
        len(
            demo.session.execute(
                select(Document.id).where(Document.application_id == application.id, Document.kind == "papers")
            ).all()
        )
        == 2
    )


def test_deleting_a_program_deletes_its_calls_guide_pdfs(db, office):

    program = programs.create_program(office, code="short_lived", **SETTINGS)
    call = calls.create_call(program, actor=office, **figures())
    attachment = calls.add_attachment(call, pdf_bytes(1), filename="guide.pdf", label_zh="申报指南", actor=office)
    document_id = attachment.document_id
    commit()
    programs.delete_program(program, office, version=program.version, confirmed=True)
    commit()
    assert db.session.get(Document, document_id) is None
    assert db.session.execute(select(CallAttachment)).first() is None


def test_a_retried_attachment_upload_is_stored_once(db, program, office):

    call = calls.create_call(program, actor=office, **figures())
    first = calls.add_attachment(call, pdf_bytes(1), filename="guide.pdf", label_zh="申报指南", actor=office)
    again = calls.add_attachment(call, pdf_bytes(1), filename="guide.pdf", label_zh="申报指南", actor=office)
    assert again is first and len(call.attachments) == 1
    other = calls.add_attachment(call, pdf_bytes(1), filename="form.pdf", label_zh="推荐表", actor=office)
    assert other is not first and len(call.attachments) == 2


def test_the_review_fixing_its_scheme_does_not_make_the_offices_quota_form_stale(db, program, office, unit):
    from portal.reviews.evaluation.schemes import fix_scheme, seed_schemes

    seed_schemes()
    call = calls.create_call(program, actor=office, **figures())
    db.session.commit()
    loaded = call.version  # the office opens the unit quota form
    fix_scheme(call)  # meanwhile the first formal pass fixes the call's evaluation scheme
    db.session.commit()
    calls.set_unit_quotas(call, {unit.id: 2}, actor=office, version=loaded)
    db.session.commit()
    assert call.quota_for_unit(unit.id) == 2
    # An office edit still makes the form it raced stale.
    with pytest.raises(ProgramError, match="saved a newer version"):
        calls.set_unit_quotas(call, {unit.id: 3}, actor=office, version=loaded)
