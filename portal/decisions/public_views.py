"""The public notice page (公示) and the objection form, open to anyone."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from limits import parse
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..database import commit, rollback, utcnow
from ..errors import Refusal
from ..extensions import db, limiter
from ..forms import select_choices
from . import services
from .forms import ObjectionForm
from .models import Notice, NoticeStatus

bp = Blueprint("notice", __name__, url_prefix="/notice")

# Per address: enough for someone with several real concerns, too few to flood the office's inbox.
OBJECTION_LIMIT = parse("5 per hour")


@bp.get("/")
def index():
    """Open notices and their candidates, as published."""
    notices = (
        db.session.execute(
            select(Notice)
            .where(Notice.status == NoticeStatus.OPEN, Notice.ends_at > utcnow())
            .options(selectinload(Notice.items))
            .order_by(Notice.published_at.desc())
        )
        .scalars()
        .all()
    )
    return render_template("decisions/public_notices.html", notices=notices)


def _within_limit() -> bool:
    # Checked by hand rather than with @limiter.limit so that the refusal keeps the form and explains itself.
    if not limiter.enabled:
        return True
    return limiter.limiter.hit(OBJECTION_LIMIT, "notice-objection", get_remote_address())


@bp.route("/<int:notice_id>/objection", methods=["GET", "POST"])
def objection(notice_id: int):
    """Anyone files an objection to a candidate while the notice is open."""
    notice = db.get_or_404(Notice, notice_id)
    form = ObjectionForm()
    form.item_id.choices = select_choices([(item.id, f"{item.name}（{item.unit_name}）") for item in notice.items])
    ended = notice.status != NoticeStatus.OPEN or utcnow() >= notice.ends_at
    page = {"notice": notice, "ended": ended}
    if ended:
        return render_template(
            "decisions/public_objection.html", form=None, **page
        ), 409 if request.method == "POST" else 200
    if request.method == "GET":
        return render_template("decisions/public_objection.html", form=form, **page)
    if not _within_limit():
        message = _(
            "Too many objections have been filed from your address: at most %(n)s per hour. Please try again later.",
            n=OBJECTION_LIMIT.amount,
        )
        return render_template("decisions/public_objection.html", form=form, throttled=message, **page), 429
    if not form.validate_on_submit():
        return render_template("decisions/public_objection.html", form=form, **page), 400
    try:
        services.file_objection(
            notice,
            form.item_id.data,
            form.contact_name.data,
            form.contact.data,
            form.content.data,
            get_remote_address() or "",
        )
    except Refusal as exc:
        rollback()
        return render_template("decisions/public_objection.html", form=form, errors=exc.messages, **page), 409
    commit()
    return render_template("decisions/public_objection.html", form=None, done=True, **page)
