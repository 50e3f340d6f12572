"""Test data builders: PDFs, an eligible applicant for 百人计划, a complete application."""
from __future__ import annotations

import io
from datetime import date, timedelta

from pypdf import PdfWriter
from sqlalchemy import select

from portal.applications.models import Education, Position, Profile
from portal.programs.models import Call, Program


def pdf_bytes(pages: int = 1, encrypt: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if encrypt:
        writer.encrypt(encrypt)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def call_of(db, program_code: str) -> Call:
    return db.session.execute(select(Call).join(Program).where(Program.code == program_code)).scalars().first()


def make_profile(db, user, *, birth: date = date(1990, 5, 1), abroad_years: int = 5, post_level="assistant_professor"):
    """A profile that meets the 百人计划 rules: PhD 2014 abroad, `abroad_years` of research abroad after it."""
    db.session.add(Profile(user_id=user.id, gender="male", birth_date=birth, nationality="CN", id_type="id_card",
                           id_number="110101199005011234", phone="13800000000", discipline_codes=["A01"],
                           keywords=["代数几何", "数论"]))
    db.session.add(Education(user_id=user.id, degree="phd", institution="Princeton University", country="US",
                             year=2014))
    start = date(2015, 1, 1)
    db.session.add(Position(user_id=user.id, employer="MIT", country="US", title="Assistant Professor",
                            post_level=post_level, start_date=start,
                            end_date=start + timedelta(days=int(abroad_years * 365.25)), is_research=True))
    db.session.commit()


def fill_application(db, application, *, plan: str = "研究代数几何与数论的交叉问题，" * 5):
    """Everything an application needs except referee letters."""
    from portal.applications.documents import save_document

    application.title = "代数几何中的算术问题"
    application.discipline_code = "A01"
    application.plan = plan
    for doc in application.call.required_documents:
        save_document(pdf_bytes(2), kind=doc["code"], original_name=f"{doc['code']}.pdf",
                      owner_id=application.applicant_id, application_id=application.id)
    db.session.commit()
    db.session.refresh(application)


def unit_id(db, code: str = "CAS-AMSS") -> int:
    from portal.programs.models import Unit

    return db.session.execute(select(Unit.id).where(Unit.code == code)).scalar_one()


def submitted_application(db, make_user, program_code: str = "bairen", *, unit_code: str = "CAS-AMSS",
                          name: str = "申请人", discipline: str = "A01", exception: bool = False):
    """An application in state submitted, as if its applicant had gone through every step."""
    from portal.applications.models import Application
    from portal.applications.services import build_snapshot
    from portal.database import utcnow

    user = make_user("applicant", name=name)
    make_profile(db, user)
    call = call_of(db, program_code)
    application = Application(call_id=call.id, applicant_id=user.id, unit_id=unit_id(db, unit_code), state="draft",
                              title=f"{name}的研究计划", discipline_code=discipline, keywords=["数论"],
                              plan="研究计划" * 20, exception_requested=exception,
                              exception_justification="成果特别突出，申请破格。" * 3 if exception else "")
    db.session.add(application)
    db.session.flush()
    now = utcnow()
    application.snapshot = build_snapshot(application, [], now)
    application.state = "submitted"
    application.submitted_at = now
    application.submission_count = 1
    db.session.commit()
    return application
