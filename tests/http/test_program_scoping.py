"""Offices scoped to the programs they hold: the lists show only held programs' rows; the sysadmin grants and
revokes programs on the user page; a category's scheme is changed only by who runs all its programs."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.decisions.models import Appeal
from portal.programs.models import Call, Program
from tests.conftest import PASSWORD


def _program(db, code: str) -> Program:
    return db.session.execute(select(Program).where(Program.code == code)).scalar_one()


def _call(db, code: str) -> Call:
    return db.session.execute(select(Call).join(Program).where(Program.code == code)).scalars().first()


@pytest.fixture()
def objects(db):
    from tests.http.test_access_matrix import build_program_objects

    return build_program_objects(db)


def _holding(client, make_user, db, *codes, **kwargs):
    user = make_user(*[("program_admin", None, _program(db, code).id) for code in codes], **kwargs)
    assert client.login(user.email, PASSWORD).status_code == 302
    return user


def test_office_calls_lists_only_the_held_programs_calls(client, db, objects, make_user):
    bairen, qianren = _call(db, "bairen"), _call(db, "qianren_long")
    _holding(client, make_user, db, "bairen")
    page = client.get("/office/").get_data(as_text=True)
    assert f'/office/calls/{bairen.id}"' in page and f'/office/calls/{qianren.id}"' not in page
    assert bairen.title_zh in page and qianren.title_zh not in page
    assert client.get(f"/office/calls/{qianren.id}").status_code == 404
    client.logout()

    _holding(client, make_user, db, "qianren_long", "qianren_short")
    page = client.get("/office/").get_data(as_text=True)
    assert qianren.title_zh in page and _call(db, "qianren_short").title_zh in page and bairen.title_zh not in page
    client.logout()

    make_user("program_admin", email="wide@example.cn")  # office-wide: every call
    client.login("wide@example.cn", PASSWORD)
    page = client.get("/office/").get_data(as_text=True)
    assert bairen.title_zh in page and qianren.title_zh in page


def test_appeals_list_shows_and_decides_only_held_programs_appeals(client, db, objects, make_user):
    from tests.factories import AppealFactory, submitted_application

    other = submitted_application(db, make_user, "qianren_long", name="钱申请", state="appeal")
    other_appeal = AppealFactory(application=other, reason="千人计划的复审理由，请重新评审。" * 2)
    db.session.commit()

    _holding(client, make_user, db, "bairen")
    page = client.get("/applications/appeals").get_data(as_text=True)
    assert f'id="appeal-{objects["appeal"]}"' in page and f'id="appeal-{other_appeal.id}"' not in page
    assert "钱申请" not in page
    refused = client.post_form(
        f"/applications/appeals/{other_appeal.id}",
        {f"appeal{other_appeal.id}-decision": "reject", f"appeal{other_appeal.id}-note": "驳回"},
    )
    assert refused.status_code == 404
    db.session.expire_all()
    assert db.session.get(Appeal, other_appeal.id).status == "pending"
    client.logout()

    _holding(client, make_user, db, "qianren_long")
    page = client.get("/applications/appeals").get_data(as_text=True)
    assert f'id="appeal-{other_appeal.id}"' in page and f'id="appeal-{objects["appeal"]}"' not in page


def test_letters_index_shows_only_held_programs(client, db, objects, make_user):
    bairen, qianren = _program(db, "bairen"), _program(db, "qianren_long")
    _holding(client, make_user, db, "qianren_long")
    page = client.get("/office/letters/").get_data(as_text=True)
    assert qianren.name_zh in page and bairen.name_zh not in page
    assert f"/office/letters/programs/{bairen.id}/" not in page
    assert f'/office/letters/calls/{_call(db, "bairen").id}"' not in page
    assert f'/office/letters/calls/{_call(db, "qianren_long").id}"' in page
    assert client.get(f"/office/letters/programs/{bairen.id}/approved").status_code == 404
    assert client.get(f"/office/letters/{objects['letter']}/pdf").status_code == 404


def test_close_due_closes_only_the_held_programs_notices(client, db, objects, make_user):
    from portal.decisions.models import Notice

    notice = db.session.get(Notice, objects["notice"])
    notice.published_at = notice.published_at - timedelta(days=10)
    notice.ends_at = notice.ends_at - timedelta(days=10)
    db.session.get(Appeal, objects["appeal"])  # untouched
    from portal.decisions.models import Objection

    db.session.get(Objection, objects["objection"]).status = "dismissed"
    db.session.commit()

    _holding(client, make_user, db, "qianren_long")
    client.post_form("/office/decisions/notices/close-due")
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).status == "open"
    client.logout()

    _holding(client, make_user, db, "bairen")
    client.post_form("/office/decisions/notices/close-due")
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).status == "closed"


def test_a_category_scheme_is_saved_only_by_who_runs_all_its_programs(client, db, demo, make_user):
    from portal.reviews.evaluation.schemes import latest

    before = latest("young").version
    _holding(client, make_user, db, "youth_talent")  # young: 千人计划·青年项目 too
    listing = client.get("/office/schemes").get_data(as_text=True)
    assert "查看" in listing  # read-only for this category
    page = client.get("/office/schemes/young")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="scheme-read-only"' in text and "保存为新版本" not in text
    fields = dict(re.findall(r'name="([wc]_[^"]+)" value="([^"]*)"', text))
    refused = client.post_form("/office/schemes/young", {**fields, "note": "想改权重"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "您并未负责其全部项目" in body and "想改权重" in body
    assert latest("young").version == before
    client.logout()

    _holding(client, make_user, db, "youth_talent", "qianren_youth")
    text = client.get("/office/schemes/young").get_data(as_text=True)
    assert "保存为新版本" in text and 'id="scheme-read-only"' not in text
    fields = dict(re.findall(r'name="([wc]_[^"]+)" value="([^"]*)"', text))
    saved = client.post_form("/office/schemes/young", {**fields, "note": "两个项目都归我们"})
    assert saved.status_code == 302 and latest("young").version == before + 1


# ---------------------------------------------------------------- the sysadmin's user page


def _grant(client, user, **data):
    return client.post_form(f"/admin/users/{user.id}", {"unit_id": "0", **data})


def test_sysadmin_grants_and_revokes_programs_one_by_one(client, db, demo, login_as, make_user):
    bairen, qianren = _program(db, "bairen"), _program(db, "qianren_long")
    login_as("sysadmin")
    person = make_user("applicant", email="office@example.cn", name="项目办")
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="program_id".*?</select>', page, re.S)[0]
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select_html)
    assert options[0] == ("", "— 请选择 —") and options[-1][0] == "all" and "全部项目" in options[-1][1]
    assert {str(p.id) for p in db.session.execute(select(Program)).scalars()} == {v for v, _t in options[1:-1]}

    missing = _grant(client, person, role="program_admin", program_id="")
    assert missing.status_code == 400 and "请选择此人负责的项目" in missing.get_data(as_text=True)

    assert _grant(client, person, role="program_admin", program_id=str(bairen.id)).status_code == 302
    twice = _grant(client, person, role="program_admin", program_id=str(bairen.id))
    assert twice.status_code == 409 and f"此人已负责项目“{bairen.name_zh}”" in twice.get_data(as_text=True)
    assert _grant(client, person, role="program_admin", program_id=str(qianren.id)).status_code == 302
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert f"项目管理员 · {bairen.name_zh}" in page and f"项目管理员 · {qianren.name_zh}" in page
    listing = client.get("/admin/users?q=office%40example.cn").get_data(as_text=True)
    assert f"项目管理员 · {bairen.name_zh}" in listing and f"项目管理员 · {qianren.name_zh}" in listing

    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert person.program_ids == {bairen.id, qianren.id}
    row = next(r for r in person.roles if r.program_id == bairen.id)
    assert client.post_form(f"/admin/users/{person.id}/roles/{row.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).program_ids == {qianren.id}

    assert _grant(client, person, role="program_admin", program_id="all").status_code == 302
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "项目管理员 · 全部项目（全局）" in page
    again = _grant(client, person, role="program_admin", program_id="all")
    assert again.status_code == 409 and "此人已负责全部项目（全局）" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, person.id).program_ids is None

    # Other roles ignore the program select.
    assert _grant(client, person, role="expert", program_id=str(bairen.id)).status_code == 302
    db.session.expire_all()
    assert next(r for r in db.session.get(User, person.id).roles if r.role == "expert").program_id is None


def test_sysadmin_creates_a_program_admin_for_one_program(client, db, demo, login_as):
    bairen = _program(db, "bairen")
    login_as("sysadmin")
    data = {
        "name": "百人办",
        "email": "bairen-office@example.cn",
        "password": "initial-password",
        "roles": ["program_admin"],
        "unit_id": "0",
    }
    missing = client.post_form("/admin/users/new", {**data, "program_id": ""})
    assert missing.status_code == 400 and "请选择此人负责的项目" in missing.get_data(as_text=True)
    assert client.post_form("/admin/users/new", {**data, "program_id": str(bairen.id)}).status_code == 302
    user = db.session.execute(select(User).where(User.email == "bairen-office@example.cn")).scalar_one()
    assert user.program_ids == {bairen.id}

    # The new office sees its program's call and not another's.
    client.logout()
    client.login(user.email, "initial-password")
    page = client.get("/office/").get_data(as_text=True)
    assert _call(db, "bairen").title_zh in page and _call(db, "qianren_long").title_zh not in page


def test_documents_follow_the_program(client, db, objects, make_user):
    """An application's file, a profile file of its applicant and a call's guide: another program's office gets
    404 for each, this program's office gets them."""
    from portal.applications.models import Application
    from portal.programs.models import CallAttachment
    from portal.storage import save_document
    from tests.factories import pdf_bytes

    application = db.session.get(Application, objects["app"])
    work = save_document(pdf_bytes(), kind="work", original_name="work.pdf", owner_id=application.applicant_id)
    db.session.commit()
    guide = db.session.get(CallAttachment, objects["attachment"]).document_id
    urls = [f"/documents/{application.book_document_id}", f"/documents/{work.id}", f"/documents/{guide}"]
    _holding(client, make_user, db, "qianren_long")
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    client.logout()
    _holding(client, make_user, db, "bairen")
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
