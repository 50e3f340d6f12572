"""Review of the offices' scoping to their programs: every method of every office route on another program's objects
answers 404, objects addressed by two ids are checked together, the office lists show nothing of other programs, new
posts need the CSRF token, the "try these rules" panel tells an office nothing about people outside its programs, and
a program left without its own office still works."""

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.programs.models import Call, CallAttachment, Program
from tests.conftest import PASSWORD
from tests.factories import ProfileFactory, pdf_bytes, program_of, submitted_application
from tests.http.test_access_matrix import (
    CROSS_PROGRAM,
    MATRIX,
    P2,
    PROGRAM_PLACEHOLDERS,
    _is_program_admin_route,
    _url,
    build_program_objects,
)


def _call(db, code: str) -> Call:
    return (
        db.session.execute(select(Call).join(Program).where(Program.code == code).order_by(Call.id)).scalars().first()
    )


def _audited(db) -> int:
    return db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


@pytest.fixture()
def objects(db):
    return build_program_objects(db)


def _holding(client, make_user, db, *codes, email=None):
    user = make_user(*[("program_admin", None, program_of(db, code).id) for code in codes], email=email)
    assert client.login(user.email, PASSWORD).status_code == 302
    return user


# ---------------------------------------------------------------- the access matrix itself

#: Office routes whose object is not bound to a program: the expert pool is shared by every program office.
UNBOUND_OFFICE_ROUTES = {"pool.edit_expert", "pool.add_conflict"}
#: Integer arguments that are not ids (a version's number within its program, which the route checks).
NOT_AN_ID = {("program_office.rules_version", "number")}


def test_every_office_route_with_an_object_id_is_walked_across_programs(app):
    """An office route naming an object by id with "0" instead of a placeholder would silently drop out of the
    cross-program walk (as the document download once did): every such route must use a placeholder."""
    id_args = {
        rule.endpoint: {a for a, conv in rule._converters.items() if type(conv).__name__ == "IntegerConverter"}
        for rule in app.url_map.iter_rules()
    }
    missing = []
    for endpoint, (who, _method, values) in MATRIX.items():
        if not _is_program_admin_route(who) or endpoint in UNBOUND_OFFICE_ROUTES:
            continue
        for arg in id_args.get(endpoint, set()) - {a for e, a in NOT_AN_ID if e == endpoint}:
            value = str(values.get(arg, ""))
            if not any("{" + name + "}" in value for name in PROGRAM_PLACEHOLDERS):
                missing.append((endpoint, arg, value))
    assert not missing, "office routes with an object id but no program placeholder in the matrix"
    assert "applications.document" in CROSS_PROGRAM


def _other_methods():
    """The (endpoint, method) pairs of the cross-program routes that the matrix does not walk (it walks one)."""
    from tests.conftest import make_app

    pairs = []
    methods: dict[str, set[str]] = {}
    for rule in make_app().url_map.iter_rules():
        methods.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    for endpoint in CROSS_PROGRAM:
        pairs += [(endpoint, m) for m in sorted(methods[endpoint] - {MATRIX[endpoint][1]})]
    return pairs


OTHER_METHODS = _other_methods()


def test_the_other_methods_are_not_empty():
    assert {("call_office.edit_call", "POST"), ("program_office.rules", "POST"), ("office.auto_assign", "POST")} <= set(
        OTHER_METHODS
    )


@pytest.mark.parametrize("endpoint,method", OTHER_METHODS)
def test_every_method_of_an_office_route_answers_404_to_another_programs_office(
    endpoint, method, app, db, client, make_user, objects
):
    """The matrix walks a page with GET; its form's POST (save, check, try, commit …) is refused as well and
    changes nothing; this program's office gets through."""
    stranger = make_user(("program_admin", None, program_of(db, P2).id), email="other-office@example.cn")
    owner = make_user(("program_admin", None, objects["program"]), email="own-office@example.cn")
    url = _url(app, endpoint, MATRIX[endpoint][2], {"other": stranger.id, "me": owner.id, **objects})
    client.login(stranger.email, PASSWORD)
    before = _audited(db)
    response = client.get(url) if method == "GET" else client.post_form(url, {"op": "save", "action": "commit"})
    assert response.status_code == 404, (endpoint, method, response.status_code)
    assert _audited(db) == before
    client.logout()
    client.login(owner.email, PASSWORD)
    response = client.get(url) if method == "GET" else client.post_form(url)
    assert response.status_code not in (401, 403, 404) and response.status_code < 500, (endpoint, method)


def test_office_lists_show_nothing_of_another_program(app, db, client, make_user, objects):
    """Every office page without an object (lists, the pool, the schemes, new program) shows another office none
    of this program's calls, applicants or links."""
    from portal.applications.models import Application

    call = db.session.get(Call, objects["call"])
    names = set(db.session.execute(select(Application.title).where(Application.call_id == call.id)).scalars())
    secrets = {
        call.title_zh,
        f'/office/calls/{call.id}"',
        f'/office/letters/calls/{call.id}"',
        f'/office/programs/{objects["program"]}"',
        *names,
    }
    pages = sorted(
        endpoint
        for endpoint, (who, method, values) in MATRIX.items()
        if _is_program_admin_route(who)
        and method == "GET"
        and endpoint not in CROSS_PROGRAM
        and endpoint not in UNBOUND_OFFICE_ROUTES
        and not endpoint.endswith(".template")
    )
    assert {"office.calls", "letters.index", "feedback.appeals", "program_office.index", "office.schemes"} <= set(pages)
    _holding(client, make_user, db, P2)
    for endpoint in pages:
        response = client.get(_url(app, endpoint, MATRIX[endpoint][2], {}))
        body = response.get_data(as_text=True)
        assert response.status_code == 200, endpoint
        assert not [s for s in secrets if s in body], endpoint


# ---------------------------------------------------------------- two ids, one object


def test_objects_addressed_by_two_ids_belong_together(db, client, make_user, objects):
    """An office running both programs still cannot mix them: a decision on an application of another call, an
    attachment of another call (removed or downloaded), a draft call's attachment in public."""
    other = submitted_application(db, make_user, "qianren_long", name="钱申请")
    other.state = "reviewed"
    db.session.commit()
    qianren = _call(db, "qianren_long")
    _holding(client, make_user, db, "bairen", "qianren_long")
    prefix = f"d{other.id}-"
    response = client.post_form(
        f"/office/decisions/sessions/{objects['session']}/applications/{other.id}",
        {
            prefix + "outcome": "approve",
            prefix + "votes_for": "12",
            prefix + "votes_against": "0",
            prefix + "votes_abstain": "0",
        },
    )
    assert response.status_code == 404
    assert client.post_form(f"/office/calls/{qianren.id}/attachments/{objects['attachment']}/delete").status_code == 404
    assert db.session.get(CallAttachment, objects["attachment"]) is not None
    client.logout()

    assert client.get(f"/calls/{qianren.id}/attachments/{objects['attachment']}").status_code == 404
    public = client.get(f"/calls/{objects['call']}/attachments/{objects['attachment']}")
    assert public.status_code == 200 and public.mimetype == "application/pdf"
    db.session.get(Call, objects["call"]).status = "draft"
    db.session.commit()
    assert client.get(f"/calls/{objects['call']}/attachments/{objects['attachment']}").status_code == 404


# ---------------------------------------------------------------- CSRF on the new posts


def test_the_new_office_posts_need_the_csrf_token(app, db, client, make_user, objects):
    """Without the token every post of the program and call pages is refused (400) and changes nothing."""
    owner = _holding(client, make_user, db, "bairen")
    ids = {"me": owner.id, "other": owner.id, **objects}
    posts = sorted(
        endpoint
        for endpoint, (_who, _m, _v) in MATRIX.items()
        if endpoint.split(".")[0] in ("call_office", "program_office")
        and any("POST" in r.methods for r in app.url_map.iter_rules(endpoint))
    )
    assert {"call_office.publish", "call_office.attachments", "program_office.rules"} <= set(posts)
    before = _audited(db)
    for endpoint in posts:
        url = _url(app, endpoint, MATRIX[endpoint][2], ids)
        response = client.post(url, data={"op": "save", "version": "1"})
        assert response.status_code == 400, (endpoint, response.status_code)
    assert _audited(db) == before


# ---------------------------------------------------------------- the try panel


def _try(client, program, email):
    from tests.http.test_program_pages import rules_form

    return client.post_form(
        f"/office/programs/{program.id}/rules",
        rules_form(program.version, [{"rule": "max_age", "value": "30"}], op="try", try_email=email),
    )


def test_the_try_panel_reads_only_profiles_of_the_offices_applicants(db, demo, client, make_user):
    """An office of some programs tries rules on people who applied to one of its programs (or on itself): any
    other person's age, degrees and applications to other programs are not its business, and the answer is the
    one an unknown address gets (it tells nothing about who has an account)."""
    from datetime import date

    youth = program_of(db, "youth_talent")
    office = _holding(client, make_user, db, "youth_talent", "support_talent", email="youth-office@example.cn")
    unknown = _try(client, youth, "nobody@example.cn").get_data(as_text=True)
    refused = _try(client, youth, "li.na@demo.talent.cn")  # applied to 百人计划 only
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "trial-results" not in body and "李娜" not in body
    assert "没有使用该邮箱且已填写个人资料的用户" in unknown and "没有使用该邮箱且已填写个人资料的用户" in body

    allowed = _try(client, youth, "zhang.li@demo.talent.cn").get_data(as_text=True)  # applied to 支撑人才计划
    assert "trial-results" in allowed and "张丽" in allowed

    ProfileFactory(user=office, birth_date=date(1985, 1, 1), nationality="CN")
    db.session.commit()
    assert "trial-results" in _try(client, youth, office.email).get_data(as_text=True)  # one's own profile
    client.logout()

    make_user("program_admin", email="wide@example.cn")  # office-wide: anyone with a profile
    client.login("wide@example.cn", PASSWORD)
    assert "李娜" in _try(client, youth, "li.na@demo.talent.cn").get_data(as_text=True)


def test_profile_files_only_of_the_offices_applicants(db, demo, client, make_user):
    from portal.accounts.services import find_user
    from portal.storage import save_document

    work = save_document(
        pdf_bytes(), kind="work", original_name="work.pdf", owner_id=find_user("li.na@demo.talent.cn").id
    )
    db.session.commit()
    _holding(client, make_user, db, "youth_talent")
    assert client.get(f"/documents/{work.id}").status_code == 404
    client.logout()
    _holding(client, make_user, db, "bairen")
    assert client.get(f"/documents/{work.id}").status_code == 200


# ---------------------------------------------------------------- grants


def test_a_grant_of_a_program_that_does_not_exist_is_refused(db, demo, client, make_user, login_as):
    from portal.accounts.models import User

    login_as("sysadmin")
    person = make_user("applicant", email="office@example.cn")
    for value in ("999999", "-1", "abc"):
        response = client.post_form(
            f"/admin/users/{person.id}", {"unit_id": "0", "role": "program_admin", "program_id": value}
        )
        assert response.status_code == 400, value
    response = client.post_form(
        "/admin/users/new",
        {
            "name": "某人",
            "email": "new@example.cn",
            "roles": ["program_admin"],
            "password": "initial-password",
            "unit_id": "0",
            "program_id": "999999",
        },
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert not db.session.get(User, person.id).has_role("program_admin")
    assert db.session.execute(select(User).where(User.email == "new@example.cn")).first() is None


def test_a_program_without_an_office_of_its_own_still_works(db, objects, client, make_user, login_as):
    """The sysadmin revokes the only grant of 百人计划 (and there is no office-wide admin): the people telling "the
    program office" (an objection, an expert declining) are not refused, and the former office is shut out."""
    from portal.accounts.models import User, UserRole
    from portal.decisions import services as decisions
    from portal.decisions.models import Notice
    from portal.programs.access import program_admins_for
    from portal.reviews.evaluation import services as evaluations
    from portal.reviews.models import Assignment

    for role in db.session.execute(
        select(UserRole).where(UserRole.role == "program_admin", UserRole.program_id.is_(None))
    ).scalars():
        db.session.delete(role)
    db.session.commit()
    office = make_user(("program_admin", None, objects["program"]), email="only-office@example.cn")
    login_as("sysadmin")
    grant = next(r for r in db.session.get(User, office.id).roles if r.role == "program_admin")
    assert client.post_form(f"/admin/users/{office.id}/roles/{grant.id}/revoke").status_code == 302
    assert client.post_form(f"/admin/users/{office.id}/roles/{grant.id}/revoke").status_code == 302  # gone: said
    assert client.get(f"/admin/users/{office.id}").status_code == 200
    client.logout()
    db.session.expire_all()
    assert program_admins_for(objects["program"]) == []

    notice = db.session.get(Notice, objects["notice"])
    decisions.file_objection(
        notice, notice.items[0].id, "某人", "13800000000", "对该人选的成果有异议，请核实。" * 2, "127.0.0.1"
    )
    assignment = db.session.get(Assignment, objects["assignment"])
    evaluations.decline_assignment(assignment, assignment.expert, "时间冲突")
    db.session.commit()

    client.login(office.email, PASSWORD)
    assert client.get("/office/").status_code == 403
    assert client.get(f"/office/calls/{objects['call']}").status_code == 403
