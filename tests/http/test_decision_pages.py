"""The decision session pages, the public notice page and the throttled objection form (SPEC §6.1–6.2)."""

from datetime import timedelta

import pytest

from portal.accounts.services import find_user
from portal.database import commit
from portal.decisions import services
from portal.decisions.models import Objection
from portal.seed import DEMO_PASSWORD, load_demo
from tests.factories import approved_applications, reviewed_applications


@pytest.fixture()
def office(db, client):
    load_demo()
    user = find_user("program@demo.talent.cn")
    user.locale = "en"
    commit()
    assert client.login(user.email, DEMO_PASSWORD).status_code == 302
    client.get("/lang/en")
    return user


def test_session_page_records_drafts_and_finalises(db, client, make_user, office):
    a, b = reviewed_applications(db, make_user, [90, 80])
    a.integrity_flag = True
    commit()
    base = f"/office/decisions/calls/{a.call_id}"
    page = client.get(base).get_data(as_text=True)
    assert "Open a decision session" in page

    response = client.post_form(
        base + "/open", {"open-committee_size": "15", "open-quorum": "20", "open-two_thirds": "y"}
    )
    assert response.status_code == 409 and "cannot exceed the committee size" in response.get_data(as_text=True)
    response = client.post_form(
        base + "/open", {"open-committee_size": "15", "open-quorum": "10", "open-two_thirds": "y"}
    )
    assert response.status_code == 302
    session = services.current_session(a.call)
    page = client.get(base).get_data(as_text=True)
    assert a.applicant.name in page and b.applicant.name in page and "Integrity flag" in page

    url = f"/office/decisions/sessions/{session.id}/applications/{b.id}"
    response = client.post_form(
        url,
        {
            f"d{b.id}-outcome": "approve",
            f"d{b.id}-votes_for": "6",
            f"d{b.id}-votes_against": "4",
            f"d{b.id}-votes_abstain": "1",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and "two thirds" in body
    assert f'name="d{b.id}-votes_abstain" id="d{b.id}-votes_abstain" value="1"' in body  # typed values kept
    response = client.post_form(
        url,
        {
            f"d{b.id}-outcome": "approve",
            f"d{b.id}-votes_for": "9",
            f"d{b.id}-votes_against": "1",
            f"d{b.id}-votes_abstain": "0",
        },
    )
    assert response.status_code == 302
    url_a = f"/office/decisions/sessions/{session.id}/applications/{a.id}"
    response = client.post_form(
        url_a,
        {
            f"d{a.id}-outcome": "approve",
            f"d{a.id}-votes_for": "12",
            f"d{a.id}-votes_against": "0",
            f"d{a.id}-votes_abstain": "0",
        },
    )
    assert response.status_code == 409 and "integrity flag" in response.get_data(as_text=True)
    db.session.expire_all()
    assert b.state == "reviewed"  # a draft until the session is finalised

    response = client.post_form(f"/office/decisions/sessions/{session.id}/finalise", {"fin-minutes": "纪要"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (a.state, b.state) == ("reviewed", "approved")
    page = client.get(base).get_data(as_text=True)
    assert "1 reviewed applications had no decision" in page and "Publish the public notice" in page

    response = client.post_form(base + "/publish", {"pub-days": "7"})
    assert response.status_code == 302
    db.session.expire_all()
    assert b.state == "in_notice"


def test_approve_top_form(db, client, make_user, office):
    a, b, c = reviewed_applications(db, make_user, [70, 90, 80])
    a.call.total_quota = 2
    commit()
    session = services.open_session(a.call, office, 15, 10, True)
    commit()
    response = client.post_form(
        f"/office/decisions/sessions/{session.id}/approve-top",
        {"top-n": "3", "top-votes_for": "12", "top-votes_against": "1", "top-votes_abstain": "0"},
        follow_redirects=True,
    )
    assert "2 candidates approved as drafts." in response.get_data(as_text=True)
    assert {d.application_id for d in session.decisions} == {b.id, c.id}


@pytest.fixture()
def notice(db, make_user):
    load_demo()
    admin = find_user("program@demo.talent.cn")
    (a,) = approved_applications(db, make_user, admin, [90])
    published = services.publish_notice(a.call, admin).notice
    commit()
    return published


def test_notice_page_is_public(client, notice):
    client.get("/lang/en")
    page = client.get("/notice/").get_data(as_text=True)
    item = notice.items[0]
    assert item.name in page and item.unit_name in page and item.program_name in page and "数学" in page
    response = client.get(f"/notice/{notice.id}/objection")
    assert response.status_code == 200 and item.name in response.get_data(as_text=True)


def test_objections_are_throttled_per_address(db, client, notice):
    client.get("/lang/en")
    url = f"/notice/{notice.id}/objection"
    data = {
        "item_id": str(notice.items[0].id),
        "contact_name": "王五",
        "contact": "13900000000",
        "content": "该候选人的海外工作经历与事实不符。",
    }
    for _ in range(5):
        response = client.post_form(url, data)
        assert response.status_code == 200 and "Your objection has been filed" in response.get_data(as_text=True)
    response = client.post_form(url, data)
    body = response.get_data(as_text=True)
    assert response.status_code == 429 and "at most 5 per hour" in body and "13900000000" in body
    assert db.session.query(Objection).count() == 5


def test_objection_after_the_period_is_refused(db, client, notice):
    client.get("/lang/en")
    notice.published_at = notice.published_at - timedelta(days=8)
    notice.ends_at = notice.ends_at - timedelta(days=8)
    commit()
    response = client.post_form(
        f"/notice/{notice.id}/objection",
        {
            "item_id": str(notice.items[0].id),
            "contact_name": "王五",
            "contact": "x",
            "content": "期满之后提交的异议内容。",
        },
    )
    assert response.status_code == 409 and "objection period of this notice has ended" in response.get_data(
        as_text=True
    )
    assert client.get("/notice/").get_data(as_text=True).count(notice.items[0].name) == 0


def test_handling_an_objection_and_closing(db, client, notice, office):
    objection = services.file_objection(
        notice, notice.items[0].id, "王五", "x@example.cn", "论文署名存在不实情况。", "10.0.0.1"
    )
    commit()
    page = client.get(f"/office/decisions/notices/{notice.id}").get_data(as_text=True)
    assert "论文署名存在不实情况。" in page
    response = client.post_form(
        f"/office/decisions/objections/{objection.id}/handle",
        {f"o{objection.id}-decision": "uphold", f"o{objection.id}-note": ""},
    )
    assert response.status_code == 400
    response = client.post_form(
        f"/office/decisions/objections/{objection.id}/handle",
        {f"o{objection.id}-decision": "uphold", f"o{objection.id}-note": "经核查异议成立。"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert notice.items[0].application.state == "rejected"
    assert "经核查异议成立。" in client.get(f"/office/decisions/notices/{notice.id}").get_data(as_text=True)
    response = client.post_form("/office/decisions/notices/close-due", follow_redirects=True)
    assert "0 notices ended" in response.get_data(as_text=True)


def test_cli_close_reports_what_happened(app, db, notice):
    from portal.decisions.cli import notices_cli

    assert "No notice period has ended." in app.test_cli_runner().invoke(notices_cli, ["close"]).output
    notice.published_at -= timedelta(days=8)
    notice.ends_at -= timedelta(days=8)
    commit()
    output = app.test_cli_runner().invoke(notices_cli, ["close"]).output
    assert f"Notice {notice.id}: 1 awarded, 0 waiting" in output
