"""Account services on a real database: registration, confirmation, password reset, roles."""

import re
import time

import itsdangerous
import pytest
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.models import Role
from portal.audit.models import AuditEntry
from portal.notifications.models import OutboxMessage
from tests.conftest import PASSWORD


def _last_mail(db, to):
    return (
        db.session.execute(
            select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id.desc())
        )
        .scalars()
        .first()
    )


def _link(message):
    return re.search(r"http://portal\.test(/\S+)", message.body_text).group(1)


def test_register_makes_an_unconfirmed_applicant_and_mails_a_link(db):
    user = services.register("New@Example.CN ", "王小明", PASSWORD, "zh_CN")
    db.session.commit()
    assert user.email == "new@example.cn"
    assert user.role_names == {"applicant"}
    assert user.email_confirmed_at is None
    assert user.password_hash.startswith("$argon2id$")
    mail = _last_mail(db, "new@example.cn")
    assert "验证您的邮箱" in mail.subject and "/account/confirm/" in mail.body_text
    with pytest.raises(services.AccountError) as err:
        services.authenticate("new@example.cn", PASSWORD)
    assert err.value.field == "unconfirmed"


def test_email_in_english_for_an_english_user(db):
    services.register("en@example.cn", "Alice", PASSWORD, "en")
    db.session.commit()
    assert _last_mail(db, "en@example.cn").subject.startswith("Confirm your email address")


def test_duplicate_registration_is_refused(db, make_user):
    make_user("applicant", email="taken@example.cn")
    with pytest.raises(services.AccountError) as err:
        services.register("TAKEN@example.cn", "x", PASSWORD, "zh_CN")
    assert err.value.field == "email"


def test_confirmation_link_confirms_and_forged_one_does_not(db):
    user = services.register("c@example.cn", "c", PASSWORD, "zh_CN")
    token = _link(_last_mail(db, "c@example.cn")).rsplit("/", 1)[1]
    with pytest.raises(services.AccountError):
        services.confirm_email(token[:-2] + "xx")
    assert services.confirm_email(token) is user
    assert user.email_confirmed_at is not None
    assert services.authenticate("c@example.cn", PASSWORD) is user


def test_reset_link_works_once(db, make_user):
    user = make_user("applicant", email="r@example.cn")
    services.send_password_reset("R@example.cn")
    token = _link(_last_mail(db, "r@example.cn")).rsplit("/", 1)[1]
    services.reset_password(token, "a-brand-new-password")
    assert services.authenticate("r@example.cn", "a-brand-new-password") is user
    with pytest.raises(services.AccountError, match="already been used|已被使用"):
        services.reset_password(token, "yet-another-password")


def test_reset_link_expires(db, make_user, monkeypatch, app):
    make_user("applicant", email="old@example.cn")
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner,
        "get_timestamp",
        lambda self: int(time.time()) - app.config["PASSWORD_RESET_MAX_AGE"] - 5,
    )
    services.send_password_reset("old@example.cn")
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", real)
    token = _link(_last_mail(db, "old@example.cn")).rsplit("/", 1)[1]
    with pytest.raises(services.AccountError, match="expired|过期"):
        services.user_for_reset_token(token)


def test_reset_for_unknown_email_sends_nothing(db):
    services.send_password_reset("nobody@example.cn")
    assert _last_mail(db, "nobody@example.cn") is None


def test_wrong_password_and_deactivated_account_are_refused(db, make_user):
    user = make_user("applicant", email="w@example.cn")
    with pytest.raises(services.AccountError):
        services.authenticate("w@example.cn", "wrong-password")
    user.active = False
    with pytest.raises(services.AccountError, match="deactivated|停用"):
        services.authenticate("w@example.cn", PASSWORD)


def test_roles_granted_and_revoked_with_audit(db, make_user, unit):
    admin = make_user("sysadmin")
    user = make_user("applicant")
    services.grant_role(user, Role.UNIT_ADMIN.value, unit.id, admin)
    services.grant_role(user, Role.EXPERT.value, None, admin)
    assert user.role_names == {"applicant", "unit_admin", "expert"}
    assert user.unit_ids == {unit.id}
    with pytest.raises(services.AccountError):
        services.grant_role(user, Role.UNIT_ADMIN.value, None, admin)
    with pytest.raises(services.AccountError):
        services.grant_role(user, Role.EXPERT.value, None, admin)
    expert_role = next(r for r in user.roles if r.role == "expert")
    services.revoke_role(user, expert_role.id, admin)
    assert "expert" not in user.role_names
    actions = db.session.execute(select(AuditEntry.action).where(AuditEntry.object_id == str(user.id))).scalars().all()
    assert actions.count("user.role_granted") == 2 and "user.role_revoked" in actions


def test_last_sysadmin_keeps_the_role(db, make_user):
    from sqlalchemy import delete

    from portal.accounts.models import UserRole

    db.session.execute(delete(UserRole).where(UserRole.role == "sysadmin"))
    admin = make_user("sysadmin")
    with pytest.raises(services.AccountError):
        services.revoke_role(admin, admin.roles[0].id, admin)
    with pytest.raises(services.AccountError):
        services.set_active(admin, False, admin)


def test_database_refuses_a_unit_admin_without_unit(db, make_user):
    from sqlalchemy.exc import IntegrityError

    from portal.accounts.models import UserRole

    user = make_user("applicant")
    db.session.add(UserRole(user_id=user.id, role="unit_admin", unit_id=None))
    with pytest.raises(IntegrityError):
        db.session.flush()
