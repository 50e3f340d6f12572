"""The expert pool pages through the test client: import, templates, one expert's form, declared conflicts."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.notifications.models import OutboxMessage
from portal.reviews import services
from portal.reviews.assignment import services as assigning
from portal.reviews.models import DeclaredConflict, ExpertProfile
from portal.reviews.unit import services as unit_review
from tests.factories import submitted_application, unit_id

HEADER = "姓名,邮箱,单位代码,职称,学科代码,关键词,曾工作单位,评审上限"


@pytest.fixture()
def admin(demo, login_as):
    return login_as("program_admin", email="office@example.cn")


def _upload(client, text, filename="experts.csv"):
    return client.post_form(
        "/office/pool/import",
        {"file": (io.BytesIO(text.encode("utf-8-sig")), filename)},
        content_type="multipart/form-data",
    )


def _expert_fields(**overrides):
    fields = {
        "name": "钱七",
        "email": "qianqi@example.cn",
        "unit_id": "0",
        "title": "研究员",
        "disciplines": ["A01"],
        "keywords": "量子计算；拓扑",
        "former_units": "CAS-IOP:2022",
        "load_cap": "7",
    }
    fields.update(overrides)
    return fields


def test_import_page_saves_every_row_and_lists_them_in_the_pool(client, demo, admin):
    page = client.get("/office/pool/import").get_data(as_text=True)
    assert 'type="file"' in page and "曾工作单位" in page and "/office/pool/template.xlsx" in page
    response = _upload(
        client,
        f"{HEADER}\n李四,lisi@example.cn,CAS-IOP,研究员,A04;A01,超导,PKU:2019,8\n"
        f"王五,wangwu@example.cn,USTC,教授,A01,数论,,\n",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/office/experts")
    pool_page = client.get("/office/experts").get_data(as_text=True)
    assert "李四" in pool_page and "王五" in pool_page and "2" in pool_page


def test_import_errors_are_listed_by_row_and_column_and_nothing_is_saved(client, demo, admin):
    response = _upload(
        client, f"{HEADER}\n李四,lisi@example.cn,CAS-IOP,研究员,A01,,,\n坏行,not-an-email,NOWHERE,,A01,,,\n"
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-row="3" data-column="email"' in page and 'data-row="3" data-column="unit_code"' in page
    assert "NOWHERE" in page and "邮箱" in page
    assert find_user("lisi@example.cn") is None


def test_an_unreadable_upload_is_refused_on_the_file_field(client, demo, admin):
    response = _upload(client, "姓名,电话\n张三,123\n")
    assert response.status_code == 400 and "电话" in response.get_data(as_text=True)
    response = _upload(client, "anything", filename="experts.pdf")
    assert response.status_code == 400 and "xlsx" in response.get_data(as_text=True)


def test_templates_download_as_csv_and_xlsx(client, demo, admin):
    csv_file = client.get("/office/pool/template.csv")
    assert csv_file.status_code == 200 and "attachment" in csv_file.headers["Content-Disposition"]
    assert csv_file.data.startswith("\ufeff姓名,邮箱".encode())
    xlsx_file = client.get("/office/pool/template.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx_file.data)).active
    assert sheet.max_row == 2 and sheet["B2"].value == "zhangsan@example.cn"
    assert client.get("/office/pool/template.pdf").status_code == 404


def test_new_expert_form_keeps_typed_values_on_error_then_welcomes_the_expert(client, demo, admin):
    page = client.get("/office/pool/new").get_data(as_text=True)
    assert "A01" in page and "CAS-IOP" in page
    response = client.post_form("/office/pool/new", _expert_fields(former_units="CAS-IOP:20x3", load_cap="7"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "CAS-IOP:20x3" in page and "量子计算；拓扑" in page and "qianqi@example.cn" in page and "钱七" in page
    assert re.search(r'<option selected value="A01"|<option value="A01" selected', page)
    assert find_user("qianqi@example.cn") is None

    response = client.post_form("/office/pool/new", _expert_fields(unit_id=str(unit_id(demo, "USTC"))))
    assert response.status_code == 302
    user = find_user("qianqi@example.cn")
    profile = demo.session.get(ExpertProfile, user.id)
    assert profile.former_units == [{"unit_id": unit_id(demo, "CAS-IOP"), "until_year": 2022}]
    assert profile.keywords == ["量子计算", "拓扑"] and profile.load_cap == 7

    # The welcome email's link lets the new expert choose a password and log in.
    mail = demo.session.execute(
        select(OutboxMessage).where(OutboxMessage.to_address == "qianqi@example.cn")
    ).scalar_one()
    path = re.search(r"http://portal\.test(/account/reset/\S+)", mail.body_text).group(1)
    client.logout()
    assert client.get(path).status_code == 200
    response = client.post_form(path, {"password": "a-new-long-password", "confirm": "a-new-long-password"})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.login("qianqi@example.cn", "a-new-long-password").status_code == 302
    assert client.get("/expert/").status_code == 200


def test_adding_someone_already_in_the_pool_is_refused(client, demo, admin):
    response = client.post_form("/office/pool/new", _expert_fields(email="expert@demo.talent.cn"))
    assert response.status_code == 400 and "expert@demo.talent.cn" in response.get_data(as_text=True)


def test_edit_shows_the_stored_values_and_saves_changes(client, demo, admin):
    wang = find_user("expert@demo.talent.cn")
    page = client.get(f"/office/pool/{wang.id}").get_data(as_text=True)
    assert "王建国" in page and "代数几何; 数论" in page and "readonly" in page
    response = client.post_form(
        f"/office/pool/{wang.id}",
        _expert_fields(
            name="王建国",
            email="someone-else@example.cn",
            unit_id=str(unit_id(demo, "THU-MATH")),
            former_units="PKU:2020",
            load_cap="3",
        ),
    )
    assert response.status_code == 302
    profile = demo.session.get(ExpertProfile, wang.id)
    demo.session.refresh(profile)
    assert profile.load_cap == 3 and profile.former_units == [{"unit_id": unit_id(demo, "PKU"), "until_year": 2020}]
    assert find_user("expert@demo.talent.cn") is not None  # the login email cannot be changed here
    bad = client.post_form(f"/office/pool/{wang.id}", _expert_fields(load_cap="500"))
    assert bad.status_code == 400 and 'value="500"' in bad.get_data(as_text=True)
    assert client.get("/office/pool/999999").status_code == 404


def test_a_declared_conflict_is_enforced_when_assigning(client, demo, admin, make_user):
    unit_admin, office = find_user("unit@demo.talent.cn"), find_user("program@demo.talent.cn")
    application = submitted_application(demo, make_user, name="冲突申请人")
    unit_review.endorse(
        application,
        unit_admin,
        post="研究员",
        startup_funds="300 万元",
        space="200 平方米",
        opinion="同意推荐",
        unit_scores={"performance": 85, "influence": 80},
    )
    services.formal_pass(application, office, "通过")
    demo.session.commit()
    sun = find_user("expert3@demo.talent.cn")  # USTC, A01: no conflict with a CAS-AMSS applicant
    assert assigning.assignment_violations(application, sun.id) == []

    unknown = client.post_form(
        f"/office/pool/{sun.id}/conflicts", {"conflict-email": "nobody@example.cn", "conflict-relation": "coauthor"}
    )
    assert unknown.status_code == 400 and "nobody@example.cn" in unknown.get_data(as_text=True)
    assert "偏微分方程" in unknown.get_data(as_text=True)  # the expert form above still shows the stored values
    response = client.post_form(
        f"/office/pool/{sun.id}/conflicts",
        {"conflict-email": application.applicant.email, "conflict-relation": "coauthor"},
    )
    assert response.status_code == 302
    conflict = demo.session.execute(select(DeclaredConflict).where(DeclaredConflict.expert_id == sun.id)).scalar_one()
    assert conflict.person_id == application.applicant_id and conflict.relation == "coauthor"
    assert "冲突申请人" in client.get(f"/office/pool/{sun.id}").get_data(as_text=True)
    assert assigning.VIOLATION_TEXT["declared"] in assigning.assignment_violations(application, sun.id)
    again = client.post_form(
        f"/office/pool/{sun.id}/conflicts",
        {"conflict-email": application.applicant.email, "conflict-relation": "family"},
    )
    assert again.status_code == 400
