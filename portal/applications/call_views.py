"""Public program and call pages: rules, documents, quota and the deadline with a countdown."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file
from flask_login import current_user
from sqlalchemy import select

from ..database import utcnow
from ..extensions import db
from ..forms import select_choices
from ..i18n import current_locale
from ..programs.call_admin import render_guide
from ..programs.call_workflow import CallState
from ..programs.models import Call, CallAttachment
from ..programs.rule_text import describe
from ..storage import document_path
from .forms import StartForm, unit_choices
from .models import Application
from .workflow import State

bp = Blueprint("programs", __name__)


@bp.get("/calls/<int:call_id>")
def call(call_id: int):
    """One call: what it asks for and who may apply; applicants start their application here."""
    found = db.get_or_404(Call, call_id)
    if found.status == CallState.DRAFT:
        abort(404)
    cutoff = found.cutoff_date.isoformat()
    # What the call asks: the version pinned when it was published (SPEC §3.2), not the program's later edits.
    rules = [describe(rule, cutoff) for rule in found.eligibility_rules]
    existing = None
    start_form = None
    if current_user.is_authenticated and current_user.has_role("applicant"):
        existing = db.session.execute(
            select(Application).where(
                Application.call_id == found.id,
                Application.applicant_id == current_user.id,
                Application.state != State.WITHDRAWN,
            )
        ).scalar_one_or_none()
        start_form = StartForm()
        start_form.unit_id.choices = select_choices(unit_choices(found))

    guide = render_guide(found.guide(current_locale()))
    return render_template(
        "programs/call.html",
        call=found,
        program=found.program,
        rules=rules,
        now=utcnow(),
        existing=existing,
        start_form=start_form,
        guide=guide,
    )


@bp.get("/calls/<int:call_id>/attachments/<int:attachment_id>")
def attachment(call_id: int, attachment_id: int):
    """A PDF of a published call's guide, for anyone (a draft call's files do not exist for the public)."""
    found = db.get_or_404(CallAttachment, attachment_id)
    if found.call_id != call_id or found.call.status == CallState.DRAFT:
        abort(404)
    document = found.document
    response = send_file(
        document_path(document),
        mimetype="application/pdf",
        download_name=document.original_name,
        as_attachment=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
