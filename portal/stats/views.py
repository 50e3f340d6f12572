"""Statistics pages for the program office (SPEC §8): charts drawn as inline SVG, no script, no CDN."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..accounts.models import Role
from ..auth import roles_required
from ..programs.access import managed_call_or_404 as _call
from . import services

bp = Blueprint("stats", __name__, url_prefix="/office")


@bp.get("/calls/<int:call_id>/statistics")
@roles_required(Role.PROGRAM_ADMIN)
def call_statistics(call_id: int):
    """A call's applications by status, unit, discipline, gender and age band, its evaluation progress and the
    distribution of its final scores."""
    call = _call(call_id)
    return render_template("stats/call.html", call=call, stats=services.call_statistics(call))
