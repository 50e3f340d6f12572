"""Statistics pages for the program office (SPEC §8): charts drawn as inline SVG, no script, no CDN."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..accounts.models import Role
from ..auth import roles_required
from ..extensions import db
from ..programs.access import managed_or_404
from ..programs.models import Call
from . import services

bp = Blueprint("stats", __name__, url_prefix="/office")


@bp.get("/calls/<int:call_id>/statistics")
@roles_required(Role.PROGRAM_ADMIN)
def call_statistics(call_id: int):
    """A call's applications by status, unit, discipline, gender and age band, its evaluation progress and the
    distribution of its final scores."""
    call = db.get_or_404(Call, call_id)
    managed_or_404(current_user, call.program_id)
    return render_template("stats/call.html", call=call, stats=services.call_statistics(call))
