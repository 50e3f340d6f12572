"""Public program and call pages: rules, documents, quota and the deadline with a countdown."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from .models import Call
from .rule_text import describe

bp = Blueprint("programs", __name__)


@bp.get("/calls/<int:call_id>")
def call(call_id: int):
    """One call: what it asks for and who may apply; applicants start their application here."""
    found = db.session.get(Call, call_id)
    if found is None or found.status == "draft":
        abort(404)
    cutoff = found.cutoff_date.isoformat()
    rules = [describe(rule, cutoff) for rule in found.program.eligibility_rules or []]
    existing = None
    start_form = None
    if current_user.is_authenticated and current_user.has_role("applicant"):
        from ..applications.forms import StartForm
        from ..applications.models import Application
        from ..applications.views import unit_choices

        existing = db.session.execute(select(Application).where(
            Application.call_id == found.id, Application.applicant_id == current_user.id,
            Application.state != "withdrawn")).scalar_one_or_none()
        start_form = StartForm()
        start_form.unit_id.choices = unit_choices()
    return render_template("programs/call.html", call=found, program=found.program, rules=rules, now=utcnow(),
                           existing=existing, start_form=start_form)
