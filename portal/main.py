"""Public pages: home with open calls, language switch, health check."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.orm import contains_eager

from .auth import is_safe_next
from .database import commit, utcnow
from .extensions import db
from .programs.models import Call, CallStatus, Program

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Home: the calls open for applications now, each with its deadline."""
    now = utcnow()
    calls = (
        db.session.execute(
            select(Call)
            .join(Call.program)
            .options(contains_eager(Call.program))
            .where(Call.status == CallStatus.OPEN.value, Call.opens_at <= now, Call.closes_at > now)
            .order_by(Call.closes_at, Program.code)
        )
        .scalars()
        .all()
    )
    return render_template("main/index.html", calls=calls, now=now)


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the interface language and go back to the page the user was on."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code  # emails follow the language the person reads in
            commit()
    target = request.args.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.index"))


@bp.get("/healthz")
def healthz():
    """For load balancers: the app answers and the database is reachable."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
