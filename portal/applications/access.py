"""Who may do what with an application or a document: checked here, in one place."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import Role, User
from ..extensions import db
from ..programs.access import can_manage, managed, managed_program_ids
from ..programs.models import Call, CallAttachment
from ..programs.units import descendant_ids
from ..storage import Document
from .models import Application
from .workflow import EDITABLE_STATES, State


def administered_unit_ids(user: User) -> set[int]:
    """The units a unit admin covers: their own units and every unit below them."""
    own = user.unit_ids
    if not own:
        return set()
    covered: set[int] = set()
    for unit_id in own:
        covered |= descendant_ids(unit_id)
    return covered


def actor_roles(user: User | None, application: Application) -> set[str]:
    """The workflow roles this person holds *for this application*."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    roles: set[str] = set()
    if user.id == application.applicant_id:
        roles.add(Role.APPLICANT.value)
    if user.has_role(Role.UNIT_ADMIN) and application.unit_id in administered_unit_ids(user):
        roles.add(Role.UNIT_ADMIN.value)
    if user.has_role(Role.PROGRAM_ADMIN) and can_manage(user, application.call.program_id):
        roles.add(Role.PROGRAM_ADMIN.value)  # only the office of this application's program
    if user.has_role(Role.SYSADMIN):
        roles.add(Role.SYSADMIN.value)
    return roles


def can_view_application(user: User | None, application: Application) -> bool:
    roles = actor_roles(user, application)
    if application.state == State.DRAFT:  # a draft is the applicant's own business
        return Role.APPLICANT.value in roles
    return bool(roles & {Role.APPLICANT.value, Role.UNIT_ADMIN.value, Role.PROGRAM_ADMIN.value})


def can_edit_application(user: User | None, application: Application) -> bool:
    return (
        user is not None
        and getattr(user, "id", None) == application.applicant_id
        and application.state_enum in EDITABLE_STATES
    )


def can_view_document(user: User | None, document: Document) -> bool:
    """Referee letters are never shown to the applicant; other files follow their application."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    application = document.application
    if application is None:  # a profile file (representative work) or a call's guide
        return document.owner_id == user.id or _office_may_see(user, document)
    roles = actor_roles(user, application)
    if document.kind == "referee_letter":
        return bool(roles & {Role.UNIT_ADMIN.value, Role.PROGRAM_ADMIN.value}) and application.state != State.DRAFT
    return can_view_application(user, application)


def _office_may_see(user: User, document: Document) -> bool:
    """A file outside any application, for a program admin: a call's guide of a program they run, or the
    profile file of someone who applied (past the draft) to a program they run."""
    if not user.has_role(Role.PROGRAM_ADMIN):
        return False

    if document.kind == "call_guide":
        program_id = db.session.execute(
            select(Call.program_id).join(CallAttachment).where(CallAttachment.document_id == document.id)
        ).scalar_one_or_none()
        return program_id is not None and can_manage(user, program_id)
    return office_may_see_person(user, document.owner_id)


def office_may_see_person(user: User, person_id: int | None) -> bool:
    """Whether a program admin may look at a person's profile (their files, their facts in the "try these rules"
    panel): an office-wide admin may; an office of some programs only for people who applied (past the draft) to
    one of them, and for themselves. Other people do not exist for that office."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_role(Role.PROGRAM_ADMIN):
        return False
    if managed_program_ids(user) is None:
        return True
    if person_id is None:
        return False
    if person_id == user.id:
        return True

    return (
        db.session.execute(
            select(Application.id)
            .join(Call, Call.id == Application.call_id)
            .where(
                Application.applicant_id == person_id, Application.state != State.DRAFT, managed(Call.program_id, user)
            )
            .limit(1)
        ).first()
        is not None
    )


def own_application_or_404(application_id: int) -> Application:
    """The current user's application, or 404 (never 403: other people's ids reveal nothing)."""
    application = db.get_or_404(Application, application_id)
    if application.applicant_id != current_user.id:
        abort(404)
    return application
