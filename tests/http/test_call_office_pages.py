"""The program office's call pages: create, copy, edit a draft, unit quotas, the guide and its PDFs, the call's life
buttons, the stale-edit refusal, and the public call page and home page that follow the call's effective status."""

import io
import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.applications.models import Application
from portal.database import utcnow
from portal.office import call_life
from portal.programs import call_admin
from portal.programs.models import Call, CallAttachment, Program, ProgramRules
from portal.reviews.evaluation.schemes import seed_schemes
from tests.conftest import PASSWORD
from tests.factories import ApplicationFactory, DecisionSessionFactory, ProgramFactory, pdf_bytes

BEIJING = timezone(timedelta(hours=8))
DAY = timedelta(days=1)


@pytest.fixture()
def program(db):
    found = ProgramFactory(qingnian=True)
    db.session.commit()
    seed_schemes()
    db.session.commit()
    return found


@pytest.fixture()
def english(client):
    client.get("/lang/en")
    return client


def make_call(db, program, actor, *, year=2027, publish=False, **changes):
    now = utcnow()
    values = dict(
        year=year,
        title_zh=f"青年英才开发计划 {year} 年度申报",
        title_en=f"Young Talent, {year} call",
        opens_at=now - DAY,
        closes_at=now + 30 * DAY,
        cutoff_date=date(year, 12, 31),
        total_quota=10,
        review_due=(now + 60 * DAY).date(),
    )
    values.update(changes)
    call = call_admin.create_call(program, actor=actor, **values)
    if publish:
        call_life.publish(call, actor=actor)
    db.session.commit()
    return call


def form_data(**changes):
    data = {
        "year": "2027",
        "title_zh": "青年英才开发计划 2027 年度申报",
        "title_en": "Young Talent, 2027 call",
        "opens_date": "2027-03-01",
        "opens_time": "09:00",
        "closes_date": "2027-05-31",
        "closes_time": "17:00",
        "cutoff_date": "2027-12-31",
        "review_due": "2027-07-15",
        "total_quota": "12",
        "unit_quota": "3",
        "guide_zh": "# 申报指南",
        "guide_en": "# Guide",
    }
    data.update(changes)
    return data


def fresh(db, call_id: int) -> Call:
    """The call as the requests left it (they work in their own sessions)."""
    db.session.expire_all()
    return db.session.get(Call, call_id)


def version_of(page: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


# ---------------------------------------------------------------- create, copy, edit


def test_create_a_call_in_beijing_time(english, admin, program, db):
    page = english.get(f"/office/calls/new/{program.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="opens_time"' in body and 'value="4"' in body  # the program's unit quota as the default
    response = english.post_form(f"/office/calls/new/{program.id}", form_data())
    assert response.status_code == 302
    call = db.session.execute(select(Call).where(Call.program_id == program.id)).scalar_one()
    assert response.headers["Location"].endswith(f"/office/calls/{call.id}")
    assert call.status == "draft" and call.unit_quota == 3 and call.total_quota == 12
    assert call.opens_at == datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    assert call.closes_at == datetime(2027, 5, 31, 9, 0, tzinfo=UTC)
    assert call.guide_zh == "# 申报指南" and call.updated_by_id == admin.id
    office = english.get(f"/office/calls/{call.id}").get_data(as_text=True)
    assert 'id="call-life"' in office and 'data-state="draft"' in office
    assert "2027-05-31 17:00" in office and 'data-action="publish"' in office


def test_create_refusals_are_next_to_their_fields_and_keep_the_input(english, admin, program, db):
    make_call(db, program, admin)
    response = english.post_form(
        f"/office/calls/new/{program.id}",
        form_data(closes_date="2027-02-01", cutoff_date="", review_due="2027-01-01", title_en="Kept title"),
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Give the eligibility cutoff date" in body
    response = english.post_form(
        f"/office/calls/new/{program.id}",
        form_data(closes_date="2027-02-01", review_due="2027-01-15", title_en="Kept title"),
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "The call must close after it opens." in body
    assert "This program already has a call for 2027." in body
    assert "The review due date must be after the closing date" in body
    assert 'value="Kept title"' in body and "is-invalid" in body
    assert db.session.execute(select(Call).where(Call.program_id == program.id)).scalars().all().__len__() == 1


def test_copy_last_years_call(english, admin, program, db):
    source = make_call(
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
    assert "Copy the 2026 call" in page
    response = english.post_form(f"/office/calls/copy/{program.id}")
    assert response.status_code == 302
    copy = db.session.execute(select(Call).where(Call.program_id == program.id, Call.year == 2027)).scalar_one()
    assert response.headers["Location"].endswith(f"/office/calls/{copy.id}/edit")
    assert copy.title_zh == "青年英才开发计划 2027 年度申报" and copy.title_en == "Young Talent, 2027 call"
    assert copy.closes_at == datetime(2027, 5, 31, 9, tzinfo=UTC) and copy.review_due == date(2027, 7, 15)
    assert source.year == 2026
    edit = english.get(f"/office/calls/{copy.id}/edit").get_data(as_text=True)
    assert 'value="2027-05-31"' in edit and 'value="17:00"' in edit


def test_only_a_draft_is_edited(english, admin, program, db):
    call = make_call(db, program, admin)
    page = english.get(f"/office/calls/{call.id}/edit")
    assert page.status_code == 200
    version = version_of(page.get_data(as_text=True))
    assert (
        english.post_form(f"/office/calls/{call.id}/edit", form_data(version=version, total_quota="20")).status_code
        == 302
    )
    assert fresh(db, call.id).total_quota == 20
    call_life.publish(fresh(db, call.id), actor=admin)
    db.session.commit()
    redirect = english.get(f"/office/calls/{call.id}/edit")
    assert redirect.status_code == 302 and redirect.headers["Location"].endswith(f"/office/calls/{call.id}")
    call = fresh(db, call.id)
    refused = english.post_form(f"/office/calls/{call.id}/edit", form_data(version=str(call.version), total_quota="30"))
    assert refused.status_code == 409 and "Only a draft call can be edited" in refused.get_data(as_text=True)
    assert fresh(db, call.id).total_quota == 20


def test_a_stale_edit_is_refused_with_who_saved_and_the_input_kept(english, admin, program, db, make_user):
    call = make_call(db, program, admin)
    page = english.get(f"/office/calls/{call.id}/edit").get_data(as_text=True)
    loaded = version_of(page)
    colleague = make_user("program_admin", name="王磊")
    call_admin.update_call(fresh(db, call.id), actor=colleague, version=int(loaded), total_quota=7)
    db.session.commit()
    response = english.post_form(
        f"/office/calls/{call.id}/edit", form_data(version=loaded, total_quota="99", title_en="What I typed")
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "王磊 saved a newer version" in body
    assert 'value="What I typed"' in body and 'value="99"' in body
    assert fresh(db, call.id).total_quota == 7


def test_a_save_racing_past_the_check_is_409_too_and_keeps_the_input(english, admin, program, db, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError

    call = make_call(db, program, admin)
    loaded = version_of(english.get(f"/office/calls/{call.id}/edit").get_data(as_text=True))

    def racing(*_args, **_kwargs):
        raise StaleDataError("UPDATE statement on table 'calls' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(call_admin, "update_call", racing)
    response = english.post_form(
        f"/office/calls/{call.id}/edit", form_data(version=loaded, title_en="Typed while racing")
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "saved a newer version" in body and 'value="Typed while racing"' in body


# ---------------------------------------------------------------- unit quotas


def test_unit_quotas_table(english, admin, program, db, unit):
    call = make_call(db, program, admin)
    page = english.get(f"/office/calls/{call.id}/quotas")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Test University" in body and "tree-indent-1" in body
    version = version_of(body)
    parent = unit.parent
    response = english.post_form(
        f"/office/calls/{call.id}/quotas", {"version": version, f"quota_{parent.id}": "2", f"quota_{unit.id}": ""}
    )
    assert response.status_code == 302
    call = fresh(db, call.id)
    assert call.quota_for_unit(parent.id) == 2 and call.quota_for_unit(unit.id) == 4
    bad = english.post_form(f"/office/calls/{call.id}/quotas", {"version": str(call.version), f"quota_{unit.id}": "-1"})
    assert bad.status_code == 400 and "A quota cannot be negative." in bad.get_data(as_text=True)
    stale = english.post_form(f"/office/calls/{call.id}/quotas", {"version": version, f"quota_{unit.id}": "1"})
    assert stale.status_code == 409 and "saved a newer version" in stale.get_data(as_text=True)


def test_unit_quotas_of_a_program_limited_to_a_subtree(english, admin, program, db, unit):
    program.unit_scope_id = unit.id
    db.session.commit()
    call = make_call(db, program, admin)
    body = english.get(f"/office/calls/{call.id}/quotas").get_data(as_text=True)
    assert "Test School" in body and "Test University</label>" not in body


# ---------------------------------------------------------------- the guide and its attachments


def test_attachments_non_pdf_refused_then_pdf_shown_on_the_public_page(english, admin, program, db):
    call = make_call(
        db,
        program,
        admin,
        guide_zh="# 指南",
        guide_en="# Guide\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) and **bold**",
    )
    before = fresh(db, call.id).version
    refused = english.post_form(
        f"/office/calls/{call.id}/attachments",
        {"label_zh": "申报指南", "label_en": "Guide", "file": (io.BytesIO(b"GIF89a not a pdf"), "guide.gif")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "was not saved" in body and "not a PDF" in body and 'value="申报指南"' in body
    call = fresh(db, call.id)
    assert call.attachments == [] and call.status == "draft" and call.version == before
    ok = english.post_form(
        f"/office/calls/{call.id}/attachments",
        {"label_zh": "申报指南", "label_en": "Guide", "file": (io.BytesIO(pdf_bytes(2)), "guide.pdf")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    attachment = db.session.execute(select(CallAttachment).where(CallAttachment.call_id == call.id)).scalar_one()
    download = f"/calls/{call.id}/attachments/{attachment.id}"
    english.logout()
    # A draft's page and files do not exist for the public.
    assert english.get(f"/calls/{call.id}").status_code == 404
    assert english.get(download).status_code == 404
    call_life.publish(fresh(db, call.id), actor=admin)
    db.session.commit()
    public = english.get(f"/calls/{call.id}")
    body = public.get_data(as_text=True)
    assert public.status_code == 200
    assert "<h1>Guide</h1>" in body and "<strong>bold</strong>" in body
    assert "<script>alert" not in body and 'href="javascript' not in body
    assert download in body and "Guide" in body
    pdf = english.get(download)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert english.get(f"/calls/{call.id}/attachments/{attachment.id + 1000}").status_code == 404
    english.login(admin.email, PASSWORD)
    removed = english.post_form(f"/office/calls/{call.id}/attachments/{attachment.id}/delete")
    assert removed.status_code == 302 and english.get(download).status_code == 404


# ---------------------------------------------------------------- the call's life


def test_publish_then_back_to_draft_and_the_public_page_says_when_it_opens(english, admin, program, db):
    opens = utcnow() + 2 * DAY
    call = make_call(db, program, admin, opens_at=opens)
    response = english.post_form(f"/office/calls/{call.id}/publish")
    assert response.status_code == 302
    call = fresh(db, call.id)
    assert call.status == "open" and call.rules.number == 1
    office = english.get(f"/office/calls/{call.id}").get_data(as_text=True)
    assert 'data-action="unpublish"' in office and 'data-action="extend"' in office
    assert "Version 1, fixed at publication" in office
    home = english.get("/").get_data(as_text=True)
    assert f"/calls/{call.id}" not in home  # not before opens_at
    public = english.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Applications open on" in public and opens.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") in public
    rules = public[public.index('id="rules"') : public.index("</ul>", public.index('id="rules"'))]
    assert "35" in rules
    # The program is edited after publication: the public page keeps the pinned version.
    program = db.session.get(Program, program.id)
    program.eligibility_rules = [{"rule": "max_age", "value": 45}]
    db.session.add(
        ProgramRules(
            program_id=program.id,
            number=2,
            eligibility_rules=program.eligibility_rules,
            required_documents=[],
            extra_fields=[],
        )
    )
    db.session.commit()
    public = english.get(f"/calls/{call.id}").get_data(as_text=True)
    rules = public[public.index('id="rules"') : public.index("</ul>", public.index('id="rules"'))]
    assert "35" in rules and "45" not in rules and "version 1 of the program" in public
    assert english.post_form(f"/office/calls/{call.id}/unpublish").status_code == 302
    assert fresh(db, call.id).status == "draft"


def test_publish_refused_with_reasons_in_chinese(client, admin, program, db):
    call = make_call(db, program, admin, opens_at=utcnow() - 3 * DAY, closes_at=utcnow() - DAY, review_due=None)
    response = client.post_form(f"/office/calls/{call.id}/publish")
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert 'id="refusal"' in body and "截止时间已过" in body
    assert fresh(db, call.id).status == "draft"


def test_an_open_call_closes_by_itself_and_shows_it(english, admin, program, db):
    call = make_call(db, program, admin, publish=True)
    assert f"/calls/{call.id}" in english.get("/").get_data(as_text=True)
    call = fresh(db, call.id)
    call.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    listing = english.get("/office/").get_data(as_text=True)
    assert "call-state-closed" in listing and "New call of Young Talent Programme" in listing
    office = english.get(f"/office/calls/{call.id}").get_data(as_text=True)
    assert 'data-state="closed"' in office and 'data-action="start_review"' in office
    public = english.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "call-state-closed" in public and "not open for applications" in public
    assert f"/calls/{call.id}" not in english.get("/").get_data(as_text=True)


def test_extend_with_the_form_and_its_refusal(english, admin, program, db, make_user, unit):
    call = make_call(db, program, admin, publish=True)
    holder = make_user("applicant", email="draft@example.cn", locale="en")
    ApplicationFactory(call=call, applicant=holder, unit=unit)
    db.session.commit()
    old = fresh(db, call.id).closes_at.astimezone(BEIJING)
    earlier = old - DAY
    refused = english.post_form(
        f"/office/calls/{call.id}/extend",
        {"closes_date": earlier.strftime("%Y-%m-%d"), "closes_time": earlier.strftime("%H:%M")},
    )
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert "later than the current one" in body and f'value="{earlier.strftime("%Y-%m-%d")}"' in body
    later = old + 7 * DAY
    ok = english.post_form(
        f"/office/calls/{call.id}/extend",
        {"closes_date": later.strftime("%Y-%m-%d"), "closes_time": later.strftime("%H:%M")},
    )
    assert ok.status_code == 302
    assert fresh(db, call.id).closes_at.astimezone(BEIJING).replace(second=0, microsecond=0) == later.replace(
        second=0, microsecond=0
    )
    from portal.notifications.models import OutboxMessage

    sent = (
        db.session.execute(select(OutboxMessage).where(OutboxMessage.template == "call_deadline_extended"))
        .scalars()
        .all()
    )
    assert [m.to_address for m in sent] == ["draft@example.cn"]
    missing = english.post_form(f"/office/calls/{call.id}/extend", {"closes_date": "", "closes_time": ""})
    assert missing.status_code == 400 and "Give the new deadline." in missing.get_data(as_text=True)


def test_start_review_needs_confirmation_then_decide(english, admin, program, db, make_user, unit):
    call = make_call(db, program, admin, publish=True)
    applicant = make_user("applicant")
    ApplicationFactory(call=call, applicant=applicant, unit=unit, state="submitted")
    call = fresh(db, call.id)
    call.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    office = english.get(f"/office/calls/{call.id}").get_data(as_text=True)
    assert "Still waiting: 1 applications for unit review" in office and 'name="confirm"' in office
    refused = english.post_form(f"/office/calls/{call.id}/start-review")
    assert refused.status_code == 409
    assert "1 applications still wait for unit review" in refused.get_data(as_text=True)
    assert fresh(db, call.id).status == "open"
    ok = english.post_form(f"/office/calls/{call.id}/start-review", {"confirm": "y"})
    assert ok.status_code == 302
    call = fresh(db, call.id)
    assert call.status == "review" and call.scheme_id is not None
    application = db.session.execute(select(Application).where(Application.call_id == call.id)).scalar_one()
    application.state = "unit_declined"
    db.session.commit()
    refused = english.post_form(f"/office/calls/{call.id}/decide")
    assert refused.status_code == 409 and "decision session is not finalised" in refused.get_data(as_text=True)
    DecisionSessionFactory(call=call, finalised=True)
    db.session.commit()
    assert english.post_form(f"/office/calls/{call.id}/decide").status_code == 302
    assert fresh(db, call.id).status == "decided"
    office = english.get(f"/office/calls/{call.id}").get_data(as_text=True)
    assert 'data-state="decided"' in office and "nothing is left to do" in office


# ---------------------------------------------------------------- another program's office


def test_another_programs_office_gets_404(client, program, db, make_user):
    other = ProgramFactory(code="other", name_zh="其他计划", name_en="Other")
    db.session.commit()
    owner = make_user("program_admin")
    call = make_call(db, program, owner)
    attachment = call_admin.add_attachment(call, pdf_bytes(), filename="a.pdf", label_zh="指南", actor=owner)
    db.session.commit()
    stranger = make_user(("program_admin", None, other.id))
    client.login(stranger.email, PASSWORD)
    for url in (
        f"/office/calls/new/{program.id}",
        f"/office/calls/{call.id}/edit",
        f"/office/calls/{call.id}/quotas",
        f"/office/calls/{call.id}/attachments",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/office/calls/copy/{program.id}",
        f"/office/calls/{call.id}/publish",
        f"/office/calls/{call.id}/attachments/{attachment.id}/delete",
        f"/office/calls/{call.id}/decide",
    ):
        assert client.post_form(url).status_code == 404, url
    assert fresh(db, call.id).status == "draft"
    listing = client.get("/office/").get_data(as_text=True)
    assert f"/office/calls/new/{program.id}" not in listing and f"/office/calls/new/{other.id}" in listing
