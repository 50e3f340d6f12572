"""Unit admins and the program office through the browser's eyes (test client)."""

from sqlalchemy import select

from portal.accounts.services import find_user
from portal.applications.models import Application
from portal.reviews.models import Assignment
from portal.reviews.unit import services as unit_review
from portal.seed import DEMO_PASSWORD
from tests.factories import submitted_application


def _as(client, email):
    client.logout()
    assert client.login(email, DEMO_PASSWORD).status_code == 302


def test_unit_admin_sees_only_their_units_and_endorses_with_scores(client, demo, make_user):
    mine = submitted_application(demo, make_user, name="本所申请人")
    other = submitted_application(demo, make_user, name="外单位申请人", unit_code="THU-CS")
    _as(client, "unit@demo.talent.cn")
    page = client.get("/unit/").get_data(as_text=True)
    assert "本所申请人" in page and "外单位申请人" not in page
    assert client.get(f"/unit/applications/{other.id}").status_code == 404
    assert client.post_form(f"/unit/applications/{other.id}/endorse", {}).status_code == 404
    page = client.get(f"/unit/applications/{mine.id}").get_data(as_text=True)
    assert "科研业绩" in page and "影响力" in page and "30 %" in page
    bad = client.post_form(
        f"/unit/applications/{mine.id}/endorse",
        {
            "endorse-post": "研究员",
            "endorse-startup_funds": "200 万元",
            "endorse-space": "100 平方米",
            "endorse-opinion": "同意",
            "endorse-score_performance": "120",
            "endorse-score_influence": "80",
        },
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "分数须在 0 到 100 之间" in text and 'value="200 万元"' in text
    ok = client.post_form(
        f"/unit/applications/{mine.id}/endorse",
        {
            "endorse-post": "研究员",
            "endorse-startup_funds": "200 万元",
            "endorse-space": "100 平方米",
            "endorse-opinion": "同意",
            "endorse-score_performance": "88",
            "endorse-score_influence": "80",
        },
    )
    assert ok.status_code == 302
    demo.session.expire_all()
    assert demo.session.get(Application, mine.id).state == "unit_endorsed"
    page = client.get(f"/unit/calls/{mine.call_id}/ranking").get_data(as_text=True)
    assert "本所申请人" in page


def test_return_requires_reasons_and_keeps_the_form(client, demo, make_user):
    application = submitted_application(demo, make_user)
    _as(client, "unit@demo.talent.cn")
    response = client.post_form(f"/unit/applications/{application.id}/return", {"return-reason": ""})
    assert response.status_code == 400
    response = client.post_form(f"/unit/applications/{application.id}/return", {"return-reason": "请补充材料"})
    assert response.status_code == 302
    demo.session.expire_all()
    assert demo.session.get(Application, application.id).state == "returned"


def test_office_formal_check_then_manual_assignment(client, demo, make_user):

    application = submitted_application(demo, make_user, name="形审对象")
    unit_review.endorse(
        application,
        find_user("unit@demo.talent.cn"),
        post="p",
        startup_funds="f",
        space="s",
        opinion="o",
        unit_scores={"performance": 80, "influence": 70},
    )
    demo.session.commit()
    _as(client, "program@demo.talent.cn")
    page = client.get("/office/").get_data(as_text=True)
    assert "百人计划" in page
    page = client.get(f"/office/calls/{application.call_id}").get_data(as_text=True)
    assert "形审对象" in page
    response = client.post_form(
        f"/office/applications/{application.id}/formal", {"formal-decision": "pass", "formal-comment": "材料齐全"}
    )
    assert response.status_code == 302
    page = client.get(f"/office/applications/{application.id}").get_data(as_text=True)
    assert "王建国" in page and "周雅琴" in page  # A01 experts of other institutes are candidates
    assert "吴志强" not in page  # computer science is another first-level discipline
    wang = find_user("expert@demo.talent.cn")
    response = client.post_form(f"/office/applications/{application.id}/assign", {"assign-expert_id": str(wang.id)})
    assert response.status_code == 302
    assert demo.session.execute(select(Assignment).where(Assignment.expert_id == wang.id)).scalar_one()
    again = client.post_form(f"/office/applications/{application.id}/assign", {"assign-expert_id": str(wang.id)})
    assert again.status_code == 409 and "已分配" in again.get_data(as_text=True)


def test_applicant_asks_for_a_recheck_within_15_days(client, demo, make_user):
    from portal.reviews import services

    application = submitted_application(demo, make_user, name="复核申请人")
    unit_review.endorse(
        application,
        find_user("unit@demo.talent.cn"),
        post="p",
        startup_funds="f",
        space="s",
        opinion="o",
        unit_scores={"performance": 80, "influence": 70},
    )
    services.formal_fail(application, find_user("program@demo.talent.cn"), "缺少学位证书")
    demo.session.commit()
    client.login(application.applicant.email, "correct-horse-battery")
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "复核" in page and "缺少学位证书" in page
    client.post_form(f"/applications/{application.id}/recheck", {"recheck-reason": "已补交学位证书"})
    demo.session.expire_all()
    assert demo.session.get(Application, application.id).state == "formal_recheck"


def test_scheme_editing_makes_a_new_version_and_validates_weights(client, demo):
    from portal.reviews.evaluation.schemes import latest

    _as(client, "program@demo.talent.cn")
    page = client.get("/office/schemes").get_data(as_text=True)
    assert "科研业绩" in page and "单位考评 30.0 %" in page
    data = {
        "w_unit": "40",
        "w_peer": "50",
        "c_unit_performance_weight": "60",
        "c_unit_influence_weight": "40",
        "c_peer_performance_weight": "60",
        "c_peer_influence_weight": "40",
        "note": "调整权重",
    }
    bad = client.post_form("/office/schemes/top", data)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "须为 100 %" in text and 'value="调整权重"' in text
    assert latest("top").version == 1
    data["w_peer"] = "60"
    assert client.post_form("/office/schemes/top", data).status_code == 302
    demo.session.expire_all()
    assert latest("top").version == 2 and latest("top").definition["components"]["unit"]["weight"] == 0.4


def test_automatic_assignment_page_preview_then_commit(client, demo):
    from portal.reviews import services

    unit_admin, office = find_user("unit@demo.talent.cn"), find_user("program@demo.talent.cn")
    apps = demo.session.execute(select(Application).where(Application.state == "submitted")).scalars().all()
    bairen = [a for a in apps if a.call.program.code == "bairen"]
    for application in bairen:
        unit_review.endorse(
            application,
            unit_admin,
            post="p",
            startup_funds="f",
            space="s",
            opinion="o",
            unit_scores={"performance": 80, "influence": 80},
        )
        services.formal_pass(application, office, "通过")
    demo.session.commit()
    call_id = bairen[0].call_id
    _as(client, "program@demo.talent.cn")
    page = client.get(f"/office/calls/{call_id}/assign").get_data(as_text=True)
    assert "4 份评审中的申请尚未分配专家" in page
    page = client.post_form(
        f"/office/calls/{call_id}/assign", {"mode": "optimal", "k": "3", "action": "preview"}
    ).get_data(as_text=True)
    assert "无法分配足够专家的申请" in page and "王磊" in page and "信息科学" in page
    fingerprint = page.split('name="fingerprint" value="')[1].split('"')[0]
    response = client.post_form(
        f"/office/calls/{call_id}/assign", {"mode": "optimal", "k": "3", "action": "commit", "fingerprint": fingerprint}
    )
    assert response.status_code == 302
    assert len(demo.session.execute(select(Assignment)).scalars().all()) == 9
