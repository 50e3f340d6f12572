"""A sysadmin manages people, roles and the unit tree; every change lands in the audit log."""

from sqlalchemy import select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.programs.models import Unit


def _actions(db):
    return db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()


def test_sysadmin_creates_account_grants_and_revokes_roles(client, db, login_as, unit):
    login_as("sysadmin")
    response = client.post_form(
        "/admin/users/new",
        {
            "name": "孙专家",
            "email": "sun@example.cn",
            "password": "initial-password",
            "roles": ["expert"],
            "unit_id": "0",
        },
    )
    assert response.status_code == 302
    user = db.session.execute(select(User).where(User.email == "sun@example.cn")).scalar_one()
    assert user.role_names == {"expert"} and user.email_confirmed_at is not None

    response = client.post_form(f"/admin/users/{user.id}", {"role": "unit_admin", "unit_id": "0"})
    assert "单位管理员必须绑定一个单位" in response.get_data(as_text=True)
    response = client.post_form(f"/admin/users/{user.id}", {"role": "unit_admin", "unit_id": str(unit.id)})
    assert response.status_code == 302
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "单位管理员 · 测试学院" in page

    db.session.expire_all()
    role = next(r for r in db.session.get(User, user.id).roles if r.role == "expert")
    client.post_form(f"/admin/users/{user.id}/roles/{role.id}/revoke")
    db.session.expire_all()
    assert db.session.get(User, user.id).role_names == {"unit_admin"}
    assert {"user.created", "user.role_granted", "user.role_revoked"} <= set(_actions(db))


def test_user_list_search_and_role_filter(client, login_as, make_user):
    login_as("sysadmin")
    make_user("expert", email="findme@example.cn", name="周找到")
    make_user("applicant", email="other@example.cn", name="吴其他")
    page = client.get("/admin/users?q=findme").get_data(as_text=True)
    assert "周找到" in page and "吴其他" not in page
    page = client.get("/admin/users?role=expert").get_data(as_text=True)
    assert "周找到" in page and "吴其他" not in page
    page = client.get("/admin/users?q=FINDME").get_data(as_text=True)  # case does not matter
    assert "周找到" in page
    page = client.get("/admin/users?q=%25").get_data(as_text=True)  # "%" is searched as text, not a wildcard
    assert "周找到" not in page and "吴其他" not in page


def test_deactivated_account_cannot_log_in(client, db, login_as, make_user):
    target = make_user("applicant", email="leaving@example.cn")
    login_as("sysadmin")
    client.post_form(f"/admin/users/{target.id}/active")
    client.logout()
    response = client.login("leaving@example.cn", "correct-horse-battery")
    assert response.status_code == 200 and "该账号已停用" in response.get_data(as_text=True)


def test_unit_tree_create_edit_and_cycle_refused(client, db, login_as, unit):
    login_as("sysadmin")
    response = client.post_form(
        "/admin/units/new", {"code": "T-LAB", "name_zh": "测试实验室", "name_en": "Test Lab", "parent_id": str(unit.id)}
    )
    assert response.status_code == 302
    lab = db.session.execute(select(Unit).where(Unit.code == "T-LAB")).scalar_one()
    assert lab.parent_id == unit.id
    page = client.get("/admin/units").get_data(as_text=True)
    assert page.index("测试大学") < page.index("测试学院") < page.index("测试实验室")

    # Moving the parent below its own descendant is refused and the form keeps the input.
    root = unit.parent
    response = client.post_form(
        f"/admin/units/{root.id}", {"code": root.code, "name_zh": "改名大学", "name_en": "", "parent_id": str(lab.id)}
    )
    page = response.get_data(as_text=True)
    assert "单位不能挂在自身或其下级单位之下" in page and 'value="改名大学"' in page
    response = client.post_form("/admin/units/new", {"code": "T-LAB", "name_zh": "重复", "parent_id": "0"})
    assert "该代码已被其他单位使用" in response.get_data(as_text=True)
    assert "unit.created" in _actions(db)


def test_audit_page_verifies_chain(client, login_as):
    login_as("sysadmin")
    page = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "哈希链完整" in page and "account.login" in page


def test_refused_account_changes_say_why_and_change_nothing(client, db, login_as):
    admin = login_as("sysadmin")
    response = client.post_form(f"/admin/users/{admin.id}/active")
    assert response.status_code == 302 and response.location.endswith(f"/admin/users/{admin.id}")
    page = client.get(response.location).get_data(as_text=True)
    assert "alert-danger" in page and "不能停用自己的账号。" in page and "账号已停用。" not in page

    role = next(r for r in admin.roles if r.role == "sysadmin")
    page = client.post_form(f"/admin/users/{admin.id}/roles/{role.id}/revoke", follow_redirects=True).get_data(
        as_text=True
    )
    assert "不能撤销最后一名系统管理员的角色。" in page and "角色已撤销。" not in page
    db.session.expire_all()
    assert db.session.get(User, admin.id).active and db.session.get(User, admin.id).role_names == {"sysadmin"}
    assert not {"user.deactivated", "user.role_revoked"} & set(_actions(db))
