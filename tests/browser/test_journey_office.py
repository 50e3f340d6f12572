"""A program office from an empty office, in Chromium: the sysadmin makes a new program admin who runs 青年英才开发计划
only; that admin copies last year's call, makes it open now and close a minute or two ahead, replaces the rules with
an age limit of 35, adds a required yes/no question and publishes the call; a new applicant is refused by the age
rule with its reason, fixes the profile, answers the question and submits; the call closes by itself at its deadline
and refuses a late submit; the office starts the review (refused once while an application waits for its unit); and
an application of 千人计划 answers 404 to this admin."""

import re
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from portal.seed import DEMO_PASSWORD
from tests.factories import fill_application, pdf_bytes, submitted_application, unit_id

BEIJING = ZoneInfo("Asia/Shanghai")
PASSWORD = "journey-password-1"
ADMIN = "office.journey@example.cn"
APPLICANT = "office.applicant@example.cn"
LATE = "office.late@example.cn"
QUESTION = "returns_fulltime_2027"
DOCUMENTS = ("cv", "degree", "plan")  # the program's required documents (unchanged by this office)
#: The deadline leaves the steps after saving the call's dates (the rules, the question, publishing and both
#: applicants, some 50 page loads) this many times as long as the steps before it took (some 15), and at least
#: MIN_MARGIN seconds: a slower machine gets a later deadline.
MARGIN_FACTOR, MIN_MARGIN = 6, 30


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


def _logout(page):
    page.goto("/")
    logout = page.locator("#nav form[action$='/logout'] button[type=submit]")
    if logout.count():
        logout.click()
        expect(page.locator("#current-user")).to_have_count(0)


def _login(page, email, password):
    """Log out whoever is logged in, then log in."""
    _logout(page)
    page.goto("/account/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    expect(page.locator("#current-user")).to_have_count(1)


def _register(page, app, email, name):
    """Register through the page, confirm by the emailed link and log in."""
    _logout(page)
    page.goto("/account/register")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("#check-email")).to_contain_text(email)
    page.goto(re.search(r"https?://\S+/account/confirm/\S+", _last_mail(app, email)).group(0))
    expect(page.locator("main .alert-success")).to_contain_text("邮箱验证成功")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("#current-user")).to_have_text(name)


def _minute_at_least(moment: datetime, seconds: float) -> datetime:
    """The first whole minute at least `seconds` after `moment` (the call form takes hours and minutes)."""
    later = moment + timedelta(seconds=seconds)
    whole = later.replace(second=0, microsecond=0)
    return whole if whole == later else whole + timedelta(minutes=1)


def _call_id(page) -> int:
    return int(re.search(r"/office/calls/(\d+)", page.url).group(1))


def _late_draft(app, call_id):
    """A second applicant's complete draft of the call, made before the deadline (as if through every step)."""
    from portal.accounts.services import create_user
    from portal.applications import services
    from portal.applications.models import Education, Profile
    from portal.extensions import db
    from portal.programs.models import Call

    with app.app_context():
        user = create_user(LATE, "迟交者", PASSWORD, [("applicant", None)], actor="test")
        db.session.add(
            Profile(
                user_id=user.id,
                gender="female",
                birth_date=date(1996, 2, 1),
                nationality="CN",
                id_type="id_card",
                id_number="110101199602010028",
                phone="13800000001",
                discipline_codes=["A01"],
                keywords=["数论"],
            )
        )
        db.session.add(Education(user_id=user.id, degree="phd", institution="复旦大学", country="CN", year=2022))
        application = services.start_application(db.session.get(Call, call_id), user, unit_id(db, "FUDAN"))
        application.extra = {QUESTION: True}
        fill_application(db, application)  # commits
        return application.id


def _qianren_application(app) -> int:
    """A submitted application of 千人计划·青年项目 (a program this office does not run)."""
    from portal.accounts.services import create_user
    from portal.extensions import db

    def make_user(*roles, name):
        user = create_user("office.qianren@example.cn", name, PASSWORD, [(r, None) for r in roles], actor="test")
        db.session.commit()
        return user

    with app.app_context():
        return submitted_application(db, make_user, "qianren_youth", unit_code="FUDAN", name="千人申请人").id


def test_program_office_runs_its_call_from_copy_to_review(page, live_app, browser):
    started = time.monotonic()
    now = datetime.now(BEIJING)
    year = now.year + 1  # next year's call, copied from this year's demo call

    # 1. The sysadmin creates the program admin who runs 青年英才开发计划 only.
    _login(page, "admin@demo.talent.cn", DEMO_PASSWORD)
    page.click("text=系统管理")
    page.click("text=用户与角色")
    page.click("main >> text=新建账号")
    page.fill("#name", "青年英才办")
    page.fill("#email", ADMIN)
    page.fill("#password", PASSWORD)
    page.select_option("#roles", "program_admin")
    page.select_option("#program_id", label="青年英才开发计划")
    page.click("main button[type=submit]")
    expect(page.locator("main .alert-success")).to_contain_text(f"账号 {ADMIN} 已创建")
    expect(page.locator("#roles")).to_contain_text("青年英才开发计划")
    expect(page.locator("#roles li")).to_have_count(1)

    # 2. The new admin sees the calls of their program only, and copies last year's call.
    _login(page, ADMIN, PASSWORD)
    page.click("#nav >> text=项目管理")
    calls = page.locator("#calls tbody")
    expect(calls).to_contain_text("青年英才开发计划")
    expect(calls).not_to_contain_text("千人计划")
    expect(calls).not_to_contain_text("百人计划")
    expect(calls.locator("tr")).to_have_count(1)
    page.click("#programs-link")
    expect(page.locator("#programs tbody tr")).to_have_count(1)
    page.click("#programs tr[data-code='youth_talent'] a")
    page.click("#new-call")
    page.click(f"#copy-last button:has-text('复制 {year - 1} 年度批次')")
    expect(page.locator("main .alert-success")).to_contain_text("所有日期顺延一年")
    expect(page.locator("#year")).to_have_value(str(year))

    # Open since a minute ago, closing at a whole minute shortly ahead (the form is in Beijing time).
    now = datetime.now(BEIJING)
    opens = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    closes = _minute_at_least(now, max(MIN_MARGIN, MARGIN_FACTOR * (time.monotonic() - started)))
    page.fill("#opens_date", opens.date().isoformat())
    page.fill("#opens_time", opens.strftime("%H:%M"))
    page.fill("#closes_date", closes.date().isoformat())
    page.fill("#closes_time", closes.strftime("%H:%M"))
    page.click("#call-form button[type=submit]")
    expect(page.locator("main .alert-success")).to_contain_text("批次已保存")
    expect(page.locator("#call-life")).to_have_attribute("data-state", "draft")
    expect(page.locator("#call-facts")).to_contain_text(closes.strftime("%H:%M"))
    call_url, call_id = page.url, _call_id(page)

    # The program's rules: the old ones removed, one age limit of 35 added (without script), saved.
    page.click("#nav >> text=项目管理")
    page.click("#programs-link")
    page.click("#programs tr[data-code='youth_talent'] a")
    page.click("#program-tabs a[href$='/rules']")
    expect(page.locator("#add-rule")).to_be_visible()  # after the rows: they are all on the page
    rules = page.locator("#rules-form .rule-row")
    while rules.count():
        left = rules.count()
        page.click("#rule-0 button[value='remove:0']")
        expect(rules).to_have_count(left - 1)
    page.select_option("#new_kind", "max_age")
    page.click("#add-row")
    expect(page.locator("#rule-0")).to_have_attribute("data-kind", "max_age")
    page.fill("#rule-0-value", "35")
    page.click("#save")
    expect(page.locator("main .alert-success")).to_contain_text("已保存为第")
    expect(rules).to_have_count(1)
    expect(page.locator("#rule-0-reason")).to_contain_text("年龄不超过 35 周岁")

    # A required yes/no question.
    page.click("#program-tabs a[href$='/questions']")
    page.click("#add-row")
    page.fill("#q-0-code", QUESTION)
    page.select_option("#q-0-type", "bool")
    page.fill("#q-0-zh", "入选后全职回国工作")
    page.fill("#q-0-en", "Will work full-time in China once selected")
    page.check("#q-0-required")
    page.click("#save")
    saved = page.locator("main .alert-success")
    expect(saved).to_contain_text("已保存为第")
    version = re.search(r"第 (\d+) 版", saved.inner_text()).group(1)
    expect(page.locator("#q-0-code")).to_have_value(QUESTION)

    # Publish: the call pins this version of the rules.
    page.goto(call_url)
    expect(page.locator("#rules-version")).to_contain_text("尚未固定")
    page.click("#call-steps form[data-action='publish'] button[type=submit]")
    expect(page.locator("main .alert-success")).to_contain_text(f"规则版本 {version}")
    expect(page.locator("#call-life")).to_have_attribute("data-state", "open")
    expect(page.locator("#call-life .call-state")).to_have_text("申报中")
    expect(page.locator("#rules-version")).to_have_text(f"第 {version} 版，发布时固定")

    # A second applicant's complete draft, ready before the deadline (submitted late, below).
    late_id = _late_draft(live_app, call_id)

    # 3. A new applicant, too old for the rule at first.
    _register(page, live_app, APPLICANT, "顾远航")
    page.click("#nav >> text=个人资料")
    page.fill("#birth_date", "1985-06-01")
    page.select_option("#gender", "male")
    page.select_option("#nationality", "CN")
    page.fill("#id_number", "110101198506010019")
    page.fill("#phone", "13900001111")
    page.select_option("#discipline_codes", "A01")
    page.click("#profile-form button[type=submit]")
    expect(page.locator("main .alert-success")).to_contain_text("个人资料已保存")
    page.click("#education a:has-text('添加')")
    page.select_option("#degree", "phd")
    page.fill("#institution", "中国科学技术大学")
    page.select_option("#country", "CN")
    page.fill("#year", "2016")
    page.click("main button[type=submit]")
    expect(page.locator("#education")).to_contain_text("中国科学技术大学")

    page.click("#nav >> text=申报批次")
    card = page.locator(".card-call", has_text=f"{year} 年度")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("青年英才开发计划")
    card.locator("a").click()
    expect(page.locator("#rules")).to_contain_text("年龄不超过 35 周岁")
    expect(page.locator("#rules-version")).to_contain_text(f"第 {version} 版")
    page.select_option("#unit_id", label="复旦大学")
    page.click("main button:has-text('开始申报')")
    page.fill("#title", "青年人才的数论研究")
    page.select_option("#discipline_code", "A01")
    page.click("main button[type=submit]")
    page.click("#steps a[href$='/edit/review']")
    refused = page.locator("#eligibility tr.table-danger")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("不符合")
    expect(refused).to_contain_text("超过上限 35 周岁")
    submit = page.locator("#submit-form button[type=submit]")
    expect(submit).to_be_disabled()
    # Even a forced submit is refused by the server, with the rule's reason.
    page.check("#pledge")
    submit.evaluate("button => button.disabled = false")
    submit.click()
    expect(page.locator("main .alert-danger", has_text="您不符合全部申报条件")).to_have_count(1)
    expect(page.locator("#eligibility tr.table-danger")).to_have_count(1)

    # Fix the birth date; come back; answer the question; upload; submit.
    page.click("#nav >> text=个人资料")
    page.fill("#birth_date", "1995-06-01")
    page.click("#profile-form button[type=submit]")
    expect(page.locator("main .alert-success")).to_contain_text("个人资料已保存")
    page.click("#nav >> text=我的申请")
    page.click("text=继续填写")
    page.click("#steps a[href$='/edit/plan']")
    expect(page.locator("#questions")).to_contain_text("入选后全职回国工作")
    page.fill("#plan", "围绕模形式与椭圆曲线的算术性质开展系统研究，建设青年研究团队并开展国际合作交流。" * 2)
    page.select_option(f"#extra_{QUESTION}", "yes")
    page.click("main button[type=submit]")
    expect(page.locator("main .alert-success")).to_contain_text("已保存")
    page.click("#steps a[href$='/edit/documents']")
    for kind in DOCUMENTS:
        page.set_input_files(
            f"#doc-{kind} input[type=file]",
            files=[{"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(1)}],
        )
        page.click(f"#doc-{kind} .upload-button")
        expect(page.locator(f"#doc-{kind}")).to_contain_text(f"{kind}.pdf")
    page.click("#steps a[href$='/edit/review']")
    expect(page.locator("#eligibility tr.table-danger")).to_have_count(0)
    expect(page.locator("#problems-none")).to_have_count(1)
    page.check("#pledge")
    page.click("#submit-form button[type=submit]")
    expect(page.locator("main .alert-success")).to_contain_text("申请已提交")
    expect(page.locator("#state")).to_have_text("已提交")

    # 4. The late applicant has their complete draft open, with the submit button ready, before the deadline.
    late_context = browser.new_context(base_url=live_app.base_url, locale="zh-CN")
    try:
        late = late_context.new_page()
        late.set_default_timeout(8000)
        _login(late, LATE, PASSWORD)
        late.goto(f"/applications/{late_id}/edit/review")
        late_submit = late.locator("#submit-form button[type=submit]")
        expect(late_submit).to_be_enabled()
        late.check("#pledge")
        deadline = closes.astimezone(UTC)
        assert datetime.now(UTC) < deadline - timedelta(seconds=2), "the steps before the deadline ran late"
        time.sleep((deadline - datetime.now(UTC)).total_seconds() + 1)  # the only wait: the deadline
        late_submit.click()
        expect(late.locator("main .alert-danger")).to_contain_text("截止，不再接受提交")
        late.goto(f"/applications/{late_id}")
        expect(late.locator("#state")).to_have_text("草稿")
        late.goto("/")
        expect(late.locator(".card-call", has_text=f"{year} 年度")).to_have_count(0)
    finally:
        late_context.close()

    # The office sees the call closed, though nothing but the clock has changed.
    _login(page, ADMIN, PASSWORD)
    page.goto(call_url)
    expect(page.locator("#call-life")).to_have_attribute("data-state", "closed")
    expect(page.locator("#call-life .call-state")).to_have_text("已截止")
    expect(page.locator("#call-waiting")).to_contain_text("1 项申请等待单位审核")

    # 5. Start review: refused while the submitted application waits for its unit, then confirmed.
    page.click("#call-steps form[data-action='start_review'] button[type=submit]")
    expect(page.locator("#refusal")).to_contain_text("仍有 1 项申请等待单位审核，0 项等待形式审查")
    page.check("#confirm")
    page.click("main button:has-text('重试')")
    expect(page.locator("main .alert-success")).to_contain_text("评审已启动")
    expect(page.locator("#call-life")).to_have_attribute("data-state", "review")
    expect(page.locator("#call-life .call-state")).to_have_text("评审中")

    # 6. An application of 千人计划 does not exist for this office.
    qianren_id = _qianren_application(live_app)
    response = page.goto(f"/office/applications/{qianren_id}")
    assert response.status == 404
    # Refused forms answer 400/409 and the 404 above: Chromium reports those as failed resources, as expected here.
    assert [e for e in page.console_errors if not re.search(r"status of (400|404|409)", e)] == [], page.console_errors
