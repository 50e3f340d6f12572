"""The feedback page and the appeal through the test client: labels, what never shows, the window, the office."""

import re
from datetime import timedelta

from portal.database import utcnow
from portal.decisions.models import Appeal
from tests.conftest import PASSWORD
from tests.journeys import rejected_after_review, reviewed_by_panel
from tests.services.test_appeals import REASON


def _as_applicant(client, application):
    assert client.login(application.applicant.email, PASSWORD).status_code == 302


def _feedback(client, application):
    return client.get(f"/applications/{application.id}/feedback")


def test_comments_are_labelled_and_nothing_confidential_or_identifying_shows(demo, make_user, client):
    application = rejected_after_review(demo, make_user)
    _as_applicant(client, application)
    response = _feedback(client, application)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.findall(r'class="feedback-label">([^<]+)<', html) == ["专家一", "专家二"]
    assert html.index("研究计划清晰，创新性较强。") < html.index("建议加强国际合作。")
    for secret in ("仅供委员会参考", "王建国", "赵立平", "expert@demo.talent.cn", "THU-MATH", "清华"):
        assert secret not in html, secret
    # The form says what is not a ground, in whichever language the compiled catalogue gives.
    assert 'id="appeal-grounds"' in html and ("学术判断" in html or "academic judgement" in html)


def test_feedback_is_hidden_before_the_final_decision(demo, make_user, client):
    application = reviewed_by_panel(demo, make_user)
    _as_applicant(client, application)
    html = _feedback(client, application).get_data(as_text=True)
    assert 'id="feedback-hidden"' in html and "研究计划清晰" not in html and "专家一" not in html
    assert 'id="appeal-form"' not in html


def test_another_applicants_application_is_not_found(demo, make_user, client, login_as):
    application = rejected_after_review(demo, make_user)
    login_as("applicant")
    assert _feedback(client, application).status_code == 404
    assert client.post_form(f"/applications/{application.id}/appeal", {"reason": REASON}).status_code == 404
    assert application.state == "rejected"


def test_appeal_is_filed_within_the_window(demo, make_user, client):
    application = rejected_after_review(demo, make_user)
    _as_applicant(client, application)
    response = client.post_form(f"/applications/{application.id}/appeal", {"reason": REASON})
    assert response.status_code == 302
    demo.session.expire_all()
    assert application.state == "appeal"
    html = _feedback(client, application).get_data(as_text=True)
    assert "appeal-pending" in html and 'id="appeal-form"' not in html


def test_short_grounds_are_refused_and_the_text_kept(demo, make_user, client):
    application = rejected_after_review(demo, make_user)
    _as_applicant(client, application)
    response = client.post_form(f"/applications/{application.id}/appeal", {"reason": "不同意专家意见"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "不同意专家意见</textarea>" in html and "20" in html
    demo.session.expire_all()
    assert application.state == "rejected"


def test_appeal_on_day_sixteen_is_refused(demo, make_user, client):
    application = rejected_after_review(demo, make_user)
    application.state_changed_at = utcnow() - timedelta(days=16)
    demo.session.commit()
    _as_applicant(client, application)
    assert 'id="appeal-closed"' in _feedback(client, application).get_data(as_text=True)
    response = client.post_form(f"/applications/{application.id}/appeal", {"reason": REASON})
    assert response.status_code == 409 and "15" in response.get_data(as_text=True)
    demo.session.expire_all()
    assert application.state == "rejected"


def _file(demo, application):
    from portal.decisions.appeals import file_appeal

    appeal = file_appeal(application, application.applicant, REASON)
    demo.session.commit()
    return appeal


def test_office_accepts_an_appeal_back_to_review(demo, make_user, client, login_as):
    application = rejected_after_review(demo, make_user)
    appeal = _file(demo, application)
    login_as("program_admin")
    html = client.get("/applications/appeals").get_data(as_text=True)
    assert REASON in html and f'id="appeal-{appeal.id}"' in html
    response = client.post_form(
        f"/applications/appeals/{appeal.id}",
        {f"appeal{appeal.id}-decision": "accept", f"appeal{appeal.id}-note": "重新评审"},
    )
    assert response.status_code == 302
    demo.session.expire_all()
    assert application.state == "under_review" and demo.session.get(Appeal, appeal.id).status == "accepted"


def test_office_dismisses_an_appeal_with_a_note_the_applicant_reads(demo, make_user, client, login_as):
    application = rejected_after_review(demo, make_user)
    appeal = _file(demo, application)
    login_as("program_admin")
    url = f"/applications/appeals/{appeal.id}"
    missing = client.post_form(url, {f"appeal{appeal.id}-decision": "reject"})
    assert missing.status_code == 400
    client.post_form(url, {f"appeal{appeal.id}-decision": "reject", f"appeal{appeal.id}-note": "评审程序符合规定。"})
    demo.session.expire_all()
    assert application.state == "rejected"
    client.logout()
    _as_applicant(client, application)
    html = _feedback(client, application).get_data(as_text=True)
    assert "评审程序符合规定。" in html and "appeal-rejected" in html and 'id="appeal-form"' not in html
