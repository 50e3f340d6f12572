"""Account verbs: register, confirm, authenticate, reset passwords, manage roles."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from ..audit.services import record
from ..database import utcnow
from ..errors import Refusal
from ..extensions import db
from ..i18n import current_locale
from ..notifications.services import queue_email
from .models import ROLE_VALUES, Role, User, UserRole

_hashers: dict[tuple, PasswordHasher] = {}
_dummy_hashes: dict[int, str] = {}


def _hasher() -> PasswordHasher:
    """argon2id with the library's memory-hard defaults (tests may configure cheaper parameters)."""
    params = tuple(sorted((current_app.config.get("PASSWORD_HASH_PARAMS") or {}).items()))
    if params not in _hashers:
        _hashers[params] = PasswordHasher(**dict(params))
    return _hashers[params]


def _dummy_hash() -> str:
    # Verifying against this keeps the time of a login for an unknown email like a real one.
    hasher = _hasher()
    if id(hasher) not in _dummy_hashes:
        _dummy_hashes[id(hasher)] = hasher.hash("not-a-real-password")
    return _dummy_hashes[id(hasher)]


class AccountError(Refusal):
    """A refused account operation; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Verify a password (constant work for unknown users) and upgrade old hash parameters."""
    try:
        _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    return True


def find_user(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    # Part of the reset token: once the password changes, every earlier token stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def external_url(endpoint: str, **values) -> str:
    """An absolute link for emails, built on PORTAL_BASE_URL (works outside requests too)."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:  # CLI and background jobs: build the path without a request
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PORTAL_BASE_URL"] + path


def register(email: str, name: str, password: str, locale: str) -> User:
    """Create an applicant account and send the confirmation email."""
    email = normalise_email(email)
    if find_user(email):
        raise AccountError(_("An account with this email already exists. Log in or reset your password."), "email")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), locale=locale)
    user.roles.append(UserRole(role=Role.APPLICANT.value))
    db.session.add(user)
    db.session.flush()
    record("account.registered", user, actor=user)
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    token = _serializer("confirm-email").dumps({"uid": user.id, "email": user.email})
    queue_email(
        user.email,
        "confirm_email",
        locale=user.locale,
        user=user,
        link=external_url("accounts.confirm_email", token=token),
        hours=current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 3600,
    )


def confirm_email(token: str) -> User:
    """Mark the address confirmed; the token must be genuine, unexpired and for the current email."""
    try:
        data = _serializer("confirm-email").loads(token, max_age=current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    except SignatureExpired:
        raise AccountError(_("This confirmation link has expired. Log in to have a new one sent.")) from None
    except BadSignature:
        raise AccountError(_("This confirmation link is not valid.")) from None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise AccountError(_("This confirmation link is not valid."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        record("account.email_confirmed", user, actor=user)
    return user


def password_reset_link(user: User) -> str:
    """An absolute link to choose a new password; it stops working once the password changes."""
    token = _serializer("reset-password").dumps({"uid": user.id, "fp": _password_fingerprint(user)})
    return external_url("accounts.reset_password", token=token)


def send_password_reset(email: str) -> None:
    """Email a reset link if the account exists; says nothing either way (no account probing)."""
    user = find_user(email)
    if user is None or not user.is_active:
        return
    queue_email(
        user.email,
        "reset_password",
        locale=user.locale,
        user=user,
        link=password_reset_link(user),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )
    record("account.password_reset_requested", user, actor=user)


def user_for_reset_token(token: str) -> User:
    """The account a reset link belongs to; refused when expired, forged or already used."""
    try:
        data = _serializer("reset-password").loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise AccountError(_("This password reset link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise AccountError(_("This password reset link is not valid.")) from None
    user = db.session.get(User, data.get("uid"))
    if user is None or data.get("fp") != _password_fingerprint(user):
        raise AccountError(_("This password reset link has already been used. Ask for a new one."))
    return user


def reset_password(token: str, password: str) -> User:
    user = user_for_reset_token(token)
    user.password_hash = hash_password(password)
    # Following the emailed link proves the address too.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    record("account.password_reset", user, actor=user)
    return user


def authenticate(email: str, password: str) -> User:
    """The user for these credentials, or AccountError with the reason to show."""
    user = find_user(email)
    if not check_password(user, password):
        raise AccountError(_("Wrong email or password."))
    if not user.is_active:
        raise AccountError(_("This account has been deactivated. Contact the program office."))
    if user.email_confirmed_at is None:
        raise AccountError(_("Confirm your email address first: follow the link we sent you."), "unconfirmed")
    user.last_login_at = utcnow()
    return user


def create_user(
    email: str,
    name: str,
    password: str,
    roles: list[tuple],
    *,
    confirmed: bool = True,
    locale: str = "zh_CN",
    actor=None,
) -> User:
    """Create an account directly (sysadmin, CLI, seed) with the given (role, unit_id) pairs or
    (role, unit_id, program_id) triples: a program admin without a program runs every program (office-wide)."""
    user = User(
        email=normalise_email(email),
        name=name,
        password_hash=hash_password(password),
        locale=locale,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    grants = []
    for role, unit_id, *rest in roles:
        program_id = (rest[0] if rest else None) if role == Role.PROGRAM_ADMIN.value else None
        unit_id = unit_id if role == Role.UNIT_ADMIN.value else None
        if (role, unit_id, program_id) not in grants:
            grants.append((role, unit_id, program_id))
    for role, unit_id, program_id in grants:
        user.roles.append(UserRole(role=role, unit_id=unit_id, program_id=program_id))
    db.session.add(user)
    db.session.flush()
    data = {"email": user.email, "roles": sorted({r for r, _u, _p in grants})}
    programs = sorted(p for r, _u, p in grants if p is not None)
    if programs:
        data["program_ids"] = programs
    record("user.created", user, actor=actor, data=data)
    return user


def grant_role(user: User, role: str, unit_id: int | None, actor, program_id: int | None = None) -> UserRole:
    """Give a role (a unit admin needs a unit); granting twice is refused.

    A program admin is granted one program per role row (`program_id`), or every program (office-wide) when
    `program_id` is None; only a program admin is bound to a program.
    """
    if role not in ROLE_VALUES:
        raise AccountError(_("Unknown role."), "role")
    if role == Role.UNIT_ADMIN.value and not unit_id:
        raise AccountError(_("A unit admin must be bound to a unit."), "unit_id")
    if program_id is not None and role != Role.PROGRAM_ADMIN.value:
        raise AccountError(_("Only a program admin runs a program."), "program_id")
    program = None
    if program_id is not None:
        # The Program class as the grant's relationship knows it: accounts sit below programs and do not import them.
        program = db.session.get(UserRole.program.property.mapper.class_, program_id)
        if program is None:
            raise AccountError(_("This program was not found."), "program_id")
    unit_id = unit_id if role == Role.UNIT_ADMIN.value else None
    if any(r.role == role and r.unit_id == unit_id and r.program_id == program_id for r in user.roles):
        if role != Role.PROGRAM_ADMIN.value:
            raise AccountError(_("This person already has this role."), "role")
        if program is None:
            raise AccountError(_("This person already runs every program (office-wide)."), "program_id")
        raise AccountError(
            _("This person already runs the program %(program)s.", program=program.name(current_locale())), "program_id"
        )
    user_role = UserRole(role=role, unit_id=unit_id, program_id=program_id)
    user.roles.append(user_role)
    db.session.flush()
    record("user.role_granted", user, actor=actor, data={"role": role, "unit_id": unit_id, "program_id": program_id})
    return user_role


def revoke_role(user: User, role_id: int, actor) -> None:
    """Take a role away; the last sysadmin cannot lose the role (the portal would be unmanageable)."""
    user_role = next((r for r in user.roles if r.id == role_id), None)
    if user_role is None:
        raise AccountError(_("This role was not found."))
    if user_role.role == Role.SYSADMIN.value and count_sysadmins() <= 1:
        raise AccountError(_("The last system administrator cannot lose this role."))
    user.roles.remove(user_role)
    db.session.flush()
    record(
        "user.role_revoked",
        user,
        actor=actor,
        data={"role": user_role.role, "unit_id": user_role.unit_id, "program_id": user_role.program_id},
    )


def set_active(user: User, active: bool, actor) -> None:
    if not active and user.id == getattr(actor, "id", None):
        raise AccountError(_("You cannot deactivate your own account."))
    user.active = active
    record("user.activated" if active else "user.deactivated", user, actor=actor)


def count_sysadmins() -> int:
    return db.session.execute(
        select(func.count(func.distinct(UserRole.user_id))).where(UserRole.role == Role.SYSADMIN.value)
    ).scalar_one()
