"""Unit admins' pages: the unit's applications, endorse / return / decline, and the unit's ranking (SPEC §5.1)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, load_only

from ...accounts.models import Role, User
from ...applications.access import administered_unit_ids
from ...applications.models import Application
from ...applications.status_text import ACTION_TEXT, STATE_TEXT, timeline_for
from ...applications.workflow import NOT_ENDORSED_STATES, State
from ...auth import roles_required
from ...database import commit, rollback
from ...errors import Refusal
from ...extensions import db
from ...i18n import current_locale
from ...programs.models import Call
from ...views_support import commit_or_refuse
from ..evaluation.schemes import scheme_for_call
from ..forms import RankForm, ReasonForm, endorse_form_class
from ..models import UnitReview
from . import services

bp = Blueprint("unit", __name__, url_prefix="/unit")


def _my_application(application_id: int) -> Application:
    """An application of one of my units (or their sub-units); anything else is 404."""
    application = db.get_or_404(Application, application_id)
    if application.state == State.DRAFT or application.unit_id not in administered_unit_ids(current_user):
        abort(404)
    return application


@bp.get("/")
@roles_required(Role.UNIT_ADMIN)
def queue():
    """Every submitted application naming my units, grouped by call, with the endorsements used."""
    units = administered_unit_ids(current_user)
    applications = (
        db.session.execute(
            select(Application)
            .where(Application.unit_id.in_(units), Application.state != State.DRAFT)
            # Only what the list shows: snapshots and plans are large; applicants' roles are never shown.
            .options(
                load_only(
                    Application.id,
                    Application.call_id,
                    Application.applicant_id,
                    Application.unit_id,
                    Application.state,
                    Application.title,
                    Application.submitted_at,
                    Application.exception_requested,
                ),
                joinedload(Application.call).joinedload(Call.program),
                joinedload(Application.applicant).options(load_only(User.id, User.name), lazyload(User.roles)),
                joinedload(Application.unit),
                joinedload(Application.unit_review),
            )
            .order_by(Application.call_id, Application.submitted_at)
        )
        .unique()
        .scalars()
        .all()
    )
    calls: dict[int, dict] = {}
    for application in applications:
        group = calls.setdefault(
            application.call_id, {"call": application.call, "items": [], "endorsed": 0, "units": {}}
        )
        group["items"].append(application)
        # Quotas are per unit and call (the call's own figure for the unit, else its default).
        used = group["units"].setdefault(
            application.unit_id,
            {"unit": application.unit, "endorsed": 0, "quota": application.call.quota_for_unit(application.unit_id)},
        )
        if application.unit_review is not None and application.state not in NOT_ENDORSED_STATES:
            group["endorsed"] += 1
            used["endorsed"] += 1
    for group in calls.values():
        group["units"] = sorted(group["units"].values(), key=lambda u: u["unit"].code)
    return render_template("reviews/unit_queue.html", calls=list(calls.values()), labels=STATE_TEXT)


def _forms(application):
    scheme = scheme_for_call(application.call).definition
    unit_component = scheme["components"].get("unit")
    form_class = endorse_form_class(
        unit_component["criteria"] if unit_component else None, current_locale(), application.exception_requested
    )
    return form_class, unit_component


@bp.get("/applications/<int:application_id>")
@roles_required(Role.UNIT_ADMIN)
def review(application_id: int):
    application = _my_application(application_id)
    form_class, unit_component = _forms(application)
    return _page(application, form_class(prefix="endorse"), unit_component)


def _page(application, endorse_form, unit_component, status=200, return_form=None, decline_form=None):
    return render_template(
        "reviews/unit_review.html",
        application=application,
        snapshot=application.snapshot or {},
        endorse_form=endorse_form,
        unit_component=unit_component,
        return_form=return_form or ReasonForm(prefix="return"),
        decline_form=decline_form or ReasonForm(prefix="decline"),
        timeline_entries=timeline_for([application.id])[application.id],
        labels=STATE_TEXT,
        action_labels=ACTION_TEXT,
        can_decide=application.state == State.SUBMITTED,
        quota=application.call.quota_for_unit(application.unit_id),
        endorsed=services.endorsed_count(application.call_id, application.unit_id),
    ), status


@bp.post("/applications/<int:application_id>/endorse")
@roles_required(Role.UNIT_ADMIN)
def endorse(application_id: int):
    application = _my_application(application_id)
    form_class, unit_component = _forms(application)
    form = form_class(prefix="endorse")
    if not form.validate_on_submit():
        return _page(application, form, unit_component, 400)
    scores = {code: float(form["score_" + code].data) for code in (unit_component or {}).get("criteria", {})}
    exception = form.exception_endorsement.data if application.exception_requested else ""
    if not commit_or_refuse(
        services.endorse,
        application,
        current_user._get_current_object(),
        post=form.post.data,
        startup_funds=form.startup_funds.data,
        space=form.space.data,
        opinion=form.opinion.data,
        unit_scores=scores or None,
        exception_endorsement=exception,
    ):
        return _page(application, form, unit_component, 409)
    flash(_("The application has been endorsed and sent to the program office."), "success")
    return redirect(url_for("unit.queue"))


@bp.post("/applications/<int:application_id>/<verb>")
@roles_required(Role.UNIT_ADMIN)
def decide(application_id: int, verb: str):
    """Return for revision or decline, each with written reasons."""
    if verb not in ("return", "decline"):
        abort(404)
    application = _my_application(application_id)
    form = ReasonForm(prefix=verb)
    form_class, unit_component = _forms(application)
    if not form.validate_on_submit():
        return _page(application, form_class(prefix="endorse"), unit_component, 400, **{f"{verb}_form": form})
    send_back = services.return_for_revision if verb == "return" else services.decline
    if not commit_or_refuse(send_back, application, current_user._get_current_object(), form.reason.data):
        return redirect(url_for("unit.review", application_id=application.id))
    flash(_("The applicant has been told, with your reasons."), "success")
    return redirect(url_for("unit.queue"))


@bp.route("/calls/<int:call_id>/ranking", methods=["GET", "POST"])
@roles_required(Role.UNIT_ADMIN)
def ranking(call_id: int):
    """The unit's order of preference among the candidates it endorsed for this call."""
    call = db.get_or_404(Call, call_id)
    units = administered_unit_ids(current_user)
    endorsed = (
        db.session.execute(
            select(Application)
            .join(UnitReview)
            .where(
                Application.call_id == call.id,
                Application.unit_id.in_(units),
                Application.state.not_in(NOT_ENDORSED_STATES),
            )
            .options(joinedload(Application.applicant), joinedload(Application.unit_review))
            .order_by(UnitReview.unit_rank.is_(None), UnitReview.unit_rank, Application.id)
        )
        .unique()
        .scalars()
        .all()
    )
    form = RankForm()
    if form.validate_on_submit():
        try:
            order = sorted(endorsed, key=lambda a: (int(request.form.get(f"rank_{a.id}") or 10**6), a.id))
            services.set_unit_ranks(endorsed, [a.id for a in order], current_user._get_current_object())
        except (Refusal, ValueError):
            rollback()
            flash(_("Enter a whole number for every candidate."), "danger")
        else:
            commit()
            flash(_("The unit's ranking has been saved."), "success")
            return redirect(url_for("unit.ranking", call_id=call.id))
    return render_template("reviews/unit_ranking.html", call=call, endorsed=endorsed, form=form)
