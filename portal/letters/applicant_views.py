"""The applicant's download of their letter in force (registered along with the verify blueprint)."""

from __future__ import annotations

from flask import Blueprint, abort, send_file
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import Role
from ..applications.models import Application
from ..auth import roles_required
from ..extensions import db
from ..storage import document_path
from .models import Letter, LetterStatus
from .services import valid_letter

bp = Blueprint("my_letters", __name__)


@bp.app_template_global()
def lettered(application_ids) -> set[int]:
    """Which of these applications have a letter in force (the applicant's dashboard links to them)."""
    ids = list(application_ids)
    if not ids:
        return set()
    return set(
        db.session.execute(
            select(Letter.application_id).where(Letter.application_id.in_(ids), Letter.status == LetterStatus.VALID)
        ).scalars()
    )


@bp.get("/applications/<int:application_id>/letter")
@roles_required(Role.APPLICANT)
def download(application_id: int):
    """The valid letter of one's own application; anyone else's, or none, is 404."""
    application = db.get_or_404(Application, application_id)
    if application.applicant_id != current_user.id:
        abort(404)
    letter = valid_letter(application.id)
    if letter is None:
        abort(404)
    response = send_file(
        document_path(letter.document),
        mimetype="application/pdf",
        download_name=letter.document.original_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
