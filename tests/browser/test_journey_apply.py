"""A new applicant in Chromium: profile, refused by a rule with its reason, fix, apply, upload, referee, submit."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests.factories import pdf_bytes


def _last_mail(app, to):
    from portal.extensions import db
    from portal.notifications.models import OutboxMessage

    with app.app_context():
        return (
            db.session.execute(
                select(OutboxMessage.body_text).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id.desc())
            )
            .scalars()
            .first()
        )


def _register_and_login(page, app, email, name):
    page.goto("/account/register")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", "journey-password-1")
    page.fill("#confirm", "journey-password-1")
    page.click("main button[type=submit]")
    link = re.search(r"https?://\S+/account/confirm/\S+", _last_mail(app, email)).group(0)
    page.goto(link)
    page.fill("#email", email)
    page.fill("#password", "journey-password-1")
    page.click("main button[type=submit]")
    assert page.locator("#current-user").inner_text() == name


def test_apply_from_profile_to_application_book(page, live_app, browser):
    _register_and_login(page, live_app, "journey@example.cn", "周𠮷")

    # Profile: personal data, a PhD abroad, and (for now) only two years in a post abroad.
    page.click("text=个人资料")
    page.fill("#birth_date", "1991-03-15")
    page.select_option("#gender", "female")
    page.select_option("#nationality", "CN")
    page.fill("#id_number", "11010119910315002X")
    page.fill("#phone", "13912345678")
    page.select_option("#discipline_codes", "A01")
    page.fill("#keywords", "数论, 模形式")
    page.click("#profile-form button[type=submit]")
    expect(page.locator("body")).to_contain_text("个人资料已保存")
    page.click("#education >> text=添加")
    page.select_option("#degree", "phd")
    page.fill("#institution", "University of Cambridge")
    page.select_option("#country", "GB")
    page.fill("#year", "2015")
    page.click("main button[type=submit]")
    page.click("#position >> text=添加")
    page.fill("#employer", "ETH Zürich")
    page.select_option("#country", "CH")
    page.fill("#title", "Assistant Professor")
    page.select_option("#post_level", "assistant_professor")
    page.fill("#start_date", "2016-01-01")
    page.fill("#end_date", "2018-01-01")
    page.click("main button[type=submit]")
    assert "ETH Zürich" in page.locator("#position").inner_text()

    # Apply to 百人计划 through its call page.
    page.goto("/")
    page.click("text=百人计划")
    assert "年龄未满 40 周岁" in page.locator("#rules").inner_text()
    page.select_option("#unit_id", label="\u3000数学与系统科学研究院")
    page.click("text=开始申报")
    page.fill("#title", "模形式与数论")
    page.select_option("#discipline_code", "A01")
    page.click("main button[type=submit]")
    page.fill("#plan", "本人计划围绕模形式的算术性质开展研究，重点解决若干猜想，并培养青年人才团队。" * 2)
    page.click("main button[type=submit]")
    page.fill("#name", "钱学者")
    page.fill("#institution", "某研究所")
    page.fill("#reason", "存在合作关系")
    page.click("main button[type=submit]")
    assert "钱学者" in page.locator("#exclusions").inner_text()
    page.click("text=继续")

    for kind in ("cv", "degree", "plan"):
        page.set_input_files(
            f"#doc-{kind} input[type=file]",
            files=[{"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(2)}],
        )
        page.click(f"#doc-{kind} .upload-button")
        expect(page.locator("body")).to_contain_text("已上传（共 2 页）")
    page.set_input_files(
        "#doc-cv input[type=file]",
        files=[{"name": "wrong.pdf", "mimeType": "application/pdf", "buffer": b"plain text"}],
    )
    page.click("#doc-cv .upload-button")
    expect(page.locator("body")).to_contain_text("“wrong.pdf”未保存")
    assert "cv.pdf" in page.locator("#doc-cv").inner_text()

    page.click("text=继续")
    page.fill("#name", "孙教授")
    page.fill("#email", "sun.referee@example.edu")
    page.fill("#institution", "北京大学")
    page.click("main button[type=submit]")
    assert "等待中" in page.locator("#referees").inner_text()

    # The referee opens the emailed link in their own browser, without an account.
    link = re.search(r"https?://\S+/referee/\S+", _last_mail(live_app, "sun.referee@example.edu")).group(0)
    referee_context = browser.new_context()
    referee_page = referee_context.new_page()
    referee_page.goto(link)
    referee_page.set_input_files(
        "#file", files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(1)}]
    )
    with referee_page.expect_navigation():  # read the answer page, not the form while it is being left
        referee_page.click("main button[type=submit]")
    assert "您的推荐信已收到" in referee_page.content()
    referee_context.close()
    page.reload()
    assert "已送达" in page.locator("#referees").inner_text()

    # Refused by the rule, with its reason; fix the profile; then everything passes.
    page.click("text=检查并提交")
    eligibility = page.locator("#eligibility").inner_text()
    assert "不符合" in eligibility and "4 年" in eligibility
    assert page.locator("#submit-form button[type=submit]").is_disabled()
    page.goto("/profile")
    page.click("#position >> text=编辑")
    page.fill("#end_date", "")
    page.click("main button[type=submit]")
    assert "至今" in page.locator("#position").inner_text()
    page.click("text=我的申请")
    page.click("text=继续填写")
    page.click("text=检查并提交")
    assert "不符合" not in page.locator("#eligibility").inner_text()
    page.check("#pledge")
    page.click("#submit-form button[type=submit]")
    expect(page.locator("body")).to_contain_text("申请已提交")
    assert page.locator("#state").inner_text() == "已提交"
    assert "提交申请" in page.locator("#timeline").inner_text()

    with page.expect_download() as download_info:
        page.click("#book-link")
    path = download_info.value.path()
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)
    assert "周𠮷" in text and "模形式与数论" in text

    page.click("text=我的申请")
    assert page.locator(".application-card").count() == 1
    page.screenshot(path=str(live_app.config["UPLOAD_FOLDER"]) + "-dashboard.png", full_page=True)
    assert page.console_errors == [], page.console_errors
