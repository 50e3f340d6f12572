"""Every route states who may use it; a route missing from this matrix fails the suite.

Each entry: endpoint -> (who, method, url values). `who` is "public", "login" (any logged-in
person) or a role. The test walks guest, a person without the role, and a holder of the role.

Url values may name real objects of one program (百人计划) with the placeholders of PROGRAM_PLACEHOLDERS
(`{program}`, `{call}`, `{app}` …), filled by the `program_objects` fixture. Every program admin route using
one of them is also walked by a program admin who holds another program (404: those objects do not exist for
them) and by one who holds this program (through).
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.programs.models import Call, Program
from portal.seed import load_demo
from tests.conftest import PASSWORD

PUBLIC, LOGIN = "public", "login"

MATRIX = {
    "static": (PUBLIC, "GET", {"filename": "css/portal.css"}),
    "bootstrap.static": (PUBLIC, "GET", {"filename": "css/bootstrap.min.css"}),
    "main.index": (PUBLIC, "GET", {}),
    "main.set_language": (PUBLIC, "GET", {"code": "en"}),
    "main.healthz": (PUBLIC, "GET", {}),
    "accounts.login": (PUBLIC, "GET", {}),
    "accounts.register": (PUBLIC, "GET", {}),
    "accounts.confirm_email": (PUBLIC, "GET", {"token": "not-a-token"}),
    "accounts.resend_confirmation": (PUBLIC, "POST", {}),
    "accounts.forgot_password": (PUBLIC, "GET", {}),
    "accounts.reset_password": (PUBLIC, "GET", {"token": "not-a-token"}),
    "accounts.logout": (LOGIN, "POST", {}),
    "admin.index": ("sysadmin", "GET", {}),
    "admin.users": ("sysadmin", "GET", {}),
    "admin.create_user": ("sysadmin", "GET", {}),
    "admin.user_detail": ("sysadmin", "GET", {"user_id": "{me}"}),
    "admin.revoke_role": ("sysadmin", "POST", {"user_id": "{me}", "role_id": "0"}),
    "admin.set_active": ("sysadmin", "POST", {"user_id": "{other}"}),
    "admin.units": ("sysadmin", "GET", {}),
    "admin.edit_unit": ("sysadmin", "GET", {}),
    "admin.audit": ("sysadmin", "GET", {}),
    "programs.call": (PUBLIC, "GET", {"call_id": "{call}"}),
    "referees.letter": (PUBLIC, "GET", {"token": "not-a-token"}),
    "profile.edit": ("applicant", "GET", {}),
    "profile.item": ("applicant", "GET", {"kind": "education"}),
    "profile.delete": ("applicant", "POST", {"kind": "education", "item_id": "0"}),
    "applications.dashboard": ("applicant", "GET", {}),
    "applications.start": ("applicant", "POST", {"call_id": "{call}"}),
    "applications.detail": (("applicant", "unit_admin", "program_admin"), "GET", {"application_id": "{app}"}),
    "applications.book": (("applicant", "unit_admin", "program_admin"), "GET", {"application_id": "{app}"}),
    "applications.delete": ("applicant", "POST", {"application_id": "{app}"}),
    "applications.edit": ("applicant", "GET", {"application_id": "{app}", "step": "basics"}),
    "applications.upload": ("applicant", "POST", {"application_id": "{app}"}),
    "applications.delete_upload": ("applicant", "POST", {"application_id": "{app}", "document_id": "0"}),
    "applications.delete_exclusion": ("applicant", "POST", {"application_id": "{app}", "exclusion_id": "0"}),
    "applications.referee_action": (
        "applicant",
        "POST",
        {"application_id": "{app}", "referee_id": "0", "verb": "remind"},
    ),
    "applications.submit": ("applicant", "POST", {"application_id": "{app}"}),
    "applications.withdraw": ("applicant", "POST", {"application_id": "{app}"}),
    "applications.document": (
        ("applicant", "unit_admin", "program_admin", "expert"),
        "GET",
        {"document_id": "{document}"},
    ),
}


def _fragments() -> dict:
    """Each feature may keep its rules in tests/http/access_rules/<feature>.py as RULES = {...}."""
    import importlib
    import pkgutil

    from tests.http import access_rules

    merged = {}
    for info in pkgutil.iter_modules(access_rules.__path__):
        rules = importlib.import_module(f"tests.http.access_rules.{info.name}").RULES
        clash = merged.keys() & rules.keys() | MATRIX.keys() & rules.keys()
        assert not clash, f"routes listed twice: {clash}"
        merged.update(rules)
    return merged


MATRIX.update(_fragments())
ROLES = ["applicant", "unit_admin", "expert", "program_admin", "sysadmin"]


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - MATRIX.keys() == set(), "routes without an access rule: add them to MATRIX"
    assert MATRIX.keys() - endpoints == set(), "MATRIX names routes that no longer exist"


def _url(app, endpoint, values, ids):
    from flask import url_for

    filled = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in values.items()}
    with app.test_request_context():
        return url_for(endpoint, **filled)


def _call(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.post_form(url)


def _is_login_redirect(response):
    # Flask-Login's refusal carries next=; a public page that merely redirects to login does not.
    location = response.headers.get("Location", "")
    return response.status_code == 302 and "/account/login" in location and "next=" in location


#: Placeholders naming objects of one program; the program office of another program must not reach them.
PROGRAM_PLACEHOLDERS = (
    "program",
    "call",
    "app",
    "assignment",
    "letter",
    "session",
    "notice",
    "objection",
    "appeal",
    "job",
    "attachment",
    "document",
)
#: The program the objects belong to (P1) and the one the other program admin holds (P2).
P1, P2 = "bairen", "qianren_long"


def build_program_objects(db) -> dict:
    """Real objects of 百人计划 for every placeholder: its call, applications in the states the routes need,
    an expert's assignment, a valid letter, a decision session, a public notice with an objection, an appeal, a
    letter job, a call attachment (a stored PDF) and an application's document (its book). Built by the factories,
    the models and the storage service."""
    from portal.applications.models import Application
    from portal.database import utcnow
    from portal.decisions.models import Notice, NoticeItem, Objection
    from portal.letters import services as letters
    from portal.letters.models import Letter, LetterJob
    from portal.programs.models import CallAttachment, ProgramRules
    from portal.storage import save_document
    from tests.factories import AppealFactory, AssignmentFactory, DecisionSessionFactory, demo_expert, pdf_bytes

    load_demo()
    program = db.session.execute(select(Program).where(Program.code == P1)).scalar_one()
    call = db.session.execute(select(Call).where(Call.program_id == program.id).order_by(Call.id)).scalars().first()
    submitted, reviewing, noticed, appealed = (
        db.session.execute(select(Application).where(Application.call_id == call.id).order_by(Application.id))
        .scalars()
        .all()[:4]
    )
    now = utcnow()
    if not program.rule_versions:  # a program's rules are versioned from its first save: version 1 at least
        db.session.add(
            ProgramRules(
                program=program,
                number=1,
                eligibility_rules=program.eligibility_rules,
                required_documents=program.required_documents,
                extra_fields=program.extra_fields,
            )
        )

    book = save_document(
        pdf_bytes(), kind="book", original_name="book.pdf", owner_id=submitted.applicant_id, application_id=submitted.id
    )
    submitted.book_document_id = book.id

    reviewing.state = "under_review"
    expert = demo_expert()
    assignment = AssignmentFactory(application=reviewing, expert=expert, due_date=(now + timedelta(days=20)).date())

    noticed.state = "in_notice"
    template = letters.template_for(program, "approved")
    document = save_document(pdf_bytes(), kind="letter", original_name="letter.pdf", owner_id=None, application_id=None)
    year = now.year
    letter = Letter(
        application_id=noticed.id,
        program_id=program.id,
        template_id=template.id,
        outcome="approved",
        serial_year=year,
        serial_no=1,
        serial=letters.serial_number(year, 1),
        verification_code=letters.new_verification_code(),
        status="valid",
        document_id=document.id,
        sha256=document.sha256,
        issued_at=now,
    )
    session = DecisionSessionFactory(call=call, title="评审会", committee_size=15, quorum=10)
    notice = Notice(call_id=call.id, title="公示", days=7, published_at=now, ends_at=now + timedelta(days=7))
    item = NoticeItem(
        notice=notice,
        application_id=noticed.id,
        name=noticed.applicant.name,
        unit_name="单位",
        program_name=program.name_zh,
    )
    objection = Objection(
        notice=notice,
        item=item,
        contact_name="某人",
        contact="13800000000",
        content="对该人选的学术成果有异议，请核实。",
        status="pending",
    )

    appealed.state = "appeal"
    appeal = AppealFactory(application=appealed, reason="专家意见与事实不符，请求复审。" * 3)
    job = LetterJob(call_id=call.id, status="done", total=0, finished_at=now)
    guide = save_document(pdf_bytes(), kind="call_guide", original_name="guide.pdf", owner_id=None, application_id=None)
    attachment = CallAttachment(call_id=call.id, document_id=guide.id, label_zh="申报指南", label_en="Guide")
    db.session.add_all([letter, notice, item, objection, job, attachment])
    db.session.commit()
    return {
        "program": program.id,
        "call": call.id,
        "app": submitted.id,
        "assignment": assignment.id,
        "letter": letter.id,
        "session": session.id,
        "notice": notice.id,
        "objection": objection.id,
        "appeal": appeal.id,
        "job": job.id,
        "attachment": attachment.id,
        "document": book.id,
    }


@pytest.fixture()
def program_objects(db):
    return build_program_objects(db)


def _program_bound(values: dict) -> bool:
    return any(
        "{" + name + "}" in value
        for value in values.values()
        if isinstance(value, str)
        for name in PROGRAM_PLACEHOLDERS
    )


def _is_program_admin_route(who) -> bool:
    return "program_admin" in (who if isinstance(who, tuple) else (who,))


#: Program admin routes on objects of one program: walked by the office of another program and of this one.
CROSS_PROGRAM = sorted(
    e for e, (who, _m, values) in MATRIX.items() if _is_program_admin_route(who) and _program_bound(values)
)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access(endpoint, app, db, client, make_user, unit, program_objects):
    who, method, values = MATRIX[endpoint]
    other = make_user("applicant", email="other@example.cn")
    ids = {"other": other.id, "me": 0, **program_objects}

    # A guest: public routes answer, the others send to the login page.
    response = _call(client, method, _url(app, endpoint, values, ids))
    if who == PUBLIC:
        assert response.status_code not in (401, 403, 500) and not _is_login_redirect(response)
        return
    assert _is_login_redirect(response), (endpoint, response.status_code)

    # Someone logged in without the role is refused; a holder gets through.
    for role in ROLES:
        pair = (role, unit.id) if role == "unit_admin" else role
        user = make_user(pair)
        ids["me"] = user.id
        client.login(user.email, PASSWORD)
        response = _call(client, method, _url(app, endpoint, values, ids))
        allowed = who == LOGIN or role in (who if isinstance(who, tuple) else (who,))
        if allowed:
            # A holder passes the role check; object checks may still answer 404 for ids that are not theirs, and
            # a post without a valid form body may be refused (400, 409, 422).
            assert (
                response.status_code not in (401, 403)
                and response.status_code < 500
                and not _is_login_redirect(response)
            ), (endpoint, role, response.status_code)
        else:
            assert response.status_code == 403, (endpoint, role, response.status_code)
        if client.logged_in and endpoint != "accounts.logout":
            client.logout()
        client.logged_in = False


def test_cross_program_walk_covers_the_office_routes():
    """The walk below is not empty, and it covers the office's main pages of a call and an application."""
    assert {
        "office.call",
        "office.application",
        "letters.call_letters",
        "decisions.call_session",
        "decisions.notice",
        "feedback.decide",
        "letters.job",
    } <= set(CROSS_PROGRAM)


@pytest.mark.parametrize("endpoint", CROSS_PROGRAM)
def test_another_programs_office_gets_404(endpoint, app, db, client, make_user, program_objects):
    """A program admin holding only another program finds none of this program's objects (404), exactly as an
    applicant finds no one else's application; the office holding the program gets through."""
    _who, method, values = MATRIX[endpoint]
    held = db.session.execute(select(Program.id).where(Program.code == P2)).scalar_one()
    stranger = make_user(("program_admin", None, held), email="other-office@example.cn")
    owner = make_user(("program_admin", None, program_objects["program"]), email="own-office@example.cn")
    ids = {"other": stranger.id, "me": owner.id, **program_objects}
    url = _url(app, endpoint, values, ids)

    client.login(stranger.email, PASSWORD)
    response = _call(client, method, url)
    assert response.status_code == 404, (endpoint, "another program's office", response.status_code)
    client.logout()

    client.login(owner.email, PASSWORD)
    response = _call(client, method, url)
    if method == "GET":
        assert response.status_code in (200, 302), (endpoint, "the program's office", response.status_code)
    else:  # a post without a valid form body may be refused, but the object exists for them
        assert response.status_code not in (401, 403, 404) and response.status_code < 500, (
            endpoint,
            "the program's office",
            response.status_code,
        )
    assert not _is_login_redirect(response)
