"""The review pipeline on the demo data, in Chromium: unit endorsement (one refusal first), return for revision,
formal check, assignment by hand, the expert's acceptance and scoring, the office's ranking and CSV, and what the
applicant sees afterwards."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.seed import DEMO_PASSWORD

COMMITMENTS = {
    "#endorse-post": "研究员（正高级）",
    "#endorse-startup_funds": "300 万元",
    "#endorse-space": "实验室 120 平方米，办公室 20 平方米",
    "#endorse-opinion": "该申请人研究方向符合我院发展规划，同意推荐。",
}
FORMAL_REASON = "材料齐全，符合申报条件。"
FOR_APPLICANT = "研究方向前沿，工作基础扎实，建议加强国际合作。"
CONFIDENTIAL = "仅供评审委员会：建议核实其 2023 年两篇论文的重复发表情况。"


def _review_due(app):
    from portal.extensions import db
    from portal.programs.models import Call, Program

    with app.app_context():
        return (
            db.session.execute(select(Call.review_due).join(Program).where(Program.code == "bairen")).scalars().first()
        )


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


def _login(page, email):
    """Log out whoever is logged in, then log in with a demo account."""
    page.goto("/")
    logout = page.locator("#nav form[action$='/logout'] button[type=submit]")
    if logout.count():
        logout.click()
        expect(page.locator("#current-user")).to_have_count(0)
    page.goto("/account/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("#current-user")).to_have_count(1)


def _row(page, table, text):
    """The one row of `table` containing `text` (waits for the page to show it)."""
    row = page.locator(f"{table} tbody tr", has_text=text)
    expect(row).to_have_count(1)
    return row


def _bairen(page):
    return page.locator("section.unit-call", has_text="百人计划")


def test_review_pipeline_from_unit_to_ranking(page, live_app):
    # 1. The unit admin: the three demo 百人计划 applications; endorse 李娜 (refused once), return 陈浩.
    _login(page, "unit@demo.talent.cn")
    page.click("#nav >> text=单位审核")
    expect(_bairen(page)).to_have_count(1)
    for name in ("李娜", "陈浩", "杨帆"):
        expect(_bairen(page).locator("tbody tr", has_text=name)).to_have_count(1)
    expect(_bairen(page).locator("tbody")).not_to_contain_text("张丽")  # she applied to another program
    _bairen(page).locator("tbody tr", has_text="李娜").locator("a").click()
    expect(page.locator("h1")).to_contain_text("李娜")
    for selector, value in COMMITMENTS.items():
        page.fill(selector, value)
    page.fill("#endorse-score_performance", "120")
    page.fill("#endorse-score_influence", "80")
    page.click("#endorse-form button[type=submit]")
    expect(page.locator("#endorse-form")).to_contain_text("分数须在 0 到 100 之间")
    for selector, value in COMMITMENTS.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#endorse-score_influence")).to_have_value("80")
    # The refused form comes back with status 400, which Chromium reports as a failed resource: expected here.
    assert [e for e in page.console_errors if "status of 400" not in e] == [], page.console_errors
    page.console_errors.clear()
    page.fill("#endorse-score_performance", "85")
    page.click("#endorse-form button[type=submit]")
    expect(page.locator("main .alert-success")).to_contain_text("已推荐该申请并提交项目办公室")
    expect(_bairen(page).locator("tbody tr", has_text="李娜")).to_contain_text("单位已推荐")

    # 王磊 (computer science) is endorsed too: his only possible expert works in the same CAS branch.
    _bairen(page).locator("tbody tr", has_text="王磊").locator("a").click()
    for selector, value in COMMITMENTS.items():
        page.fill(selector, value)
    page.fill("#endorse-score_performance", "75")
    page.fill("#endorse-score_influence", "70")
    page.click("#endorse-form button[type=submit]")
    expect(_bairen(page).locator("tbody tr", has_text="王磊")).to_contain_text("单位已推荐")

    _bairen(page).locator("tbody tr", has_text="陈浩").locator("a").click()
    expect(page.locator("h1")).to_contain_text("陈浩")
    page.fill("#return-reason", "工作计划书过于简略，请补充未来五年的具体研究目标。")
    page.click("#return-form button[type=submit]")
    expect(_bairen(page).locator("tbody tr", has_text="陈浩")).to_contain_text("退回修改")

    # 2. The program office: formal check of 李娜, then 王建国 assigned from the candidates; 王磊's only
    #    candidate, from the applicant's CAS branch, cannot be assigned.
    _login(page, "program@demo.talent.cn")
    page.click("#nav >> text=项目管理")
    _row(page, "#calls", "百人计划").locator("a", has_text="百人计划").click()
    _row(page, "#applications", "李娜").locator("a", has_text="查看").click()
    expect(page.locator("#state")).to_contain_text("单位已推荐")
    expect(page.locator("main")).to_contain_text("300 万元")  # the unit's commitments reach the office
    page.select_option("#formal-decision", "pass")
    page.fill("#formal-comment", FORMAL_REASON)
    page.click("#formal-form button[type=submit]")
    expect(page.locator("#state")).to_contain_text("评审中")
    expect(page.locator("#formal-form")).to_have_count(0)
    candidates = page.locator("#candidates")
    expect(candidates).to_contain_text("王建国")
    expect(candidates).not_to_contain_text("吴志强")  # 计算技术研究所 (CAS branch), a computer scientist
    expect(candidates).not_to_contain_text("郑晓燕")  # a chemist
    _row(page, "#candidates", "王建国").locator("button[type=submit]").click()
    expect(page.locator("#assignments")).to_contain_text("王建国")
    expect(page.locator("#candidates")).not_to_contain_text("王建国")

    page.click("#nav >> text=项目管理")
    _row(page, "#calls", "百人计划").locator("a", has_text="百人计划").click()
    _row(page, "#applications", "王磊").locator("a", has_text="查看").click()
    page.select_option("#formal-decision", "pass")
    page.fill("#formal-comment", FORMAL_REASON)
    page.click("#formal-form button[type=submit]")
    expect(page.locator("#state")).to_contain_text("评审中")
    branch = _row(page, "#candidates", "吴志强")  # shown for the office's information, but never offered
    expect(branch).to_contain_text("与申请人属同一单位或同一单位体系")
    expect(branch.locator("button")).to_have_count(0)

    # 3. The expert, invited by email: the assignment with its due date; accept, score, submit; then it is locked.
    due = str(_review_due(live_app))
    invitation = _last_mail(live_app, "expert@demo.talent.cn")
    assert re.search(r"https?://\S+/expert/", invitation) and due in invitation, invitation
    _login(page, "expert@demo.talent.cn")
    page.click("#nav >> text=我的评审")
    expect(_row(page, "#queue", "李娜").locator(".due-date")).to_have_text(due)
    _row(page, "#queue", "李娜").locator("a").click()
    page.check("#no_conflict")
    page.click("#accept-form button[type=submit]")
    expect(page.locator("#no-conflict-statement")).to_contain_text("王建国")
    page.fill("#score_performance", "90")
    page.fill("#score_influence", "88")
    page.get_by_label("熟悉", exact=True).check()
    page.get_by_label("支持", exact=True).check()
    page.fill("#comment_for_applicant", FOR_APPLICANT)
    page.fill("#comment_confidential", CONFIDENTIAL)
    page.get_by_label("是：未发现任何不端行为").check()
    page.click("#scoring-form button[value=submit]")
    expect(_row(page, "#queue", "李娜")).to_contain_text("已提交")
    _row(page, "#queue", "李娜").locator("a").click()
    expect(page.locator("#locked")).to_contain_text("锁定")
    expect(page.locator("#scoring-form")).to_have_count(0)
    expect(page.locator("#recommendation")).to_have_text("支持")
    expect(page.locator("main")).not_to_contain_text(CONFIDENTIAL)

    # 4. The office: 李娜 ranked with a final score, normalisation switched on, the CSV with its byte order mark.
    _login(page, "program@demo.talent.cn")
    page.click("#nav >> text=项目管理")
    _row(page, "#calls", "百人计划").locator("a", has_text="排名").click()
    # unit 0.6·85 + 0.4·80 = 83, peer 0.6·90 + 0.4·88 = 89.2, final 0.3·83 + 0.7·89.2 = 87.34
    expect(_row(page, "#ranking", "李娜").locator(".final")).to_have_text("87.34")
    page.check("#opt-normalise")
    page.click("#ranking-options button[type=submit]")
    expect(page).to_have_url(re.compile(r"normalise=1"))
    expect(page.locator("#opt-normalise")).to_be_checked()
    expect(page.locator("#ranking-error")).to_have_count(0)
    expect(_row(page, "#ranking", "李娜").locator(".final")).to_have_text(re.compile(r"^\d+\.\d\d$"))
    with page.expect_download() as download_info:
        page.click("#export-csv")
    with open(download_info.value.path(), "rb") as f:
        data = f.read()
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    assert "李娜" in data.decode("utf-8-sig")
    page.click("#nav >> text=项目管理")
    _row(page, "#calls", "百人计划").locator("a", has_text="百人计划").click()
    _row(page, "#applications", "李娜").locator("a", has_text="查看").click()
    expect(page.locator("#assignments")).to_contain_text(CONFIDENTIAL)  # the office does read it

    # 5. Neither the unit nor the applicant ever sees the confidential comment; her timeline shows the unit's
    #    endorsement and the formal check.
    _login(page, "unit@demo.talent.cn")
    page.click("#nav >> text=单位审核")
    _bairen(page).locator("tbody tr", has_text="李娜").locator("a").click()
    expect(page.locator("#state")).to_contain_text("评审中")
    expect(page.locator("main")).to_contain_text(FORMAL_REASON)
    assert CONFIDENTIAL not in page.content()

    _login(page, "li.na@demo.talent.cn")
    page.click("#nav >> text=我的申请")
    card = page.locator(".application-card", has_text="百人计划")
    expect(card.locator(".timeline")).to_contain_text("单位推荐")
    expect(card.locator(".timeline")).to_contain_text("形式审查")
    assert CONFIDENTIAL not in page.content()
    card.locator("h2 a").click()
    expect(page.locator("#state")).to_contain_text("评审中")
    timeline = page.locator("#timeline")
    for text in ("提交申请", "单位推荐", "形式审查通过", FORMAL_REASON):
        expect(timeline).to_contain_text(text)
    assert CONFIDENTIAL not in page.content()
    assert page.console_errors == [], page.console_errors
