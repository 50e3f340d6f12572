"""The referee's page: reached by a personal link, no account, one letter."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ..database import commit, rollback
from ..errors import Refusal
from ..extensions import limiter
from . import referees as referee_service
from .forms import LetterForm

bp = Blueprint("referees", __name__, url_prefix="/referee")


@bp.route("/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"], scope="referee-upload")
def letter(token: str):
    referee = referee_service.referee_for_token(token)
    if referee is None:
        abort(404)  # unknown, replaced or expired links look the same
    form = LetterForm()
    application = referee.application
    if form.validate_on_submit():
        upload = form.file.data
        try:
            referee_service.upload_letter(referee, upload.read(), upload.filename)
        except Refusal as exc:
            rollback()
            form.file.errors = [getattr(exc, "message", None) or exc.messages[0]]
            return render_template("referees/letter.html", form=form, referee=referee, application=application), 400
        commit()
        return render_template("referees/letter.html", form=None, referee=referee, application=application, done=True)
    status = 400 if request.method == "POST" else 200
    return render_template("referees/letter.html", form=form, referee=referee, application=application), status
