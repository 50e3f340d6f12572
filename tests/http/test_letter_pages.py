"""Letter pages through the test client: editor and preview, issuing, batch progress, download, verification."""

import io
import re

import pytest
from sqlalchemy import select

from portal.letters import services
from portal.letters.models import Letter, LetterJob
from portal.storage import read_document
from tests.conftest import PASSWORD
from tests.factories import program_of
from tests.services.test_letters import pdf_text


@pytest.fixture()
def awarded(db, demo, make_user):
    from tests.factories import submitted_application

    application = submitted_application(db, make_user, name="吉𠮷")
    application.state = "awarded"
    db.session.commit()
    return application


def test_editor_preview_and_sandbox_refusal(client, db, demo, login_as):
    login_as("program_admin")
    program = program_of(db, "bairen")
    url = f"/office/letters/programs/{program.id}/approved"
    page = client.get(url).get_data(as_text=True)
    assert "{{ recipient_name }}" in page and 'formtarget="_blank"' in page and "<script>" not in page
    source = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)[1]
    import html

    source = html.unescape(source)
    preview = client.post_form(url + "/preview", {"source": source})
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert program.name_zh in pdf_text(preview.data)

    refused = client.post_form(url + "/preview", {"source": "{{ ''.__class__ }}"})
    assert refused.status_code == 422 and "__class__" in refused.get_data(as_text=True)
    refused = client.post_form(url, {"source": "{{ ''.__class__ }}", "note": "bad"})
    assert refused.status_code == 422 and "__class__" in refused.get_data(as_text=True)

    saved = client.post_form(url, {"source": source.replace("特此通知", "特此函告"), "note": "措辞"})
    assert saved.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "特此函告" in page and "措辞" in page


def test_issue_download_and_verify(client, db, awarded, login_as, make_user, app):
    admin = login_as("program_admin")
    response = client.post_form(f"/office/letters/applications/{awarded.id}/issue")
    assert response.status_code == 302
    letter = db.session.execute(select(Letter).where(Letter.application_id == awarded.id)).scalar_one()
    page = client.get(f"/office/letters/calls/{awarded.call_id}").get_data(as_text=True)
    assert letter.serial in page and letter.verification_code in page
    client.logout()

    # Another applicant gets 404; the holder downloads the PDF.
    other = make_user("applicant", email="someone@example.cn")
    client.login(other.email, PASSWORD)
    assert client.get(f"/applications/{awarded.id}/letter").status_code == 404
    client.logout()
    client.login(awarded.applicant.email, PASSWORD)
    download = client.get(f"/applications/{awarded.id}/letter")
    assert download.status_code == 200 and download.data == read_document(letter.document)
    assert "吉𠮷" in pdf_text(download.data)
    client.logout()

    # Anyone verifies, without logging in.
    page = client.get(f"/verify/{letter.verification_code}").get_data(as_text=True)
    for shown in ("吉𠮷", letter.serial, letter.sha256, services.chinese_issue_date(letter), 'data-status="valid"'):
        assert shown in page
    assert client.get(f"/verify/?code={letter.verification_code.lower()}").status_code == 302
    genuine = client.post_form(
        f"/verify/{letter.verification_code}",
        {"pdf": (io.BytesIO(download.data), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert 'data-result="match"' in genuine.get_data(as_text=True)
    changed = bytearray(download.data)
    changed[len(changed) // 2] ^= 0x01
    forged = client.post_form(
        f"/verify/{letter.verification_code}",
        {"pdf": (io.BytesIO(bytes(changed)), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert 'data-result="mismatch"' in forged.get_data(as_text=True)
    unknown = client.get("/verify/AAAA-BBBB-CCCC-DDDD")
    assert unknown.status_code == 404 and "AAAA-BBBB-CCCC-DDDD" in unknown.get_data(as_text=True)

    # Re-issuing revokes: the old code now shows "revoked".
    client.login(admin.email, PASSWORD)
    client.post_form(f"/office/letters/applications/{awarded.id}/issue")
    client.logout()
    page = client.get(f"/verify/{letter.verification_code}").get_data(as_text=True)
    assert 'data-status="revoked"' in page


def test_batch_job_page_shows_progress(client, db, awarded, login_as):
    login_as("program_admin")
    response = client.post_form(f"/office/letters/calls/{awarded.call_id}/batch")
    assert response.status_code == 302 and "/office/letters/jobs/" in response.headers["Location"]
    job = db.session.execute(select(LetterJob).order_by(LetterJob.id.desc())).scalars().first()
    assert (job.status, job.done, job.total) == ("done", 1, 1)  # in-process: ran within the request
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-status="done"' in page and "<progress" in page and 'http-equiv="refresh"' not in page


def test_revoking_a_revoked_letter_is_refused(client, db, awarded, login_as):
    login_as("program_admin")
    client.post_form(f"/office/letters/applications/{awarded.id}/issue")
    letter = db.session.execute(select(Letter).where(Letter.application_id == awarded.id)).scalar_one()
    response = client.post_form(f"/office/letters/{letter.id}/revoke", {"reason": "写错了"})
    assert response.status_code == 302 and response.location.endswith(f"/office/letters/calls/{awarded.call_id}")
    assert f"通知书 {letter.serial} 已撤销。" in client.get(response.location).get_data(as_text=True)
    again = client.post_form(f"/office/letters/{letter.id}/revoke", {"reason": "再撤一次"}, follow_redirects=True)
    assert "alert-danger" in again.get_data(as_text=True) and "此通知书已撤销。" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).revoked_reason == "写错了"
