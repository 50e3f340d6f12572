"""Public verification of letters by code, and of an uploaded PDF against the issued one."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..applications.models import Application
from ..extensions import db, limiter
from ..i18n import current_locale
from ..programs.models import Call
from . import services
from .models import LETTER_STATUS_LABELS, Letter

bp = Blueprint("verify", __name__, url_prefix="/verify")


def _letter(code: str) -> Letter | None:
    return db.session.execute(
        select(Letter)
        .where(Letter.verification_code == services.normalise_code(code))
        .options(
            joinedload(Letter.application).joinedload(Application.applicant),
            joinedload(Letter.application).joinedload(Application.call).joinedload(Call.program),
        )
    ).scalar()


def _page(letter: Letter, result: str | None = None, status: int = 200):
    return render_template(
        "letters/verify_show.html",
        letter=letter,
        result=result,
        date_zh=services.chinese_issue_date(letter),
        locale=current_locale(),
        labels=services.OUTCOME_LABELS,
        status_labels=LETTER_STATUS_LABELS,
    ), status


@bp.get("/")
def index():
    """A form asking for the code printed on the letter."""
    code = request.args.get("code", "")
    if services.normalise_code(code):
        return redirect(url_for("verify.show", code=services.normalise_code(code)))
    return render_template("letters/verify_index.html")


@bp.get("/<code>")
def show(code: str):
    """Holder, program, outcome, date, serial, status and SHA-256 of the letter with this code."""
    letter = _letter(code)
    if letter is None:
        return render_template("letters/verify_unknown.html", code=code[:40]), 404
    if code != letter.verification_code:
        return redirect(url_for("verify.show", code=letter.verification_code))
    return _page(letter)


@bp.post("/<code>")
@limiter.limit("30 per hour", scope="verify-upload")
def check(code: str):
    """Tell whether an uploaded PDF is byte for byte the issued letter."""
    letter = _letter(code)
    if letter is None:
        return render_template("letters/verify_unknown.html", code=code[:40]), 404
    upload = request.files.get("pdf")
    if upload is None or not upload.filename:
        return _page(letter, "missing", 400)
    return _page(letter, "match" if services.verify_pdf(letter, upload.read()) else "mismatch")
