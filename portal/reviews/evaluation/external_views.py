"""User and social evaluators: the scoring form through a token link, without an account (SPEC §5.5)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...applications.services import reference
from ...applications.workflow import State
from ...database import commit, rollback
from ...errors import Refusal
from ...extensions import limiter
from ...i18n import current_locale
from ..assignment.services import external_assignment_for_token
from ..forms import scoring_data, scoring_form_class, scoring_payload
from . import services as evaluations
from .expert_views import attach_errors
from .schemes import COMPONENT_LABELS
from .services import EvaluationError, component_of, criteria_for

bp = Blueprint("evaluate", __name__, url_prefix="/evaluate")


def _render(assignment, form, criteria, status=200, done=False):
    application = assignment.application
    return render_template(
        "reviews/external_form.html",
        assignment=assignment,
        application=application,
        program=application.call.program,
        snapshot=application.snapshot or {},
        blind=application.call.program.blind_review,
        form=form,
        criteria=criteria,
        done=done,
        component=COMPONENT_LABELS[component_of(assignment)],
        reference=reference(application),
    ), status


@bp.route("/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"], scope="evaluate-form")
def form(token: str):
    """The evaluator's form: save a draft, or submit once, after which the link answers 404."""
    assignment = external_assignment_for_token(token)
    if assignment is None or assignment.application.state != State.UNDER_REVIEW:
        abort(404)  # unknown, expired, submitted or withdrawn links look the same
    try:
        criteria = criteria_for(assignment)
    except Refusal:
        abort(404)
    form_class = scoring_form_class(criteria, current_locale(), ask_familiarity=False)
    if request.method == "GET":
        return _render(assignment, form_class(formdata=None, data=scoring_data(assignment.evaluation)), criteria)
    scoring = form_class()
    if not scoring.validate_on_submit():
        return _render(assignment, scoring, criteria, 400)
    submit = request.form.get("action") == "submit"
    try:
        evaluations.save_evaluation(assignment, **scoring_payload(scoring, criteria), submit=submit)
    except EvaluationError as exc:
        rollback()
        attach_errors(scoring, exc)
        return _render(assignment, scoring, criteria, 400)
    except Refusal as exc:
        rollback()
        flash(exc.messages[0], "danger")
        return _render(assignment, scoring, criteria, 409)
    commit()
    if submit:
        return _render(assignment, None, criteria, done=True)
    flash(_("Draft saved. You can come back to it until you submit."), "success")
    return redirect(url_for("evaluate.form", token=token))
