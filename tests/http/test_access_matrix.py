"""Every route states who may use it; a route missing from this matrix fails the suite.

Each entry: endpoint -> (who, method, url values). `who` is "public", "login" (any logged-in
person) or a role. The test walks guest, a person without the role, and a holder of the role.
"""
import pytest
from sqlalchemy import select

from portal.programs.models import Call
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
    "applications.referee_action": ("applicant", "POST", {"application_id": "{app}", "referee_id": "0",
                                                          "verb": "remind"}),
    "applications.submit": ("applicant", "POST", {"application_id": "{app}"}),
    "applications.withdraw": ("applicant", "POST", {"application_id": "{app}"}),
    "applications.document": (("applicant", "unit_admin", "program_admin", "expert"), "GET", {"document_id": "0"}),
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


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access(endpoint, app, db, client, make_user, unit):
    who, method, values = MATRIX[endpoint]
    other = make_user("applicant", email="other@example.cn")
    call = db.session.execute(select(Call)).scalars().first()
    if call is None:
        load_demo()
        call = db.session.execute(select(Call)).scalars().first()
    ids = {"other": other.id, "me": 0, "call": call.id, "app": 0}

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
            # A holder passes the role check; object checks may still answer 404 for ids that are not theirs.
            assert response.status_code in (200, 302, 404) and not _is_login_redirect(response), (endpoint, role)
        else:
            assert response.status_code == 403, (endpoint, role, response.status_code)
        if client.logged_in and endpoint != "accounts.logout":
            client.logout()
        client.logged_in = False
