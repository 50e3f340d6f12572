"""A new user, in Chromium: register, confirm by the emailed link, switch language, log in and out."""

import re

from sqlalchemy import select


def _confirmation_link(app, email):
    from portal.extensions import db
    from portal.notifications.models import OutboxMessage

    with app.app_context():
        body = (
            db.session.execute(
                select(OutboxMessage.body_text)
                .where(OutboxMessage.to_address == email)
                .order_by(OutboxMessage.id.desc())
            )
            .scalars()
            .first()
        )
    return re.search(r"https?://\S+/account/confirm/\S+", body).group(0)


def test_register_confirm_login_in_both_languages(page, live_app):
    page.goto("/")
    assert page.locator("h2").first.inner_text() == "正在申报的批次"
    assert page.locator(".card-call").count() == 7

    page.click("text=注册")
    page.fill("#name", "林书豪")
    page.fill("#email", "lin@example.cn")
    page.fill("#password", "browser-password-1")
    page.fill("#confirm", "browser-password-2")
    page.click("button[type=submit]")
    assert "两次输入的密码不一致" in page.content()
    assert page.input_value("#name") == "林书豪"
    page.fill("#password", "browser-password-1")
    page.fill("#confirm", "browser-password-1")
    page.click("button[type=submit]")
    assert "lin@example.cn" in page.locator("#check-email").inner_text()

    page.goto(_confirmation_link(live_app, "lin@example.cn"))
    assert "邮箱验证成功" in page.content()

    page.click("#lang-switch")
    assert page.locator("h1").inner_text() == "Log in"
    page.fill("#email", "lin@example.cn")
    page.fill("#password", "browser-password-1")
    page.click("button[type=submit]")
    assert page.locator("#current-user").inner_text() == "林书豪"
    assert "Calls open for applications" in page.content()
    page.click("text=Log out")
    assert "You have logged out." in page.content()
    assert page.console_errors == [], page.console_errors


def test_sysadmin_demo_login_reaches_administration(page, live_app):
    from portal.seed import DEMO_PASSWORD

    page.goto("/account/login")
    page.fill("#email", "admin@demo.talent.cn")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.click("text=系统管理")  # a Bootstrap dropdown: needs the locally served JavaScript
    page.click("text=用户与角色")
    assert page.locator("h1").inner_text() == "用户与角色"
    assert page.locator("table tbody tr").count() >= 5
    page.screenshot(path=str(live_app.config["UPLOAD_FOLDER"]) + "-admin-users.png")
    assert page.console_errors == [], page.console_errors
