"""Program office pages: calls under review, formal check, assigning experts and evaluators (SPEC §5.2–5.3)."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import exports
from ..accounts.models import Role, User
from ..applications.models import Application
from ..applications.status_text import ACTION_TEXT, STATE_TEXT, timeline_for
from ..applications.workflow import State
from ..auth import roles_required
from ..database import commit, rollback, to_local
from ..errors import Refusal
from ..extensions import db
from ..forms import ConfirmForm, select_choices
from ..i18n import current_locale, is_english
from ..programs.access import managed, managed_or_404, runs_every_program_of
from ..programs.access import managed_call_or_404 as _call
from ..programs.models import Call, Discipline, Program, Unit
from ..views_support import commit_or_refuse
from . import services
from .assignment import auto
from .assignment import services as assigning
from .assignment.lifecycle import ENDED, LIVE, STATUS_LABELS
from .assignment.pool import build_problem, loads_in_call
from .evaluation.schemes import (
    COMPONENT_LABELS,
    SEED_SCHEMES,
    SchemeError,
    latest,
    save_version,
    scheme_for_call,
    to_scoring,
)
from .experts import conflicts
from .forms import (
    FAMILIARITY_CHOICES,
    RECOMMENDATION_CHOICES,
    AssignForm,
    ClearFlagForm,
    FormalCheckForm,
    InviteForm,
    RecheckDecisionForm,
)
from .models import Assignment, Evaluation, EvaluationScheme, EvaluationStatus, ExpertProfile
from .ranking.scoring import evaluation_score

bp = Blueprint("office", __name__, url_prefix="/office")

#: Applications per page of a call's list.
CALL_PAGE_SIZE = 50


@bp.get("/")
@roles_required(Role.PROGRAM_ADMIN)
def calls():
    """Every call of the programs this person runs, with its applications counted by state."""
    held = managed(Call.program_id, current_user)
    rows = (
        db.session.execute(select(Call).join(Program).where(held).order_by(Call.year.desc(), Program.code))
        .scalars()
        .all()
    )
    counts = Counter()
    for call_id, state, n in db.session.execute(
        select(Application.call_id, Application.state, func.count())
        .join(Call, Call.id == Application.call_id)
        .where(held)
        .group_by(Application.call_id, Application.state)
    ).all():
        counts[(call_id, state)] = n
    return render_template(
        "reviews/office_calls.html",
        calls=rows,
        counts=counts,
        labels=STATE_TEXT,
        states=[s for s in STATE_TEXT if s != "draft"],
    )


def _call_applications(found: Call, state: str, q: str):
    """The office's list of a call's applications, filtered as on the page."""
    stmt = (
        select(Application)
        .where(Application.call_id == found.id, Application.state != State.DRAFT)
        .order_by(Application.id)
    )
    if state in STATE_TEXT:
        stmt = stmt.where(Application.state == state)
    if q:
        if q.isdigit():
            stmt = stmt.where(Application.id == int(q))
        else:
            stmt = stmt.where(
                Application.applicant_id.in_(select(User.id).where(User.name.icontains(q, autoescape=True)))
                | Application.title.icontains(q, autoescape=True)
            )
    return stmt


@bp.get("/calls/<int:call_id>")
@roles_required(Role.PROGRAM_ADMIN)
def call(call_id: int):
    """A call's applications past the applicant's draft, 50 a page, filterable by state and searchable by applicant
    name, title or number; the same handful of queries for 10 or 20,000 applications."""
    found = _call(call_id)
    state = request.args.get("state") or ""
    q = (request.args.get("q") or "").strip()[:100]
    stmt = _call_applications(found, state, q).options(
        joinedload(Application.applicant), joinedload(Application.unit), selectinload(Application.assignments)
    )
    page = db.paginate(stmt, per_page=CALL_PAGE_SIZE, error_out=False, count=True)
    counts = dict(
        db.session.execute(
            select(Application.state, func.count())
            .where(Application.call_id == found.id, Application.state != State.DRAFT)
            .group_by(Application.state)
        ).all()
    )
    return render_template(
        "reviews/office_call.html",
        call=found,
        page=page,
        applications=page.items,
        labels=STATE_TEXT,
        state=state,
        q=q,
        counts=counts,
    )


@bp.get("/calls/<int:call_id>/applications.<any(csv, xlsx):fmt>")
@roles_required(Role.PROGRAM_ADMIN)
def export_applications(call_id: int, fmt: str):
    """The call's applications as listed (state filter and search kept), as CSV or Excel."""
    found = _call(call_id)
    state = request.args.get("state") or ""
    q = (request.args.get("q") or "").strip()[:100]
    applications = (
        db.session.execute(
            _call_applications(found, state, q).options(joinedload(Application.applicant), joinedload(Application.unit))
        )
        .unique()
        .scalars()
        .all()
    )
    live = dict(
        db.session.execute(
            select(Assignment.application_id, func.count())
            .join(Application)
            .where(Application.call_id == found.id, Assignment.status.in_(LIVE))
            .group_by(Assignment.application_id)
        ).all()
    )
    locale = current_locale()
    disciplines = {d.code: d for d in db.session.execute(select(Discipline)).scalars()}
    header = [
        _("Number"),
        _("Applicant"),
        _("Unit"),
        _("Discipline"),
        _("Title"),
        _("Status"),
        _("Submitted"),
        _("Evaluators"),
        _("Integrity flag"),
    ]
    english = is_english(locale)
    rows = [
        [
            a.id,
            a.applicant.name,
            a.unit.name(locale) if a.unit else "",
            " ".join(
                filter(
                    None,
                    [
                        a.discipline_code,
                        disciplines[a.discipline_code].name(locale) if a.discipline_code in disciplines else "",
                    ],
                )
            ),
            a.title,
            STATE_TEXT.get(a.state, (a.state, a.state))[1 if english else 0],
            to_local(a.submitted_at),
            live.get(a.id, 0),
            _("yes") if a.integrity_flag else "",
        ]
        for a in applications
    ]
    return exports.download(
        f"applications-{found.program.code}-{found.year}", fmt, header, rows, title=_("Applications")
    )


@bp.get("/calls/<int:call_id>/evaluations.<any(csv, xlsx):fmt>")
@roles_required(Role.PROGRAM_ADMIN)
def export_evaluations(call_id: int, fmt: str):
    """Every submitted evaluation of the call, one row each with its scores per criterion. With ?anonymised=1 the
    applicants' and evaluators' names and the confidential comments are left out (evaluators numbered instead)."""
    found = _call(call_id)
    anonymised = request.args.get("anonymised") == "1"
    locale = current_locale()
    english = is_english(locale)
    definition = scheme_for_call(found).definition
    scheme = to_scoring(definition)
    criteria = []  # (component, code, label) in the scheme's order
    several = len(definition["components"]) > 1
    for name, component in definition["components"].items():
        prefix = ""
        if several:  # the same criterion may be scored by several components: say whose column it is
            pair = COMPONENT_LABELS.get(name, (name, name))
            prefix = (pair[1] if english else pair[0]) + (": " if english else "：")
        for code, criterion in component["criteria"].items():
            criteria.append((name, code, prefix + (criterion["en"] if english else criterion["zh"])))
    expert = db.aliased(User)
    rows_db = db.session.execute(
        select(Evaluation, Application.id, User.name, Unit.name_zh, Unit.name_en, expert.name, Assignment.external_name)
        .join(Application, Application.id == Evaluation.application_id)
        .join(User, User.id == Application.applicant_id)
        .outerjoin(Unit, Unit.id == Application.unit_id)
        .outerjoin(Assignment, Assignment.id == Evaluation.assignment_id)
        .outerjoin(expert, expert.id == Assignment.expert_id)
        .where(Application.call_id == found.id, Evaluation.status == EvaluationStatus.SUBMITTED)
        .order_by(Application.id, Evaluation.component, Evaluation.id)
    ).all()

    familiarity, recommendation = dict(FAMILIARITY_CHOICES), dict(RECOMMENDATION_CHOICES)
    numbers: dict[str, int] = {}
    for evaluation, *_rest in rows_db:
        numbers.setdefault(evaluation.evaluator_key, len(numbers) + 1)
    header = (
        [_("Number")]
        + ([] if anonymised else [_("Applicant"), _("Unit")])
        + [_("Component"), _("Evaluator")]
        + [label for _n, _c, label in criteria]
        + [_("Score"), _("Familiarity"), _("Recommendation"), _("Comment for the applicant")]
        + ([] if anonymised else [_("Confidential comment"), _("Integrity concern")])
        + [_("Submitted")]
    )
    rows = []
    for evaluation, application_id, applicant, unit_zh, unit_en, expert_name, external in rows_db:
        component = COMPONENT_LABELS.get(evaluation.component, (evaluation.component, evaluation.component))
        unit_name = (unit_en if english and unit_en else unit_zh) or ""
        if anonymised:
            who = _("Evaluator %(n)s", n=numbers[evaluation.evaluator_key])
        else:
            who = (unit_name if evaluation.component == "unit" else expert_name or external) or evaluation.evaluator_key
        scores = evaluation.scores or {}
        try:
            total = evaluation_score(_ScoredRow(evaluation), scheme.components[evaluation.component])
        except (KeyError, ValueError, TypeError):
            total = None
        row = [application_id] + ([] if anonymised else [applicant, unit_name])
        row += [component[1] if english else component[0], who]
        row += [scores.get(code) if name == evaluation.component else None for name, code, _label in criteria]
        row += [
            total,
            str(familiarity.get(evaluation.familiarity, "")),
            str(recommendation.get(evaluation.recommendation, "")),
            evaluation.comment_for_applicant,
        ]
        if not anonymised:
            row += [
                evaluation.comment_confidential,
                "" if evaluation.integrity_ok else (evaluation.integrity_note or _("yes")),
            ]
        row.append(to_local(evaluation.submitted_at))
        rows.append(row)
    stem = f"evaluations-{found.program.code}-{found.year}" + ("-anonymised" if anonymised else "")
    return exports.download(stem, fmt, header, rows, title=_("Evaluations"))


class _ScoredRow:
    """What scoring.evaluation_score reads of an evaluation."""

    def __init__(self, evaluation):
        self.evaluation_id = evaluation.id
        self.criteria = dict(evaluation.scores or {})
        self.familiarity = evaluation.familiarity


def _application(application_id: int) -> Application:
    application = db.get_or_404(Application, application_id)
    if application.state == State.DRAFT:
        abort(404)
    managed_or_404(current_user, application.call.program_id)
    return application


def _assignment(assignment_id: int) -> Assignment:
    """An assignment on an application of a program this person runs (404 otherwise, or without the form)."""
    assignment = db.get_or_404(Assignment, assignment_id)
    if not ConfirmForm().validate_on_submit():
        abort(404)
    managed_or_404(current_user, assignment.application.call.program_id)
    return assignment


def candidates(application: Application) -> list[dict]:
    """Pool experts of the application's first-level discipline with load, hard conflicts and warnings."""
    problem = build_problem(application.call, application_ids=[application.id], subtract_loads=False)
    index = conflicts.ProblemIndex(problem)
    ai = index.a_pos.get(application.id)
    first = problem.applications[0].discipline[0] if problem.applications else ""
    loads = loads_in_call(application.call_id)
    assigned = {a.expert_id for a in application.assignments if a.expert_id and a.status not in ENDED}
    english = is_english()
    rows = []
    for ei, expert in enumerate(problem.experts):
        if first not in {f for f, _s in expert.disciplines} or expert.id in assigned:
            continue
        hard = index.pair_hard_conflicts(ai, ei) if ai is not None else []
        rows.append(
            {
                "id": expert.id,
                "name": expert.name,
                "load": loads.get(expert.id, 0),
                "cap": expert.cap,
                "second": any(s == application.discipline_code for _f, s in expert.disciplines),
                "conflicts": [assigning.VIOLATION_TEXT.get(k, (k, k))[1 if english else 0] for k in hard],
                "warnings": [d for _k, d in index.potential_conflicts(ai, ei)] if ai is not None else [],
            }
        )
    rows.sort(key=lambda r: (bool(r["conflicts"]), not r["second"], r["load"], r["name"]))
    return rows


@bp.get("/applications/<int:application_id>")
@roles_required(Role.PROGRAM_ADMIN)
def application(application_id: int):
    found = _application(application_id)
    return _page(found)


def _page(found: Application, status: int = 200, **forms):
    scheme = scheme_for_call(found.call).definition
    invite = forms.get("invite_form") or InviteForm(prefix="invite")
    english = is_english()
    invite.kind.choices = select_choices(
        [(k, COMPONENT_LABELS[k][1 if english else 0]) for k in ("user", "social") if k in scheme["components"]]
    )
    assignments = (
        db.session.execute(
            select(Assignment)
            .where(Assignment.application_id == found.id)
            .options(joinedload(Assignment.expert), joinedload(Assignment.evaluation))
            .order_by(Assignment.id)
        )
        .unique()
        .scalars()
        .all()
    )
    return render_template(
        "reviews/office_application.html",
        application=found,
        snapshot=found.snapshot or {},
        formal_form=forms.get("formal_form") or FormalCheckForm(prefix="formal"),
        recheck_form=forms.get("recheck_form") or RecheckDecisionForm(prefix="recheck"),
        assign_form=AssignForm(prefix="assign"),
        invite_form=invite,
        flag_form=forms.get("flag_form") or ClearFlagForm(prefix="flag"),
        plain=ConfirmForm(),
        assignments=assignments,
        scheme=scheme,
        component_labels=COMPONENT_LABELS,
        status_labels=STATUS_LABELS,
        candidates=candidates(found) if found.state == State.UNDER_REVIEW and "peer" in scheme["components"] else [],
        timeline_entries=timeline_for([found.id])[found.id],
        labels=STATE_TEXT,
        action_labels=ACTION_TEXT,
    ), status


def _done(found: Application, message: str):
    """After a committed verb: say what was done, back on the application's page."""
    flash(message, "success")
    return redirect(url_for("office.application", application_id=found.id))


@bp.post("/applications/<int:application_id>/formal")
@roles_required(Role.PROGRAM_ADMIN)
def formal(application_id: int):
    found = _application(application_id)
    form = FormalCheckForm(prefix="formal")
    if not form.validate_on_submit():
        return _page(found, 400, formal_form=form)
    check = services.formal_pass if form.decision.data == "pass" else services.formal_fail
    if not commit_or_refuse(check, found, current_user._get_current_object(), form.comment.data):
        return _page(found, 409, formal_form=form)
    return _done(found, _("The formal check has been recorded."))


@bp.post("/applications/<int:application_id>/recheck")
@roles_required(Role.PROGRAM_ADMIN)
def recheck(application_id: int):
    found = _application(application_id)
    form = RecheckDecisionForm(prefix="recheck")
    if not form.validate_on_submit():
        return _page(found, 400, recheck_form=form)
    if not commit_or_refuse(
        services.decide_recheck,
        found,
        current_user._get_current_object(),
        form.decision.data == "accept",
        form.comment.data,
    ):
        return _page(found, 409, recheck_form=form)
    return _done(found, _("The recheck decision has been recorded."))


@bp.post("/applications/<int:application_id>/assign")
@roles_required(Role.PROGRAM_ADMIN)
def assign(application_id: int):
    found = _application(application_id)
    form = AssignForm(prefix="assign")
    expert = (
        db.session.get(User, int(form.expert_id.data))
        if form.validate_on_submit() and (form.expert_id.data or "").isdigit()
        else None
    )
    if expert is None:
        abort(400)
    if not commit_or_refuse(assigning.assign_expert, found, expert, current_user._get_current_object()):
        return _page(found, 409)
    return _done(found, _("%(name)s has been invited.", name=expert.name))


@bp.post("/applications/<int:application_id>/invite")
@roles_required(Role.PROGRAM_ADMIN)
def invite(application_id: int):
    found = _application(application_id)
    form = InviteForm(prefix="invite")
    scheme = scheme_for_call(found.call).definition
    form.kind.choices = select_choices([(k, k) for k in ("user", "social") if k in scheme["components"]])
    if not form.validate_on_submit():
        return _page(found, 400, invite_form=form)
    if not commit_or_refuse(
        assigning.invite_external,
        found,
        kind=form.kind.data,
        name=form.name.data,
        email=form.email.data,
        actor=current_user._get_current_object(),
        locale=current_locale(),
    ):
        return _page(found, 409, invite_form=form)
    return _done(found, _("%(name)s has been invited.", name=form.name.data))


@bp.post("/assignments/<int:assignment_id>/withdraw")
@roles_required(Role.PROGRAM_ADMIN)
def withdraw_assignment(assignment_id: int):
    assignment = _assignment(assignment_id)
    if not commit_or_refuse(assigning.withdraw_assignment, assignment, current_user._get_current_object()):
        return _page(assignment.application, 409)
    return _done(assignment.application, _("The assignment has been withdrawn."))


@bp.post("/applications/<int:application_id>/integrity")
@roles_required(Role.PROGRAM_ADMIN)
def clear_flag(application_id: int):
    found = _application(application_id)
    form = ClearFlagForm(prefix="flag")
    if not form.validate_on_submit():
        return _page(found, 400, flag_form=form)
    if not commit_or_refuse(services.clear_integrity_flag, found, current_user._get_current_object(), form.reason.data):
        return _page(found, 409, flag_form=form)
    return _done(found, _("The integrity flag has been cleared."))


@bp.post("/applications/<int:application_id>/complete")
@roles_required(Role.PROGRAM_ADMIN)
def complete(application_id: int):
    found = _application(application_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not commit_or_refuse(services.complete_review, found, current_user._get_current_object()):
        return _page(found, 409)
    return _done(found, _("The review of this application is complete."))


@bp.get("/experts")
@roles_required(Role.PROGRAM_ADMIN)
def experts():
    """The expert pool with disciplines, unit and load cap: 50 a page, searchable by name, unit or discipline."""
    q = (request.args.get("q") or "").strip()[:100]
    stmt = (
        select(ExpertProfile)
        .options(joinedload(ExpertProfile.user), joinedload(ExpertProfile.unit))
        .join(User, User.id == ExpertProfile.user_id)
        .order_by(User.name, User.id)
    )
    if q:
        stmt = stmt.where(
            User.name.icontains(q, autoescape=True)
            | ExpertProfile.unit_id.in_(
                select(Unit.id).where(
                    Unit.name_zh.icontains(q, autoescape=True) | Unit.name_en.icontains(q, autoescape=True)
                )
            )
            | func.cast(ExpertProfile.disciplines, db.String).icontains(q, autoescape=True)
        )
    page = db.paginate(stmt, per_page=CALL_PAGE_SIZE, error_out=False)
    return render_template("reviews/office_experts.html", experts=page.items, page=page, q=q)


@bp.get("/schemes")
@roles_required(Role.PROGRAM_ADMIN)
def schemes():
    """The classified-evaluation schemes: the latest version of each category, and which calls pin older ones."""
    current = {category: latest(category) for category in SEED_SCHEMES}
    pinned = (
        db.session.execute(
            select(Call)
            .where(Call.scheme_id.is_not(None), managed(Call.program_id, current_user))
            .options(joinedload(Call.program))
        )
        .unique()
        .scalars()
        .all()
    )
    versions = {s.id: s for s in db.session.execute(select(EvaluationScheme)).scalars()}
    editable = {category: runs_every_program_of(current_user, category) for category in SEED_SCHEMES}
    return render_template(
        "reviews/office_schemes.html",
        current=current,
        pinned=pinned,
        versions=versions,
        component_labels=COMPONENT_LABELS,
        editable=editable,
    )


def _parse_scheme(form, base: dict) -> tuple[dict, list[str]]:
    """Read weights and labels typed into the editor; weights are entered as percentages."""
    definition, errors = {"components": {}}, []
    for name, component in base["components"].items():
        try:
            weight = float(form.get(f"w_{name}", "")) / 100
        except ValueError:
            errors.append(_("Enter a number for every weight."))
            weight = 0.0
        criteria = {}
        for code, criterion in component["criteria"].items():
            prefix = f"c_{name}_{code}_"
            try:
                crit_weight = float(form.get(prefix + "weight", ""))
            except ValueError:
                errors.append(_("Enter a number for every weight."))
                crit_weight = 0.0
            if crit_weight <= 0:
                errors.append(_("Every criterion needs a weight above zero."))
            criteria[code] = {
                "weight": crit_weight,
                "zh": form.get(prefix + "zh", "").strip() or criterion["zh"],
                "en": form.get(prefix + "en", "").strip() or criterion["en"],
            }
        definition["components"][name] = {"weight": round(weight, 6), "criteria": criteria}
    total = sum(c["weight"] for c in definition["components"].values())
    if abs(total - 1) > 1e-6:
        errors.append(_("The evaluator weights must add up to 100 %% (now %(total)s %%).", total=round(total * 100, 2)))
    return definition, sorted(set(errors))


#: Why a program admin who does not run every program of a category may only read its scheme.
SCHEME_REFUSAL = _l(
    "This scheme is shared by every program of its talent category and you do not run all of them: "
    "only an office that runs every program of the category may change it."
)


@bp.route("/schemes/<category>", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def edit_scheme(category: str):
    """Edit a category's scheme; saving makes a new version, calls already in review keep theirs."""
    if category not in SEED_SCHEMES:
        abort(404)
    current = latest(category)
    definition, errors = current.definition, []
    form = ConfirmForm()
    # The scheme is shared by every program of the category: only who runs them all may change it.
    editable = runs_every_program_of(current_user, category)
    if request.method == "POST" and form.validate_on_submit():
        definition, errors = _parse_scheme(request.form, current.definition)
        if not editable:
            errors = [str(SCHEME_REFUSAL)]
        elif not errors:
            try:
                saved = save_version(
                    category,
                    definition,
                    actor=current_user._get_current_object(),
                    note=(request.form.get("note") or "")[:500],
                )
            except SchemeError as exc:
                rollback()
                errors = [exc.message]
            else:
                commit()
                flash(_("Version %(n)s of the scheme has been saved.", n=saved.version), "success")
                return redirect(url_for("office.schemes"))
    history = (
        db.session.execute(
            select(EvaluationScheme)
            .where(EvaluationScheme.category == category)
            .order_by(EvaluationScheme.version.desc())
        )
        .scalars()
        .all()
    )
    return render_template(
        "reviews/office_scheme_edit.html",
        category=category,
        current=current,
        definition=definition,
        errors=errors,
        form=form,
        history=history,
        component_labels=COMPONENT_LABELS,
        note=request.form.get("note", ""),
        editable=editable,
    ), (403 if not editable else 400) if errors else 200


@bp.route("/calls/<int:call_id>/assign", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def auto_assign(call_id: int):
    """Assign a whole call: preview (experts, affinity, warnings, loads, reasoned shortfalls), then commit."""
    found = _call(call_id)
    form = ConfirmForm()
    mode = request.values.get("mode", "optimal")
    mode = mode if mode in ("optimal", "random") else "optimal"
    seed_text = (request.values.get("seed") or "").strip()
    seed = int(seed_text) if seed_text.isdigit() else None
    k_text = request.values.get("k") or str(found.program.experts_per_application)
    k = int(k_text) if k_text.isdigit() else found.program.experts_per_application
    result, status = None, 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            if request.form.get("action") == "commit":
                committed = auto.commit_preview(
                    found,
                    mode=mode,
                    seed=seed,
                    k=k,
                    fingerprint=request.form.get("fingerprint", ""),
                    actor=current_user._get_current_object(),
                )
                commit()
                flash(
                    _("%(n)s assignments created; the experts have been invited.", n=len(committed.result.pairs)),
                    "success",
                )
                return redirect(url_for("office.call", call_id=found.id))
            result = auto.preview(found, mode=mode, seed=seed, k=k)
        except Refusal as exc:
            rollback()
            for message in exc.messages:
                flash(message, "danger")
            status = 409
    pending = len(auto.applications_to_assign(found))
    return render_template(
        "reviews/office_auto_assign.html",
        call=found,
        form=form,
        preview=result,
        mode=mode,
        seed=seed_text,
        k=k,
        pending=pending,
    ), status


@bp.post("/assignments/<int:assignment_id>/replace")
@roles_required(Role.PROGRAM_ADMIN)
def replace_assignment(assignment_id: int):
    assignment = _assignment(assignment_id)
    replaced = commit_or_refuse(auto.replace, assignment, current_user._get_current_object())
    if not replaced:
        return _page(assignment.application, 409)
    return _done(assignment.application, _("%(name)s has been invited.", name=replaced.result.expert.name))
