"""Regressions found reviewing issue 10 (program and call pages): a retried copy, odd numbers, labels of the
pinned version."""

import re
from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.accounts.services import create_user
from portal.programs.models import Call, Program, ProgramRules
from portal.reviews.assignment.services import assign_expert
from portal.seed import DEMO_PASSWORD
from tests.conftest import PASSWORD
from tests.factories import ProgramFactory, demo_expert, demo_office, under_review
from tests.http.test_call_office_pages import english, form_data, make_call, program  # noqa: F401 (fixtures)

HUGE = "9" * 25  # more than any database integer holds


def _calls(db, program):
    db.session.expire_all()
    return sorted(c.year for c in db.session.execute(select(Call).where(Call.program_id == program.id)).scalars())


def test_a_double_click_on_copy_makes_one_call(english, admin, program, db):
    make_call(
        db,
        program,
        admin,
        year=2026,
        opens_at=datetime(2026, 3, 1, 1, tzinfo=UTC),
        closes_at=datetime(2026, 5, 31, 9, tzinfo=UTC),
        cutoff_date=date(2026, 12, 31),
        review_due=date(2026, 7, 15),
    )
    page = english.get(f"/office/calls/new/{program.id}").get_data(as_text=True)
    source_id = re.search(r'name="source_id" type="hidden" value="(\d+)"', page).group(1)
    first = english.post_form(f"/office/calls/copy/{program.id}", {"source_id": source_id})
    second = english.post_form(f"/office/calls/copy/{program.id}", {"source_id": source_id})
    assert _calls(db, program) == [2026, 2027]  # not a 2028 copy of the fresh 2027 call
    copy = db.session.execute(select(Call).where(Call.program_id == program.id, Call.year == 2027)).scalar_one()
    assert first.status_code == 302 and second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert first.headers["Location"].endswith(f"/office/calls/{copy.id}/edit")
    followed = english.get(second.headers["Location"]).get_data(as_text=True)
    assert "already been created" in followed


def test_copy_names_its_source_and_refuses_another_programs_call(english, admin, program, db):
    other = ProgramFactory(code="other", name_zh="其他计划", name_en="Other")
    db.session.commit()
    foreign = make_call(db, other, admin, year=2026)
    response = english.post_form(f"/office/calls/copy/{program.id}", {"source_id": str(foreign.id)})
    assert response.status_code == 404
    assert _calls(db, program) == []


def test_huge_numbers_in_the_call_form_are_refused_next_to_the_field(english, admin, program, db):
    response = english.post_form(f"/office/calls/new/{program.id}", form_data(total_quota=HUGE, unit_quota=HUGE))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'value="{HUGE}"' in body and "is-invalid" in body
    assert _calls(db, program) == []


def test_a_huge_unit_quota_is_refused(english, admin, program, db, unit):
    call = make_call(db, program, admin)
    page = english.get(f"/office/calls/{call.id}/quotas").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = english.post_form(f"/office/calls/{call.id}/quotas", {"version": version, f"quota_{unit.id}": HUGE})
    assert response.status_code == 400
    assert "is-invalid" in response.get_data(as_text=True)


def test_a_huge_unit_quota_default_of_a_program_is_refused(english, admin, program, db):
    page = english.get(f"/office/programs/{program.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = english.post_form(
        f"/office/programs/{program.id}/edit",
        {
            "version": version,
            "name_zh": program.name_zh,
            "name_en": program.name_en,
            "level": "institute",
            "category": "young",
            "experts_per_application": "3",
            "notice_required": "y",
            "notice_days": "7",
            "referees_required": "0",
            "unit_quota": HUGE,
            "unit_scope_id": "0",
        },
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Program, program.id).unit_quota == 4


def test_a_question_bound_too_large_for_a_number_is_refused(english, admin, program, db):
    page = english.get(f"/office/programs/{program.id}/questions").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    for bound in ("1" + "0" * 400, "9" * 5000):
        response = english.post_form(
            f"/office/programs/{program.id}/questions",
            {
                "version": version,
                "op": "save",
                "q-0-code": "years",
                "q-0-type": "number",
                "q-0-zh": "年数",
                "q-0-en": "Years",
                "q-0-required": "y",
                "q-0-max": bound,
            },
        )
        assert response.status_code == 400
        assert "The minimum and maximum of a number question are numbers." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Program, program.id).extra_fields == []


def test_the_expert_sees_the_document_names_of_the_calls_version(client, demo):
    applicant = create_user("pinned.docs@example.cn", "申请人", PASSWORD, [("applicant", None)], actor="test")
    application = under_review(demo, applicant)
    call = application.call
    pinned = ProgramRules(
        program_id=call.program_id,
        number=99,
        eligibility_rules=[],
        extra_fields=[],
        required_documents=[
            {"code": d.kind, "zh": "版本中的材料名", "en": "Name in the version"} for d in application.documents
        ],
    )
    demo.session.add(pinned)
    demo.session.flush()
    call.rules_id = pinned.id
    # The program is edited afterwards: its working copy names the documents otherwise.
    call.program.required_documents = [
        {"code": d.kind, "zh": "后来的名称", "en": "Later name"} for d in application.documents
    ]
    demo.session.commit()
    assignment = assign_expert(application, demo_expert(1), demo_office())
    demo.session.commit()
    client.login(demo_expert(1).email, DEMO_PASSWORD)
    client.post_form(f"/expert/assignments/{assignment.id}/accept", {"no_conflict": "y"})
    page = client.get(f"/expert/assignments/{assignment.id}").get_data(as_text=True)
    assert "版本中的材料名" in page and "后来的名称" not in page


def test_a_double_click_on_archive_says_it_is_archived_not_that_someone_saved(english, admin, program, db):
    page = english.get(f"/office/programs/{program.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    english.post_form(f"/office/programs/{program.id}/archive", {"version": version})
    second = english.post_form(f"/office/programs/{program.id}/archive", {"version": version})
    body = english.get(second.headers["Location"]).get_data(as_text=True)
    assert "This program is already archived." in body and "saved a newer version" not in body
