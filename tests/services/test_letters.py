"""Letters: templates, serial numbers, PDFs read back, re-issuing, batches and verification (SPEC §6.4)."""

import hashlib
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.chinese import chinese_date
from portal.letters import services
from portal.letters.models import Letter, LetterJob, LetterTemplate
from portal.notifications.models import OutboxMessage
from portal.pdf.sandbox import TemplateError
from portal.storage import document_path, read_document
from tests.factories import submitted_application


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture()
def decided(db, demo, make_user):
    """Make applications of 百人计划 in a decided state: decided('awarded', name='吉𠮷')."""

    def make(state="awarded", name="吉𠮷"):
        application = submitted_application(db, make_user, name=name)
        application.state = state
        db.session.commit()
        return application

    return make


@pytest.fixture()
def admin(make_user):
    return make_user("program_admin", name="陈静")


def test_letter_pdf_holds_name_serial_code_and_chinese_date(db, decided, admin):
    application = decided(name="吉𠮷")
    letter = services.issue_letter(application, admin)
    db.session.commit()
    data = read_document(letter.document)
    text = pdf_text(data)
    assert "吉𠮷" in text
    assert letter.serial in text and letter.serial.startswith("〔") and "第0001号" in letter.serial
    assert letter.verification_code in text
    assert chinese_date(letter.issued_at.date()) in text or services.chinese_issue_date(letter) in text
    assert hashlib.sha256(data).hexdigest() == letter.sha256 == letter.document.sha256
    box = PdfReader(io.BytesIO(data)).pages[0].mediabox  # A4
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    # The applicant is told, with the download link.
    mail = db.session.execute(select(OutboxMessage).where(OutboxMessage.template == "letter_issued")).scalars().all()
    assert mail and mail[-1].to_address == application.applicant.email
    assert f"/applications/{application.id}/letter" in mail[-1].body_text


def test_serial_numbers_are_consecutive_per_program_and_year(db, decided, admin):
    letters = [services.issue_letter(decided(name=f"申请人{i}"), admin) for i in range(3)]
    db.session.commit()
    numbers = [letter.serial_no for letter in letters]
    assert numbers == [1, 2, 3]
    assert len({letter.serial for letter in letters}) == 3
    assert len({letter.verification_code for letter in letters}) == 3
    assert all(len(letter.verification_code.replace("-", "")) == 16 for letter in letters)


def test_outcomes_pick_their_own_template(db, decided, admin):
    rejected = services.issue_letter(decided("rejected", name="李四"), admin)
    waitlisted = services.issue_letter(decided("waitlisted", name="王五"), admin)
    db.session.commit()
    assert rejected.outcome == "rejected" and "未入选通知" in pdf_text(read_document(rejected.document))
    assert waitlisted.outcome == "waitlisted" and "候补通知" in pdf_text(read_document(waitlisted.document))
    with pytest.raises(services.LetterError):
        services.issue_letter(decided("under_review", name="赵六"), admin)


def test_reissue_revokes_the_old_letter_and_keeps_its_file(db, decided, admin):
    application = decided()
    first = services.issue_letter(application, admin)
    db.session.commit()
    path, before = document_path(first.document), first.sha256
    second = services.issue_letter(application, admin, "更正")
    db.session.commit()
    db.session.refresh(first)
    assert (first.status, first.replaced_by_id, first.revoked_at is not None) == ("revoked", second.id, True)
    assert (second.status, second.version) == ("valid", 2)
    assert second.serial_no == first.serial_no + 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before == first.sha256
    assert services.valid_letter(application.id).id == second.id


def test_the_database_refuses_a_second_letter_in_force(db, decided, admin):
    """Whatever runs at once, an application has one valid letter at most (a partial unique index)."""
    from sqlalchemy.exc import IntegrityError

    application = decided()
    first = services.issue_letter(application, admin)
    db.session.commit()
    twin = Letter(
        application_id=application.id,
        program_id=first.program_id,
        template_id=first.template_id,
        outcome=first.outcome,
        serial_year=first.serial_year,
        serial_no=first.serial_no + 1,
        serial="x",
        verification_code="TWIN-TWIN-TWIN-TWIN",
        version=2,
        status="valid",
        document_id=first.document_id,
        sha256=first.sha256,
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_templates_are_versioned_and_sandboxed(db, demo, admin):
    from portal.programs.models import Program

    program = db.session.execute(select(Program).where(Program.code == "bairen")).scalar_one()
    first = services.template_for(program, "approved")
    assert first.version == 1 and "{{ recipient_name }}" in first.source
    second = services.save_template(program, "approved", first.source.replace("特此通知", "特此函告"), admin, "wording")
    assert second.version == 2 and services.template_for(program, "approved").id == second.id
    with pytest.raises(TemplateError) as refused:
        services.save_template(program, "approved", "<p>{{ ''.__class__ }}</p>", admin, "")
    assert "__class__" in refused.value.message_en and refused.value.message_zh
    with pytest.raises(TemplateError):
        services.save_template(program, "approved", '<img src="file:///etc/passwd">', admin, "")
    count = (
        db.session.execute(
            select(LetterTemplate).where(LetterTemplate.program_id == program.id, LetterTemplate.outcome == "approved")
        )
        .scalars()
        .all()
    )
    assert len(count) == 2


def test_batch_issues_every_missing_letter(db, decided, admin):
    applications = [decided(name=f"批量{i}") for i in range(3)] + [decided("rejected", name="批量未入选")]
    services.issue_letter(applications[0], admin)  # already has its letter
    db.session.commit()
    call = applications[0].call
    job = services.start_batch(call, admin)
    db.session.commit()
    assert job.total == 3
    services.run_batch(job.id)
    job = db.session.get(LetterJob, job.id)
    assert (job.status, job.done, job.failed, job.total) == ("done", 3, 0, 3)
    assert job.finished_at is not None
    valid = db.session.execute(select(Letter).where(Letter.status == "valid")).scalars().all()
    assert {letter.application_id for letter in valid} >= {a.id for a in applications}
    services.run_batch(job.id)  # a retried job issues nothing twice
    assert len(db.session.execute(select(Letter)).scalars().all()) == len(valid)


def test_verify_pdf_compares_bytes(db, decided, admin):
    letter = services.issue_letter(decided(), admin)
    db.session.commit()
    data = read_document(letter.document)
    assert services.verify_pdf(letter, data)
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    assert not services.verify_pdf(letter, bytes(changed))
    assert services.normalise_code(letter.verification_code.lower().replace("-", " ")) == letter.verification_code
