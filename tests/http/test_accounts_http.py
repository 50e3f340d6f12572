"""What a person does in the browser, through the test client: register, confirm, log in, reset."""

import re

from sqlalchemy import select

from portal.notifications.models import OutboxMessage
from tests.conftest import PASSWORD


def _mail_link(db, to):
    message = (
        db.session.execute(
            select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id.desc())
        )
        .scalars()
        .first()
    )
    return re.search(r"http://portal\.test(/\S+)", message.body_text).group(1)


def test_register_confirm_login_logout(client, db):
    page = client.get("/account/register").get_data(as_text=True)
    assert "注册申请人账号" in page
    response = client.post_form(
        "/account/register", {"name": "赵云", "email": "zhao@example.cn", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 200 and "zhao@example.cn" in response.get_data(as_text=True)

    refused = client.login("zhao@example.cn", PASSWORD)
    assert refused.status_code == 200 and "请先验证邮箱" in refused.get_data(as_text=True)

    confirmed = client.get(_mail_link(db, "zhao@example.cn"), follow_redirects=True)
    assert "邮箱验证成功" in confirmed.get_data(as_text=True)
    response = client.login("zhao@example.cn", PASSWORD)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "赵云" in home and "退出" in home
    client.logout()
    assert "登录" in client.get("/").get_data(as_text=True)
    assert "赵云" not in client.get("/").get_data(as_text=True)


def test_confirmation_link_that_is_not_genuine_is_refused(client):
    response = client.get("/account/confirm/not-a-real-token")
    assert response.status_code == 302 and response.location.endswith("/account/login")
    page = client.get(response.location).get_data(as_text=True)
    assert "alert-danger" in page and "验证链接无效。" in page and "邮箱验证成功" not in page


def test_registration_form_keeps_what_was_typed(client):
    response = client.post_form(
        "/account/register", {"name": "钱多多", "email": "qian@example.cn", "password": "short", "confirm": "different"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="钱多多"' in page and 'value="qian@example.cn"' in page
    assert "长度须在 10 到 128 个字符之间" in page and "两次输入的密码不一致" in page


def test_password_reset_by_link_that_works_once(client, db, make_user):
    make_user("applicant", email="forgot@example.cn")
    response = client.post_form("/account/forgot", {"email": "forgot@example.cn"})
    assert "forgot@example.cn" in response.get_data(as_text=True)
    link = _mail_link(db, "forgot@example.cn")
    assert client.get(link).status_code == 200
    response = client.post_form(link, {"password": "my-new-password-1", "confirm": "my-new-password-1"})
    assert response.status_code == 302
    again = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "已被使用" in again
    assert client.login("forgot@example.cn", "my-new-password-1").status_code == 302


def test_wrong_password_message_and_throttle(client, make_user, app):
    make_user("applicant", email="victim@example.cn")
    for _ in range(5):
        response = client.login("victim@example.cn", "wrong-password")
        assert response.status_code == 200 and "邮箱或密码错误" in response.get_data(as_text=True)
    blocked = client.login("victim@example.cn", PASSWORD)
    page = blocked.get_data(as_text=True)
    assert blocked.status_code == 429
    assert "登录失败次数过多" in page and 'value="victim@example.cn"' in page


def test_throttle_per_address_covers_many_accounts(client, app):
    limit = int(app.config["LOGIN_LIMIT_PER_ADDRESS"].split()[0])
    for i in range(limit):
        assert client.login(f"guess{i}@example.cn", "wrong-password").status_code == 200
    assert client.login("another@example.cn", "wrong-password").status_code == 429


def test_language_switch_and_english_pages(client):
    assert "登录" in client.get("/account/login").get_data(as_text=True)
    response = client.get("/lang/en?next=/account/login")
    assert response.status_code == 302 and response.headers["Location"] == "/account/login"
    page = client.get("/account/login").get_data(as_text=True)
    assert "Log in" in page and "简体中文" in page and 'lang="en"' in page
    assert "Page not found" in client.get("/no-such-page").get_data(as_text=True)
    client.get("/lang/zh_CN")
    assert "页面不存在" in client.get("/no-such-page").get_data(as_text=True)


def test_language_switch_refuses_open_redirect(client):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.get("/lang/en", query_string={"next": target})
        assert response.headers["Location"] == "/"


def test_login_next_only_local(client, make_user):
    make_user("applicant", email="n@example.cn")
    response = client.post_form(
        "/account/login", {"email": "n@example.cn", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"
    client.logout()
    response = client.post_form(
        "/account/login", {"email": "n@example.cn", "password": PASSWORD, "next": "/admin/users"}
    )
    assert response.headers["Location"] == "/admin/users"


def test_post_without_csrf_token_is_refused(client, make_user):
    make_user("applicant", email="csrf@example.cn")
    response = client.post("/account/login", data={"email": "csrf@example.cn", "password": PASSWORD})
    assert response.status_code == 400 and "表单已过期" in response.get_data(as_text=True)


def test_security_headers_and_cookie_flags(client, make_user):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    make_user("applicant", email="cookie@example.cn")
    login = client.login("cookie@example.cn", PASSWORD)
    cookie = next(h for h in login.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_page_loads_assets_from_elsewhere(client):
    page = client.get("/").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    css = re.search(r'href="(/bootstrap/static/[^"]+\.css)"', page).group(1)
    assert client.get(css).status_code == 200


def test_internal_error_page_is_translated(app, client, monkeypatch):
    from portal import main

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "main.index", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500 and "出错了" in response.get_data(as_text=True)
    assert main  # the real view is restored by monkeypatch
