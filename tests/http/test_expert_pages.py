"""The evaluators' pages through the test client: queue, accept/decline, scoring form, blind calls, token links."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.database import utcnow
from portal.notifications.models import OutboxMessage
from portal.reviews.assignment.services import assign_expert, invite_external
from portal.reviews.evaluation import services as evaluations
from portal.reviews.models import Assignment, Evaluation
from portal.seed import DEMO_PASSWORD
from portal.storage import Document
from tests.conftest import PASSWORD
from tests.factories import PositionFactory, demo_expert, demo_office, make_profile, under_review

SCORES = {
    "score_performance": "88",
    "score_influence": "75.5",
    "familiarity": "familiar",
    "recommendation": "priority",
    "comment_for_applicant": "研究计划清晰，建议加强国际合作。",
    "comment_confidential": "机密意见：仅供评审委员会参考",
    "integrity": "yes",
    "integrity_note": "",
}


@pytest.fixture()
def applicant(demo, make_user):
    return make_user("applicant", name="欧阳䶮", email="ouyang@example.cn")


@pytest.fixture()
def application(demo, applicant):
    return under_review(demo, applicant)


def _assign(db, application, n=1, **kwargs):
    assignment = assign_expert(application, demo_expert(n), demo_office(), **kwargs)
    db.session.commit()
    return assignment


def _login_expert(client, n=1):
    client.logout()
    response = client.login(demo_expert(n).email, DEMO_PASSWORD)
    assert response.status_code == 302


def _accept(client, assignment):
    response = client.post_form(f"/expert/assignments/{assignment.id}/accept", {"no_conflict": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _page(client, assignment):
    return client.get(f"/expert/assignments/{assignment.id}").get_data(as_text=True)


# ------------------------------------------------------------------ the queue


def test_queue_shows_due_dates_invitations_first_and_overdue(client, demo, make_user):
    done = _assign(demo, under_review(demo, make_user("applicant")), due_date=date(2031, 1, 10))
    late = _assign(demo, under_review(demo, make_user("applicant")), due_date=date.today() - timedelta(days=3))
    fresh = _assign(demo, under_review(demo, make_user("applicant")), due_date=date(2031, 2, 1))
    for assignment in (done, late):
        evaluations.accept_assignment(assignment, demo_expert(), "无利益冲突")
    demo.session.commit()
    _login_expert(client)
    page = client.get("/expert/").get_data(as_text=True)
    rows = re.findall(r'id="assignment-(\d+)"', page)
    assert rows[0] == str(fresh.id)  # the invitation awaiting an answer comes first
    assert set(rows) == {str(done.id), str(late.id), str(fresh.id)}
    assert "2031-01-10" in page and "2031-02-01" in page
    late_row = re.search(rf'<tr class="([^"]*)" id="assignment-{late.id}"', page).group(1)
    assert "overdue" in late_row and page.count("overdue") == 1


def test_queue_uses_a_fixed_number_of_queries(client, demo, make_user, count_queries):
    def count():
        return count_queries(lambda: client.get("/expert/").get_data(as_text=True))

    _assign(demo, under_review(demo, make_user("applicant")))
    _login_expert(client)
    one, _page_one = count()
    for _ in range(4):
        _assign(demo, under_review(demo, make_user("applicant")))
    five, page = count()
    assert page.count("assignment-row") == 5
    assert five == one, (one, five)


# ------------------------------------------------------------------ accept and decline


def test_accepting_requires_the_no_conflict_statement(client, demo, application):
    assignment = _assign(demo, application)
    _login_expert(client)
    page = _page(client, assignment)
    assert 'id="accept-form"' in page and 'id="scoring-form"' not in page
    response = client.post_form(f"/expert/assignments/{assignment.id}/accept", {})
    assert response.status_code == 400 and "invalid-feedback" in response.get_data(as_text=True)
    demo.session.expire_all()
    assert demo.session.get(Assignment, assignment.id).status == "invited"
    _accept(client, assignment)
    demo.session.expire_all()
    accepted = demo.session.get(Assignment, assignment.id)
    assert accepted.status == "accepted" and "王建国" in accepted.no_conflict_statement
    assert 'id="scoring-form"' in _page(client, assignment)


def test_declining_frees_the_slot(client, demo, make_user):
    application = under_review(demo, make_user("applicant"), code="youth_talent")  # three experts each
    assignment = _assign(demo, application, 1)
    _assign(demo, application, 2)
    _assign(demo, application, 3)
    _login_expert(client)
    response = client.post_form(f"/expert/assignments/{assignment.id}/decline", {"reason": ""})
    assert response.status_code == 400
    response = client.post_form(f"/expert/assignments/{assignment.id}/decline", {"reason": "与申请人有合作关系"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/expert/")
    assert client.get(f"/expert/assignments/{assignment.id}").status_code == 404
    demo.session.expire_all()
    assert demo.session.get(Assignment, assignment.id).status == "declined"
    from portal.programs.access import program_admins_for  # the office of this program, and only it, is told

    assert (
        set(
            demo.session.execute(
                select(OutboxMessage.to_address).where(OutboxMessage.template == "assignment_declined")
            ).scalars()
        )
        == {u.email for u in program_admins_for(application.call.program_id)}
        >= {"program@demo.talent.cn"}
    )
    assert assign_expert(application, demo_expert(4), demo_office()).status == "invited"


# ------------------------------------------------------------------ the scoring form


def test_the_form_has_exactly_the_schemes_criteria(client, demo, application):
    assignment = _assign(demo, application)
    _login_expert(client)
    _accept(client, assignment)
    page = _page(client, assignment)
    assert set(re.findall(r'name="(score_\w+)"', page)) == {"score_performance", "score_influence"}
    assert "科研业绩 (60 %)" in page and "影响力 (40 %)" in page
    for name in ("familiarity", "recommendation", "comment_for_applicant", "comment_confidential", "integrity"):
        assert f'name="{name}"' in page, name
    client.get("/lang/en")
    page = _page(client, assignment)
    assert "Research performance (60 %)" in page and "Influence (40 %)" in page


def test_out_of_range_scores_are_refused_keeping_what_was_typed(client, demo, application):
    assignment = _assign(demo, application)
    _login_expert(client)
    _accept(client, assignment)
    for url in ("save", "submit"):
        response = client.post_form(
            f"/expert/assignments/{assignment.id}/{url}", {**SCORES, "score_performance": "150"}
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400, url
        assert 'value="150"' in page and "研究计划清晰，建议加强国际合作。" in page
    demo.session.expire_all()
    assert demo.session.execute(select(Evaluation)).scalars().all() == []


def test_a_draft_comes_back_and_submission_needs_every_answer(client, demo, application):
    assignment = _assign(demo, application)
    _login_expert(client)
    _accept(client, assignment)
    response = client.post_form(f"/expert/assignments/{assignment.id}/save", {"score_performance": "70"})
    assert response.status_code == 302
    assert 'value="70"' in _page(client, assignment)
    response = client.post_form(f"/expert/assignments/{assignment.id}/submit", {"score_performance": "70"})
    assert response.status_code == 400
    demo.session.expire_all()
    assert demo.session.get(Assignment, assignment.id).status == "accepted"


def test_a_submitted_evaluation_is_locked(client, demo, application):
    assignment = _assign(demo, application)
    _login_expert(client)
    _accept(client, assignment)
    response = client.post_form(f"/expert/assignments/{assignment.id}/submit", SCORES)
    assert response.status_code == 302
    demo.session.expire_all()
    evaluation = demo.session.execute(select(Evaluation)).scalar_one()
    before = (evaluation.scores, evaluation.recommendation, evaluation.updated_at)
    assert evaluation.status == "submitted" and before[0] == {"performance": 88.0, "influence": 75.5}
    page = _page(client, assignment)
    assert 'id="locked"' in page and 'id="scoring-form"' not in page
    for url in ("save", "submit"):
        response = client.post_form(
            f"/expert/assignments/{assignment.id}/{url}",
            {**SCORES, "score_performance": "10", "recommendation": "oppose"},
        )
        assert response.status_code == 409, url
    assert client.post_form(f"/expert/assignments/{assignment.id}/decline", {"reason": "x"}).status_code == 302
    demo.session.expire_all()
    evaluation = demo.session.get(Evaluation, evaluation.id)
    assert (evaluation.scores, evaluation.recommendation, evaluation.updated_at) == before
    assert demo.session.get(Assignment, assignment.id).status == "submitted"


def test_integrity_no_sets_the_flag(client, demo, application):
    assignment = _assign(demo, application)
    _login_expert(client)
    _accept(client, assignment)
    response = client.post_form(f"/expert/assignments/{assignment.id}/submit", {**SCORES, "integrity": "no"})
    assert response.status_code == 400  # saying "no" needs what is known
    response = client.post_form(
        f"/expert/assignments/{assignment.id}/submit",
        {**SCORES, "integrity": "no", "integrity_note": "论文存在图片重复使用"},
    )
    assert response.status_code == 302
    demo.session.expire_all()
    assert demo.session.get(type(application), application.id).integrity_flag is True


# ------------------------------------------------------------------ blind calls and documents


def test_a_blind_call_hides_the_applicants_name_and_unit(client, demo, applicant):
    make_profile(demo, applicant)
    PositionFactory(
        user=applicant,
        employer="中国科学院数学与系统科学研究院",
        country="CN",
        title="研究员",
        post_level="professor",
        start_date=date(2021, 1, 1),
    )
    application = under_review(demo, applicant, code="qianren_youth")
    for doc in application.documents:
        doc.original_name = f"欧阳䶮-{doc.kind}.pdf"
    demo.session.commit()
    assignment = _assign(demo, application)
    _login_expert(client)
    hidden = ("欧阳䶮", "ouyang@example.cn", "数学与系统科学研究院", "Academy of Mathematics")
    for page in (client.get("/expert/").get_data(as_text=True), _page(client, assignment)):
        assert not [h for h in hidden if h in page]
    _accept(client, assignment)
    page = _page(client, assignment)
    assert 'id="blind-notice"' in page and "发展潜力" in page and 'id="documents"' in page and "MIT" in page
    assert not [h for h in hidden if h in page]
    document = next(d for d in application.documents if d.kind == "cv")
    response = client.get(f"/expert/assignments/{assignment.id}/documents/{document.id}?download=1")
    assert response.status_code == 200 and "cv.pdf" in response.headers["Content-Disposition"]
    assert "%E6%AC%A7" not in response.headers["Content-Disposition"]  # no 欧 in the file name either


def test_an_open_call_shows_who_the_applicant_is(client, demo, application):
    assignment = _assign(demo, application)
    _login_expert(client)
    page = _page(client, assignment)
    assert "欧阳䶮" in page and "数学与系统科学研究院" in page and 'id="blind-notice"' not in page


def test_documents_only_after_accepting_and_never_referee_letters(client, demo, application, make_user):
    assignment = _assign(demo, application)
    document = next(d for d in application.documents if d.kind == "cv")
    letter = Document(
        owner_id=None,
        application_id=application.id,
        kind="referee_letter",
        original_name="l.pdf",
        stored_name="letter-test",
        size_bytes=10,
        sha256="0" * 64,
        page_count=1,
    )
    other = under_review(demo, make_user("applicant"))
    demo.session.add(letter)
    demo.session.commit()
    _login_expert(client)
    url = f"/expert/assignments/{assignment.id}/documents/"
    assert client.get(url + str(document.id)).status_code == 404  # not accepted yet
    _accept(client, assignment)
    response = client.get(url + str(document.id))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert client.get(url + str(letter.id)).status_code == 404
    assert client.get(url + str(other.documents[0].id)).status_code == 404


def test_another_experts_assignment_is_404_everywhere(client, demo, application):
    assignment = _assign(demo, application)
    evaluations.accept_assignment(assignment, demo_expert(), "无利益冲突")
    demo.session.commit()
    document = application.documents[0]
    _login_expert(client, 2)
    base = f"/expert/assignments/{assignment.id}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/documents/{document.id}").status_code == 404
    for verb, data in (
        ("accept", {"no_conflict": "y"}),
        ("decline", {"reason": "x"}),
        ("save", SCORES),
        ("submit", SCORES),
    ):
        assert client.post_form(f"{base}/{verb}", data).status_code == 404, verb
    demo.session.expire_all()
    assert demo.session.get(Assignment, assignment.id).status == "accepted"
    assert demo.session.execute(select(Evaluation)).scalars().all() == []


# ------------------------------------------------------------------ confidential comments


def test_confidential_comments_are_never_shown_to_applicant_or_unit(client, demo, applicant, application, make_user):
    assignment = _assign(demo, application)
    _login_expert(client)
    _accept(client, assignment)
    assert client.post_form(f"/expert/assignments/{assignment.id}/submit", SCORES).status_code == 302
    secret = SCORES["comment_confidential"]
    assert secret not in _page(client, assignment)  # not even on the expert's locked copy
    unit_admin = make_user(("unit_admin", application.unit_id))
    pages = {
        applicant: ["/applications", f"/applications/{application.id}"],
        unit_admin: [f"/applications/{application.id}", "/unit/", f"/unit/applications/{application.id}"],
    }
    for person, urls in pages.items():
        client.logout()
        assert client.login(person.email, PASSWORD).status_code == 302
        assert client.get(urls[-1]).status_code == 200
        for url in urls:
            assert secret not in client.get(url).get_data(as_text=True), url


# ------------------------------------------------------------------ outside evaluators by token link


def _invite(db, application, email="user@example.com"):
    invite_external(application, kind="user", name="刘用户", email=email, actor=demo_office())
    db.session.commit()
    mail = db.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == email)).scalar_one()
    assert mail.template == "evaluator_invitation" and "刘用户" in mail.body_text
    return re.search(r"http://portal\.test(/evaluate/\S+)", mail.body_text).group(1)


def test_external_link_works_without_an_account_until_submitted(client, demo, make_user):
    application = under_review(demo, make_user("applicant", name="司马迁"), code="support_talent")
    link = _invite(demo, application)
    page = client.get(link).get_data(as_text=True)
    assert "工作完成情况 (60 %)" in page and "服务态度 (40 %)" in page
    assert set(re.findall(r'name="(score_\w+)"', page)) == {"score_completion", "score_attitude"}
    assert 'name="familiarity"' not in page
    answers = {
        "score_completion": "90",
        "score_attitude": "85",
        "recommendation": "support",
        "comment_for_applicant": "服务认真",
        "comment_confidential": "",
        "integrity": "yes",
    }
    response = client.post_form(link, {**answers, "score_attitude": "101", "action": "save"})
    assert response.status_code == 400 and 'value="101"' in response.get_data(as_text=True)
    assert client.post_form(link, {**answers, "action": "save"}).status_code == 302
    assert 'value="85"' in client.get(link).get_data(as_text=True)
    response = client.post_form(link, {**answers, "action": "submit"})
    assert response.status_code == 200 and 'id="evaluation-received"' in response.get_data(as_text=True)
    demo.session.expire_all()
    evaluation = demo.session.execute(select(Evaluation)).scalar_one()
    assert evaluation.status == "submitted" and evaluation.component == "user"
    assert client.get(link).status_code == 404
    assert client.post_form(link, {**answers, "action": "submit"}).status_code == 404


def test_an_expired_link_answers_404(client, demo, make_user):
    application = under_review(demo, make_user("applicant"), code="support_talent")
    link = _invite(demo, application)
    assignment = demo.session.execute(select(Assignment).where(Assignment.kind == "user")).scalar_one()
    assignment.expires_at = utcnow() - timedelta(seconds=1)
    demo.session.commit()
    assert client.get(link).status_code == 404
    assert client.get("/evaluate/not-a-token").status_code == 404
