"""The application pages ask what the call asks: typed questions, optional documents and file counts, the units
of the program's subtree, the unit's quota in this call."""

import io
import re

import pytest
from sqlalchemy import select

from portal.applications.models import Application
from portal.applications.services import build_snapshot
from portal.database import utcnow
from portal.programs.models import CallUnitQuota, Unit
from portal.seed import DEMO_PASSWORD
from portal.storage import Document
from tests.factories import call_of, make_profile, pdf_bytes, submitted_application, unit_id
from tests.services.test_call_questions import CV, FIELD, PAPERS, RETURNS, pin

STATEMENT = {"code": "statement", "type": "text", "zh": "个人陈述", "en": "Personal statement", "min": 10, "max": 100}
STORY = {"code": "story", "type": "text", "zh": "成长经历", "en": "Your story", "required": False}
YEARS = {"code": "years_abroad", "type": "number", "zh": "海外工作年数", "en": "Years abroad", "min": 0, "max": 40}
FOUNDED = {
    "code": "founded",
    "type": "date",
    "zh": "团队组建日期",
    "en": "Team formed on",
    "min": "2000-01-01",
    "max": "2026-12-31",
}
ALL = [STATEMENT, STORY, YEARS, RETURNS, FOUNDED, FIELD]


@pytest.fixture()
def scholar(demo, login_as):
    user = login_as("applicant", name="周同学")
    make_profile(demo, user)
    return user


def _start(client, db, code="bairen", unit="CAS-AMSS"):
    call = call_of(db, code)
    response = client.post_form(f"/calls/{call.id}/apply", {"unit_id": str(unit_id(db, unit))})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return db.session.execute(select(Application).order_by(Application.id.desc())).scalars().first()


def _select(page: str, name: str) -> str:
    return re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)


def _input(page: str, name: str) -> str:
    return re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', page).group(0)


def test_the_plan_step_asks_each_type_of_question_in_the_users_language(client, demo, scholar):
    pin(demo, call_of(demo, "bairen"), questions=ALL)
    application = _start(client, demo)
    page = client.get(f"/applications/{application.id}/edit/plan").get_data(as_text=True)
    for label in ("个人陈述", "成长经历", "海外工作年数", "入选后全职回国", "团队组建日期", "研究方向"):
        assert label in page
    assert "（必答）" in page and "（选答）" in page and 'id="questions-note"' in page
    yes_no = _select(page, "extra_returns")
    assert re.findall(r"<option[^>]*>([^<]*)</option>", yes_no) == ["— 请选择 —", "是", "否"]
    assert re.search(r'<option selected value="">', yes_no)
    choice = _select(page, "extra_field")
    assert re.findall(r"<option[^>]*>([^<]*)</option>", choice) == ["— 请选择 —", "数学", "物理"]
    years = _input(page, "extra_years_abroad")
    assert 'type="number"' in years and 'min="0"' in years and 'max="40"' in years
    founded = _input(page, "extra_founded")
    assert 'type="date"' in founded and 'min="2000-01-01"' in founded and 'max="2026-12-31"' in founded
    assert 'maxlength="100"' in _input(page, "extra_statement")
    assert _input(page, "extra_story").startswith("<textarea")
    assert "0 至 40。" in page and "10 至 100 个字。" in page

    client.get("/lang/en")
    page = client.get(f"/applications/{application.id}/edit/plan").get_data(as_text=True)
    assert "Personal statement" in page and "Years abroad" in page and "(optional)" in page
    assert re.findall(r"<option[^>]*>([^<]*)</option>", _select(page, "extra_field")) == [
        "— choose —",
        "Mathematics",
        "Physics",
    ]
    assert re.findall(r"<option[^>]*>([^<]*)</option>", _select(page, "extra_returns"))[1:] == ["Yes", "No"]


def test_bad_answers_are_refused_next_to_their_fields_and_kept(client, demo, scholar):
    pin(demo, call_of(demo, "bairen"), questions=ALL)
    application = _start(client, demo)
    url = f"/applications/{application.id}/edit/plan"
    response = client.post_form(
        url,
        {
            "plan": "研究计划" * 20,
            "extra_statement": "太短",
            "extra_years_abroad": "50",
            "extra_returns": "no",
            "extra_founded": "1999-05-01",
            "extra_field": "chem",
            "extra_story": "",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请至少填写 10 个字（现为 2 个）" in page and "请输入不大于 40 的数。" in page
    assert "请输入 2000-01-01 或之后的日期。" in page and "请从所列选项中选择。" in page
    assert 'value="太短"' in page and 'value="50"' in page and 'value="1999-05-01"' in page
    assert re.search(r'<option selected value="no">否</option>', _select(page, "extra_returns"))
    assert page.index("请输入不大于 40 的数。") > page.index('name="extra_years_abroad"')  # under its field
    demo.session.expire_all()
    assert demo.session.get(Application, application.id).extra in ({}, None)

    response = client.post_form(url, {"plan": "研究计划" * 20, "extra_years_abroad": "abc"})
    assert response.status_code == 400 and "请输入数字。" in response.get_data(as_text=True)

    response = client.post_form(
        url,
        {
            "plan": "研究计划" * 20,
            "extra_statement": "我在海外从事代数几何研究多年",
            "extra_years_abroad": "6",
            "extra_returns": "no",
            "extra_founded": "2020-05-01",
            "extra_field": "phys",
            "extra_story": "",
        },
    )
    assert response.status_code == 302
    demo.session.expire_all()
    assert demo.session.get(Application, application.id).extra == {
        "statement": "我在海外从事代数几何研究多年",
        "story": None,
        "years_abroad": 6,
        "returns": False,
        "founded": "2020-05-01",
        "field": "phys",
    }
    page = client.get(url).get_data(as_text=True)  # the saved answers come back
    assert 'value="6"' in page and 'value="2020-05-01"' in page
    assert re.search(r'<option selected value="no">', _select(page, "extra_returns"))
    assert re.search(r'<option selected value="phys">', _select(page, "extra_field"))


def test_the_detail_page_shows_every_question_with_its_answer(client, demo, scholar):
    pin(demo, call_of(demo, "bairen"), questions=ALL)
    application = _start(client, demo)
    application.extra = {
        "statement": "我在海外从事代数几何研究多年",
        "years_abroad": 6,
        "returns": False,
        "founded": "2020-05-01",
        "field": "phys",
    }
    demo.session.commit()
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    answers = re.search(r'<dl class="row" id="answers">(.*?)</dl>', page, re.S).group(1)
    pairs = re.findall(r"<dt[^>]*>([^<]*)</dt><dd[^>]*>([^<]*)</dd>", answers)
    assert pairs == [
        ("个人陈述", "我在海外从事代数几何研究多年"),
        ("成长经历", "—"),
        ("海外工作年数", "6"),
        ("入选后全职回国", "否"),
        ("团队组建日期", "2020-05-01"),
        ("研究方向", "物理"),
    ]

    # Once submitted, the page shows the answers as frozen in the snapshot.
    application.snapshot = build_snapshot(application, [], utcnow())
    application.state, application.submitted_at = "submitted", utcnow()
    application.extra = {}
    demo.session.commit()
    client.get("/lang/en")
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Questions of the call" in page
    answers = re.search(r'<dl class="row" id="answers">(.*?)</dl>', page, re.S).group(1)
    assert re.findall(r"<dd[^>]*>([^<]*)</dd>", answers) == [
        "我在海外从事代数几何研究多年",
        "—",
        "6",
        "No",
        "2020-05-01",
        "Physics",
    ]


def _upload(client, application, kind, name):
    return client.post(
        f"/applications/{application.id}/documents",
        data={"csrf_token": client.csrf_token(), "kind": kind, "file": (io.BytesIO(pdf_bytes(1)), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_documents_step_shows_required_optional_and_counts_and_refuses_one_too_many(client, demo, scholar):
    pin(demo, call_of(demo, "bairen"), documents=[CV, PAPERS])
    application = _start(client, demo)
    page = client.get(f"/applications/{application.id}/edit/documents").get_data(as_text=True)
    cv = re.search(r'<tr id="doc-cv">(.*?)</tr>', page, re.S).group(1)
    papers = re.search(r'<tr id="doc-papers">(.*?)</tr>', page, re.S).group(1)
    assert "必交材料" in cv and "已上传 0 / 1 个文件" in cv and "未上传" in cv
    assert "选交材料" in papers and "已上传 0 / 2 个文件" in papers and "暂无" in papers
    assert 'id="doc-degree"' not in page  # the program's other documents are not this call's

    _upload(client, application, "papers", "p1.pdf")
    page = _upload(client, application, "papers", "p2.pdf").get_data(as_text=True)
    papers = re.search(r'<tr id="doc-papers">(.*?)</tr>', page, re.S).group(1)
    assert "已上传 2 / 2 个文件" in papers and "p1.pdf" in papers and "p2.pdf" in papers
    assert "已上传全部 2 个文件" in papers and 'type="file"' not in papers

    page = _upload(client, application, "papers", "p3.pdf").get_data(as_text=True)
    assert "“p3.pdf”未保存" in page and "最多可上传 2 个文件" in page
    names = (
        demo.session.execute(select(Document.original_name).where(Document.application_id == application.id))
        .scalars()
        .all()
    )
    assert sorted(names) == ["p1.pdf", "p2.pdf"]


def test_unit_selects_start_empty_and_offer_only_the_programs_subtree(client, demo, scholar):
    call = call_of(demo, "bairen")
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    start = _select(page, "unit_id")
    assert re.match(r'\s*<option selected value="">— 请选择 —</option>', start)
    response = client.post_form(f"/calls/{call.id}/apply", {"unit_id": ""}, follow_redirects=True)
    assert "请选择审核您申请的依托单位" in response.get_data(as_text=True)

    cas = demo.session.execute(select(Unit).where(Unit.code == "CAS")).scalar_one()
    call.program.unit_scope_id = cas.id
    demo.session.commit()
    response = client.post_form(
        f"/calls/{call.id}/apply", {"unit_id": str(unit_id(demo, "THU"))}, follow_redirects=True
    )
    assert demo.session.execute(select(Application).where(Application.applicant_id == scholar.id)).first() is None
    assert "百人计划仅受理中国科学院的申请：清华大学不能审核本申请" in response.get_data(as_text=True)
    application = _start(client, demo, unit="CAS-IOP")

    page = client.get(f"/applications/{application.id}/edit/basics").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]*)</option>", _select(page, "unit_id"))
    assert options[0] == "— 请选择 —" and options[1] == "中国科学院"
    assert "\u3000物理研究所" in options and "清华大学" not in options and "北京大学" not in options
    assert re.search(rf'<option selected value="{unit_id(demo, "CAS-IOP")}">', page)

    response = client.post_form(
        f"/applications/{application.id}/edit/basics",
        {"unit_id": str(unit_id(demo, "THU-MATH")), "title": "新题目", "discipline_code": "A01", "keywords": ""},
    )
    assert response.status_code == 400 and 'value="新题目"' in response.get_data(as_text=True)
    demo.session.expire_all()
    assert demo.session.get(Application, application.id).unit_id == unit_id(demo, "CAS-IOP")


def test_the_unit_pages_show_the_calls_quota_for_the_unit(client, demo, make_user):
    mine = submitted_application(demo, make_user, name="本所申请人")
    call = mine.call
    call.unit_quota = 4
    demo.session.add(CallUnitQuota(call_id=call.id, unit_id=unit_id(demo, "CAS-AMSS"), quota=2))
    demo.session.commit()
    client.logout()
    assert client.login("unit@demo.talent.cn", DEMO_PASSWORD).status_code == 302
    page = client.get("/unit/").get_data(as_text=True)
    assert "已用推荐名额：0 / 2" in page
    page = client.get(f"/unit/applications/{mine.id}").get_data(as_text=True)
    assert re.search(r'id="unit-quota">[^<]*已用推荐名额：0 / 2', page)
