"""The applicant's pages through the test client: call page, steps, uploads, referees, submit, dashboard."""

import io
import re

import pytest
from sqlalchemy import select

from portal.applications.models import Application, Referee
from portal.notifications.models import OutboxMessage
from portal.programs.models import Unit
from portal.storage import Document
from tests.conftest import PortalClient
from tests.factories import ApplicationFactory, call_of, fill_application, make_profile, pdf_bytes, unit_id


@pytest.fixture()
def scholar(demo, login_as):
    user = login_as("applicant", name="陈䶮")
    make_profile(demo, user)
    return user


def _start(client, db, code="bairen"):
    call = call_of(db, code)
    response = client.post_form(f"/calls/{call.id}/apply", {"unit_id": str(unit_id(db))})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return db.session.execute(select(Application).order_by(Application.id.desc())).scalars().first()


def _upload(client, application, kind, data, name="file.pdf"):
    token = client.csrf_token()
    return client.post(
        f"/applications/{application.id}/documents",
        data={"csrf_token": token, "kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_call_page_shows_rules_documents_quota_and_countdown(client, demo):
    call = call_of(demo, "bairen")
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "年龄未满 40 周岁" in page and "在境外连续从事科研工作不少于 4 年" in page
    assert "个人简历" in page and "总名额" in page and "data-deadline=" in page
    assert "登录后申报" in page
    client.get("/lang/en")
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Younger than 40" in page and "Curriculum vitae" in page


def test_steps_save_on_the_server_and_keep_typed_values(client, demo, scholar):
    application = _start(client, demo)
    response = client.post_form(
        f"/applications/{application.id}/edit/basics",
        {"unit_id": str(unit_id(demo)), "title": "", "discipline_code": "A01", "keywords": "数论，代数几何"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "该字段是必填字段" in page and 'value="数论, 代数几何"' not in page
    assert "数论，代数几何" in page  # what was typed comes back
    response = client.post_form(
        f"/applications/{application.id}/edit/basics",
        {"unit_id": str(unit_id(demo)), "title": "算术几何", "discipline_code": "A01", "keywords": "数论，代数几何"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/edit/plan")
    demo.session.expire_all()
    saved = demo.session.get(Application, application.id)
    assert saved.title == "算术几何" and saved.keywords == ["数论", "代数几何"]


def test_program_questions_on_the_plan_step(client, demo, scholar):
    application = _start(client, demo, "qianren_startup")
    page = client.get(f"/applications/{application.id}/edit/plan").get_data(as_text=True)
    assert "本人持股比例" in page and "企业成立日期" in page
    client.post_form(
        f"/applications/{application.id}/edit/plan",
        {
            "plan": "x" * 60,
            "extra_equity_percent": "35",
            "extra_company_founded": "2023-03-01",
            "extra_is_main_founder": "yes",
        },
    )
    demo.session.expire_all()
    assert demo.session.get(Application, application.id).extra == {
        "equity_percent": 35.0,
        "company_founded": "2023-03-01",
        "is_main_founder": True,
    }


def test_refused_upload_leaves_the_draft_intact(client, demo, scholar):
    application = _start(client, demo)
    page = _upload(client, application, "cv", pdf_bytes(2), "简历.pdf").get_data(as_text=True)
    assert "“简历.pdf”已上传（共 2 页）" in page
    for data, reason in [
        (b"hello, I am text", "不是 PDF"),
        (pdf_bytes(3)[:200], "不完整"),
        (pdf_bytes(1, encrypt="pw"), "加密"),
    ]:
        page = _upload(client, application, "cv", data, "坏文件.pdf").get_data(as_text=True)
        assert "“坏文件.pdf”未保存" in page and reason in page
    docs = demo.session.execute(select(Document).where(Document.application_id == application.id)).scalars().all()
    assert [(d.kind, d.original_name, d.page_count) for d in docs] == [("cv", "简历.pdf", 2)]


def test_documents_are_served_only_to_those_allowed(client, demo, scholar, make_user):
    application = _start(client, demo)
    _upload(client, application, "cv", pdf_bytes(1), "cv.pdf")
    document = demo.session.execute(select(Document).where(Document.application_id == application.id)).scalar_one()
    response = client.get(f"/documents/{document.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == pdf_bytes(1)
    client.logout()
    other = make_user("applicant")
    client.login(other.email, "correct-horse-battery")
    for url in (
        f"/documents/{document.id}",
        f"/applications/{application.id}",
        f"/applications/{application.id}/edit/basics",
        f"/applications/{application.id}/book.pdf",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post_form(f"/applications/{application.id}/submit", {"pledge": "y"}).status_code == 404


def test_referee_uploads_by_link_and_applicant_only_sees_arrival(client, demo, scholar):
    application = _start(client, demo)
    client.post_form(
        f"/applications/{application.id}/edit/referees",
        {"name": "刘教授", "email": "liu@example.edu", "institution": "复旦大学", "title": "教授"},
    )
    mail = demo.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == "liu@example.edu")).scalar_one()
    link = re.search(r"http://portal\.test(/referee/\S+)", mail.body_text).group(1)
    referee_client = PortalClient(client.application.test_client())
    page = referee_client.get(link).get_data(as_text=True)
    assert "陈䶮" in page and "推荐信" in page
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    bad = referee_client.post(
        link,
        data={"csrf_token": token, "file": (io.BytesIO(b"not a pdf"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "不是 PDF" in bad.get_data(as_text=True)
    ok = referee_client.post(
        link,
        data={"csrf_token": token, "file": (io.BytesIO(pdf_bytes(1)), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert "您的推荐信已收到" in ok.get_data(as_text=True)
    page = client.get(f"/applications/{application.id}/edit/referees").get_data(as_text=True)
    assert "已送达" in page
    letter = demo.session.execute(select(Referee)).scalar_one().letter
    assert client.get(f"/documents/{letter.id}").status_code == 404  # never the applicant's to read


def test_ineligible_applicant_sees_reason_then_submits_after_fixing(client, demo, scholar):
    from portal.applications.models import Position

    application = _start(client, demo)
    pos = demo.session.execute(select(Position).where(Position.user_id == scholar.id)).scalar_one()
    real_end = pos.end_date
    pos.end_date = pos.start_date.replace(year=pos.start_date.year + 2)
    demo.session.commit()
    fill_application(demo, application)
    page = client.get(f"/applications/{application.id}/edit/review").get_data(as_text=True)
    assert "不符合" in page and "4 年" in page and "disabled" in page
    pos.end_date = real_end
    demo.session.commit()
    client.post_form(
        f"/applications/{application.id}/edit/referees",
        {"name": "孙教授", "email": "sun@example.edu", "institution": "中国科大", "title": ""},
    )
    from portal.applications.referees import upload_letter

    upload_letter(demo.session.execute(select(Referee)).scalar_one(), pdf_bytes(1), "l.pdf")
    demo.session.commit()
    page = client.get(f"/applications/{application.id}/edit/review").get_data(as_text=True)
    assert "所需材料已齐全" in page
    response = client.post_form(f"/applications/{application.id}/submit", {"pledge": "y"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "申请已提交" in page and "已提交" in page and "下载 PDF" in page
    again = client.post_form(f"/applications/{application.id}/submit", {"pledge": "y"}, follow_redirects=True)
    assert "未重复提交" in again.get_data(as_text=True)
    book = client.get(f"/applications/{application.id}/book.pdf", follow_redirects=True)
    assert book.status_code == 200 and book.data.startswith(b"%PDF")
    assert (
        client.get(f"/applications/{application.id}/edit/basics", follow_redirects=True).request.path
        == f"/applications/{application.id}"
    )


def test_dashboard_timeline_and_constant_queries(client, demo, scholar, app, count_queries):
    from portal.applications import services
    from portal.programs.models import Call

    calls = demo.session.execute(select(Call)).scalars().all()

    def dashboard():
        return count_queries(lambda: client.get("/applications").get_data(as_text=True))

    services.start_application(calls[0], scholar, unit_id(demo))
    demo.session.commit()
    one, page = dashboard()
    assert "开始填写申请" in page
    # 29 more applications (the unique rule is per call: reuse calls through withdrawn copies).
    unit = demo.session.get(Unit, unit_id(demo))
    for i in range(29):
        call = calls[i % len(calls)]
        ApplicationFactory(
            call=call, applicant=scholar, unit=unit, withdrawn=True, submitted_at=call.opens_at, title=f"第{i}号"
        )
    demo.session.commit()
    thirty, page = dashboard()
    assert page.count("application-card") == 30
    assert thirty == one, (one, thirty)
