"""Program office: committee decision sessions, publishing the public notice, handling objections and appeals."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..accounts.models import Role
from ..applications.models import Application
from ..applications.status_text import STATE_TEXT
from ..applications.workflow import State
from ..auth import roles_required
from ..database import commit
from ..extensions import db
from ..forms import ConfirmForm
from ..programs.access import managed_call_or_404 as _call
from ..programs.access import managed_or_404, managed_program_ids
from ..programs.models import Call
from ..reviews.evaluation.schemes import options_for_call
from ..reviews.ranking.services import RankingError, page_of, ranking_for_call
from ..views_support import commit_or_refuse
from . import services
from .forms import ApproveTopForm, DecisionForm, FinaliseForm, HandleObjectionForm, OpenSessionForm, PublishForm
from .models import Decision, DecisionSession, Notice, NoticeItem, Objection, ObjectionStatus, SessionStatus

bp = Blueprint("decisions", __name__, url_prefix="/office/decisions")

OUTCOME_TEXT = {
    "approve": (_l("Approve"), "approve"),
    "reject": (_l("Reject"), "reject"),
    "waitlist": (_l("Waitlist"), "waitlist"),
}


def _session(session_id: int) -> DecisionSession:
    found = db.get_or_404(DecisionSession, session_id)
    managed_or_404(current_user, found.call.program_id)
    return found


#: Applications per page of the decision session.
PAGE_SIZE = 50


def _rows(call: Call, page: int):
    """One page of the ranking rows (with the ranking itself, for the pager), or of the reviewed applications
    unranked when the ranking cannot be computed."""
    try:
        ranking = ranking_for_call(call, options_for_call(call), page=page, per_page=PAGE_SIZE)
        return ranking.rows, ranking, None
    except RankingError as exc:
        listed = db.paginate(
            select(Application)
            .where(Application.call_id == call.id, Application.state == State.REVIEWED)
            .options(joinedload(Application.applicant), joinedload(Application.unit))
            .order_by(Application.id),
            page=page,
            per_page=PAGE_SIZE,
            error_out=False,
        )
        return (
            [
                SimpleNamespace(
                    application=a,
                    rank=None,
                    final=None,
                    flags=("integrity",) if a.integrity_flag else (),
                    applicant_name=a.applicant.name,
                    unit=a.unit,
                )
                for a in listed.items
            ],
            listed,
            exc.message,
        )


def _page(call: Call, status: int = 200, **forms):
    session = services.current_session(call)
    failed = forms.get("decision_form")
    page = request.args.get("page", 1, type=int) or 1
    if failed is not None:  # show the page of the application whose decision was refused
        page = page_of(call, options_for_call(call), int(failed._prefix[1:-1]), PAGE_SIZE)
    rows, pages, ranking_error = (
        _rows(call, page) if session is not None and session.status == SessionStatus.DRAFT else ([], None, None)
    )
    shown = [row.application.id for row in rows]
    decisions = (
        {
            d.application_id: d
            for d in db.session.execute(
                select(Decision).where(Decision.session_id == session.id, Decision.application_id.in_(shown))
            ).scalars()
        }
        if session is not None and shown
        else {}
    )
    n_decisions = (
        db.session.execute(
            select(func.count()).select_from(Decision).where(Decision.session_id == session.id)
        ).scalar_one()
        if session is not None
        else 0
    )
    decision_forms = {}
    for row in rows:
        if row.application.state != State.REVIEWED:
            continue
        if failed is not None and failed._prefix == f"d{row.application.id}-":
            decision_forms[row.application.id] = failed
            continue
        current = decisions.get(row.application.id)
        decision_forms[row.application.id] = DecisionForm(prefix=f"d{row.application.id}", formdata=None, obj=current)
    approved = db.session.execute(
        select(func.count())
        .select_from(Application)
        .where(Application.call_id == call.id, Application.state == State.APPROVED)
    ).scalar_one()
    notices = (
        db.session.execute(select(Notice).where(Notice.call_id == call.id).order_by(Notice.id.desc())).scalars().all()
    )
    return render_template(
        "decisions/session.html",
        call=call,
        session=session,
        rows=rows,
        pages=pages,
        n_decisions=n_decisions,
        ranking_error=ranking_error,
        decisions=decisions,
        decision_forms=decision_forms,
        labels=STATE_TEXT,
        outcome_text=OUTCOME_TEXT,
        open_form=forms.get("open_form") or OpenSessionForm(prefix="open"),
        top_form=forms.get("top_form") or ApproveTopForm(prefix="top"),
        finalise_form=forms.get("finalise_form") or FinaliseForm(prefix="fin"),
        publish_form=forms.get("publish_form") or PublishForm(prefix="pub", days=call.program.notice_days),
        approved=approved,
        notices=notices,
    ), status


def _done(call: Call, message: str):
    """After a committed verb: say what was done, back on the call's session page."""
    flash(message, "success")
    return redirect(url_for("decisions.call_session", call_id=call.id))


def _me():
    return current_user._get_current_object()


@bp.get("/calls/<int:call_id>")
@roles_required(Role.PROGRAM_ADMIN)
def call_session(call_id: int):
    """The call's decision session: ranking, draft decisions, approve top N, finalise, publish the notice."""
    return _page(_call(call_id))


@bp.post("/calls/<int:call_id>/open")
@roles_required(Role.PROGRAM_ADMIN)
def open_session(call_id: int):
    call = _call(call_id)
    form = OpenSessionForm(prefix="open")
    if not form.validate_on_submit():
        return _page(call, 400, open_form=form)
    if not commit_or_refuse(
        services.open_session,
        call,
        _me(),
        form.committee_size.data,
        form.quorum.data,
        form.two_thirds.data,
        form.title.data or "",
    ):
        return _page(call, 409, open_form=form)
    return _done(call, _("The decision session is open."))


@bp.post("/sessions/<int:session_id>/applications/<int:application_id>")
@roles_required(Role.PROGRAM_ADMIN)
def record(session_id: int, application_id: int):
    session = _session(session_id)
    application = db.get_or_404(Application, application_id)
    if application.call_id != session.call_id:
        abort(404)
    form = DecisionForm(prefix=f"d{application_id}")
    if not form.validate_on_submit():
        return _page(session.call, 400, decision_form=form)
    if not commit_or_refuse(
        services.record_decision,
        session,
        application,
        form.outcome.data,
        form.votes_for.data,
        form.votes_against.data,
        form.votes_abstain.data,
        form.note.data or "",
        _me(),
    ):
        return _page(session.call, 409, decision_form=form)
    return _done(session.call, _("The draft decision on %(name)s has been recorded.", name=application.applicant.name))


@bp.post("/sessions/<int:session_id>/approve-top")
@roles_required(Role.PROGRAM_ADMIN)
def approve_top(session_id: int):
    session = _session(session_id)
    form = ApproveTopForm(prefix="top")
    if not form.validate_on_submit():
        return _page(session.call, 400, top_form=form)
    approved = commit_or_refuse(
        services.approve_top,
        session,
        form.n.data,
        _me(),
        form.votes_for.data,
        form.votes_against.data,
        form.votes_abstain.data,
        form.note.data or "",
    )
    if not approved:
        return _page(session.call, 409, top_form=form)
    result = approved.result
    for application in result.skipped_flagged:
        flash(_("%(name)s was skipped: open integrity flag.", name=application.applicant.name), "warning")
    return _done(session.call, _("%(n)s candidates approved as drafts.", n=len(result.approved)))


@bp.post("/sessions/<int:session_id>/finalise")
@roles_required(Role.PROGRAM_ADMIN)
def finalise(session_id: int):
    session = _session(session_id)
    form = FinaliseForm(prefix="fin")
    if not form.validate_on_submit():
        return _page(session.call, 400, finalise_form=form)
    finalised = commit_or_refuse(services.finalise, session, _me(), form.minutes.data)
    if not finalised:
        return _page(session.call, 409, finalise_form=form)
    report = finalised.result
    if report.skipped:
        flash(
            _("Skipped because their status changed since the vote: %(names)s.", names="、".join(report.skipped)),
            "warning",
        )
    if report.undecided:
        flash(_("%(n)s reviewed applications had no decision and stay reviewed.", n=report.undecided), "warning")
    return _done(
        session.call,
        _(
            "Session finalised: %(a)s approved, %(r)s rejected, %(w)s waitlisted.",
            a=report.applied["approve"],
            r=report.applied["reject"],
            w=report.applied["waitlist"],
        ),
    )


@bp.post("/calls/<int:call_id>/publish")
@roles_required(Role.PROGRAM_ADMIN)
def publish(call_id: int):
    call = _call(call_id)
    form = PublishForm(prefix="pub")
    if not form.validate_on_submit():
        return _page(call, 400, publish_form=form)
    published = commit_or_refuse(services.publish_notice, call, _me(), form.days.data)
    if not published:
        return _page(call, 409, publish_form=form)
    result = published.result
    if result.notice is None:
        return _done(
            call, _("This program needs no public notice: %(n)s candidates have been awarded.", n=result.count)
        )
    flash(_("The public notice of %(n)s candidates is published.", n=result.count), "success")
    return redirect(url_for("decisions.notice", notice_id=result.notice.id))


def _notice(notice_id: int) -> Notice:
    found = db.get_or_404(Notice, notice_id)
    managed_or_404(current_user, found.call.program_id)
    return found


def _objection(objection_id: int) -> Objection:
    found = db.get_or_404(Objection, objection_id)
    managed_or_404(current_user, found.notice.call.program_id)
    return found


def _notice_page(notice: Notice, status: int = 200, failed: HandleObjectionForm | None = None):
    objections = (
        db.session.execute(
            select(Objection)
            .where(Objection.notice_id == notice.id)
            .options(joinedload(Objection.item))
            .order_by(Objection.id)
        )
        .scalars()
        .all()
    )
    forms = {
        o.id: (
            failed
            if failed is not None and failed._prefix == f"o{o.id}-"
            else HandleObjectionForm(prefix=f"o{o.id}", formdata=None)
        )
        for o in objections
        if o.status == ObjectionStatus.PENDING
    }
    items = (
        db.session.execute(
            select(NoticeItem)
            .where(NoticeItem.notice_id == notice.id)
            .options(joinedload(NoticeItem.application))
            .order_by(NoticeItem.id)
        )
        .scalars()
        .all()
    )
    return render_template(
        "decisions/notice.html",
        notice=notice,
        items=items,
        objections=objections,
        forms=forms,
        labels=STATE_TEXT,
        plain=ConfirmForm(),
    ), status


@bp.get("/notices/<int:notice_id>")
@roles_required(Role.PROGRAM_ADMIN)
def notice(notice_id: int):
    """A notice's candidates and the objections filed, each with its handling form."""
    return _notice_page(_notice(notice_id))


@bp.post("/objections/<int:objection_id>/handle")
@roles_required(Role.PROGRAM_ADMIN)
def handle(objection_id: int):
    objection = _objection(objection_id)
    form = HandleObjectionForm(prefix=f"o{objection.id}")
    if not form.validate_on_submit():
        return _notice_page(objection.notice, 400, form)
    if not commit_or_refuse(
        services.handle_objection, objection, form.decision.data == "uphold", form.note.data, _me()
    ):
        return _notice_page(objection.notice, 409, form)
    flash(_("The handling of the objection has been recorded."), "success")
    return redirect(url_for("decisions.notice", notice_id=objection.notice_id))


@bp.post("/notices/close-due")
@roles_required(Role.PROGRAM_ADMIN)
def close_due():
    """Run the end-of-period job now rather than waiting for the scheduled `flask notices close`: for the notices
    of the programs this person runs only."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reports = services.close_due_notices(program_ids=managed_program_ids(current_user))
    commit()
    awarded = sum(len(r.awarded) for r in reports)
    waiting = sum(len(r.waiting) for r in reports)
    flash(
        _(
            "%(n)s notices ended: %(a)s candidates awarded, %(w)s waiting for objections to be handled.",
            n=len(reports),
            a=awarded,
            w=waiting,
        ),
        "success",
    )
    return redirect(url_for("office.calls"))
