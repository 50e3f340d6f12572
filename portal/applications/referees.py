"""Referees (推荐人) and excluded experts (回避专家) of an application."""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..accounts.models import Role, User, UserRole
from ..accounts.services import external_url
from ..audit.services import record
from ..database import utcnow
from ..extensions import db
from ..notifications.services import queue_email
from ..storage import delete_document, save_document
from .models import Application, Exclusion, Referee
from .services import ApplicationError, ensure_editable
from .workflow import EDITABLE_STATES

MAX_EXCLUSIONS = 3
MAX_REFEREES = 5


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_referee(
    application: Application, *, name: str, email: str, institution: str, title: str, locale: str
) -> Referee:
    """Add a referee and email them a personal link to upload their letter without an account."""
    ensure_editable(application)
    email = email.strip().lower()
    if len(application.referees) >= MAX_REFEREES:
        raise ApplicationError(_("At most %(n)s referees.", n=MAX_REFEREES))
    if any(r.email == email for r in application.referees):
        raise ApplicationError(_("This referee has already been invited."))
    if email == application.applicant.email:
        raise ApplicationError(_("You cannot be your own referee."))
    token = secrets.token_urlsafe(32)
    referee = Referee(
        name=name.strip(),
        email=email,
        institution=institution.strip(),
        title=title.strip(),
        token_hash=_token_hash(token),
        expires_at=application.call.closes_at,
    )
    application.referees.append(referee)
    db.session.flush()
    record("referee.invited", application, data={"referee_id": referee.id, "email": email})
    _send_invitation(referee, token, locale)
    return referee


def _send_invitation(referee: Referee, token: str, locale: str) -> None:
    application = referee.application
    program = application.call.program
    queue_email(
        referee.email,
        "referee_invitation",
        locale=locale,
        referee=referee,
        applicant_name=application.applicant.name,
        program_name=program.name(locale),
        link=external_url("referees.letter", token=token),
        closes_at=application.call.closes_at,
    )


def remind_referee(referee: Referee, locale: str) -> None:
    """A new link (the old one stops working) sent again to a referee whose letter has not arrived."""
    ensure_editable(referee.application)
    if referee.letter_received_at:
        raise ApplicationError(_("This referee's letter has already arrived."))
    token = secrets.token_urlsafe(32)
    referee.token_hash = _token_hash(token)
    record("referee.reminded", referee.application, data={"referee_id": referee.id})
    _send_invitation(referee, token, locale)


def remove_referee(referee: Referee) -> None:
    application = referee.application
    ensure_editable(application)
    if referee.letter is not None:
        delete_document(referee.letter)
    record("referee.removed", application, data={"referee_id": referee.id, "email": referee.email})
    application.referees.remove(referee)
    db.session.flush()


def referee_for_token(token: str) -> Referee | None:
    """The referee a link belongs to, or None when it is unknown or expired."""
    referee = db.session.execute(select(Referee).where(Referee.token_hash == _token_hash(token))).scalar_one_or_none()
    if referee is None or utcnow() >= referee.expires_at:
        return None
    return referee


def upload_letter(referee: Referee, data: bytes, filename: str) -> None:
    """Store the referee's letter; the applicant is told it arrived, never what it says."""
    if referee.letter_received_at is not None:
        raise ApplicationError(_("Your letter has already been received. Thank you."))
    application = referee.application
    if application.state not in EDITABLE_STATES:
        raise ApplicationError(_("This application has been submitted; letters can no longer be added."))
    document = save_document(
        data, kind="referee_letter", original_name=filename, owner_id=None, application_id=application.id
    )
    referee.letter_document_id = document.id
    referee.letter_received_at = utcnow()
    record(
        "referee.letter_received",
        application,
        actor=f"referee:{referee.email}",
        data={"referee_id": referee.id, "sha256": document.sha256},
    )
    applicant = application.applicant
    queue_email(
        applicant.email,
        "referee_letter_arrived",
        locale=applicant.locale,
        user=applicant,
        referee_name=referee.name,
        link=external_url("applications.edit", application_id=application.id, step="referees"),
    )


def add_exclusion(application: Application, *, name: str, institution: str, reason: str) -> Exclusion:
    """Ask that an expert be kept away from this application; matched to the expert pool by name."""
    ensure_editable(application)
    if len(application.exclusions) >= MAX_EXCLUSIONS:
        raise ApplicationError(_("You can ask to exclude at most %(n)s experts.", n=MAX_EXCLUSIONS))
    name = name.strip()
    if any(x.name == name and x.institution == institution.strip() for x in application.exclusions):
        raise ApplicationError(_("This expert is already on your list."))
    experts = (
        db.session.execute(
            select(User.id).where(
                func.lower(User.name) == name.lower(), User.roles.any(UserRole.role == Role.EXPERT.value)
            )
        )
        .scalars()
        .all()
    )
    exclusion = Exclusion(
        name=name,
        institution=institution.strip(),
        reason=reason.strip(),
        expert_id=experts[0] if len(experts) == 1 else None,
    )
    application.exclusions.append(exclusion)
    db.session.flush()
    record("application.exclusion_added", application, data={"name": name, "institution": exclusion.institution})
    return exclusion


def remove_exclusion(application: Application, exclusion_id: int) -> None:
    ensure_editable(application)
    exclusion = next((x for x in application.exclusions if x.id == exclusion_id), None)
    if exclusion is None:
        raise ApplicationError(_("This entry was not found."))
    application.exclusions.remove(exclusion)
    record("application.exclusion_removed", application, data={"name": exclusion.name})
    db.session.flush()
