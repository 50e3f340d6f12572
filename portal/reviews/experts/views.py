"""Program admins keep the expert pool: import from CSV/XLSX, create and edit experts, declare conflicts."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from ...accounts.models import Role, User
from ...applications.forms import discipline_choices
from ...auth import roles_required
from ...database import commit, rollback
from ...extensions import db
from ...forms import select_choices
from ...i18n import current_locale
from ...programs.models import Unit
from ...programs.units import all_units, tree_rows
from ..forms import RELATION_LABELS, ConflictForm, ExpertForm, ImportForm
from ..models import DeclaredConflict, ExpertProfile
from . import pool_import as pool

bp = Blueprint("pool", __name__, url_prefix="/office/pool")

# Where a service error about a column lands in the expert form.
FORM_FIELD = {"unit_code": "unit_id"}


def _expert_form(**kwargs) -> ExpertForm:
    form = ExpertForm(**kwargs)
    locale = current_locale()
    units = [(u.id, "\u3000" * depth + f"{u.name(locale)} ({u.code})") for u, depth in tree_rows(all_units())]
    form.unit_id.choices = select_choices([(0, _("— none —")), *units])
    form.disciplines.choices = select_choices(discipline_choices(blank=False))
    return form


def _values(form: ExpertForm) -> dict:
    """The form as an import row, so both paths share one set of rules."""
    unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
    return {
        "name": form.name.data or "",
        "email": form.email.data or "",
        "unit_code": unit.code if unit else "",
        "title": form.title.data or "",
        "disciplines": ";".join(form.disciplines.data or []),
        "keywords": form.keywords.data or "",
        "former_units": form.former_units.data or "",
        "load_cap": "" if form.load_cap.data is None else str(form.load_cap.data),
    }


def _filled_form(profile: ExpertProfile) -> ExpertForm:
    """The expert form showing what is stored (never the posted data of another form)."""
    form = _expert_form(formdata=None)
    codes = {u.id: u.code for u in all_units()}
    form.name.data, form.email.data = profile.user.name, profile.user.email
    form.unit_id.data, form.title.data = profile.unit_id or 0, profile.title
    form.disciplines.data, form.load_cap.data = list(profile.disciplines or []), profile.load_cap
    form.keywords.data = "; ".join(profile.keywords or [])
    form.former_units.data = "; ".join(
        f"{codes.get(f['unit_id'], '?')}:{f['until_year']}" for f in profile.former_units or []
    )
    return form


def _show_errors(form: ExpertForm, errors: list[pool.RowError]) -> None:
    for error in errors:
        getattr(form, FORM_FIELD.get(error.field, error.field)).errors.append(error.message)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def import_experts():
    """Upload a CSV/XLSX list; every row is checked and either all are saved or none."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = pool.parse_rows(upload.filename, upload.read())
        except pool.PoolError as exc:
            form.file.errors.append(exc.message)
        else:
            report = pool.import_experts(rows, current_user._get_current_object())
            if report.ok:
                commit()
                flash(
                    _(
                        "%(rows)s experts imported: %(created)s added to the pool (%(accounts)s new accounts), "
                        "%(updated)s updated.",
                        rows=report.rows,
                        created=report.profiles_created,
                        accounts=report.accounts_created,
                        updated=report.profiles_updated,
                    ),
                    "success",
                )
                return redirect(url_for("office.experts"))
            rollback()
    status = 400 if request.method == "POST" else 200
    return render_template("reviews/pool_import.html", form=form, report=report, columns=pool.COLUMNS), status


@bp.get("/template.<any(csv, xlsx):kind>")
@roles_required(Role.PROGRAM_ADMIN)
def template(kind: str):
    """A file with the import columns and one example row."""
    data, mimetype, filename = pool.export_template(kind)
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def new_expert():
    """Add one expert: a new account (with a welcome email) or an existing one that joins the pool."""
    form = _expert_form()
    if form.validate_on_submit():
        user, errors = pool.save_expert(_values(form), current_user._get_current_object())
        if not errors:
            commit()
            flash(_("%(name)s has been added to the expert pool.", name=user.name), "success")
            return redirect(url_for("pool.edit_expert", user_id=user.id))
        rollback()
        _show_errors(form, errors)
    return render_template(
        "reviews/pool_expert_form.html", form=form, expert=None
    ), 400 if request.method == "POST" else 200


def _expert(user_id: int) -> ExpertProfile:
    profile = db.get_or_404(ExpertProfile, user_id)
    return profile


def _edit_page(profile: ExpertProfile, form: ExpertForm, conflict_form: ConflictForm, status: int = 200):
    other = aliased(User)
    conflicts = db.session.execute(
        select(DeclaredConflict, other)
        .join(
            other,
            or_(
                (DeclaredConflict.expert_id == profile.user_id) & (other.id == DeclaredConflict.person_id),
                (DeclaredConflict.person_id == profile.user_id) & (other.id == DeclaredConflict.expert_id),
            ),
        )
        .where(or_(DeclaredConflict.expert_id == profile.user_id, DeclaredConflict.person_id == profile.user_id))
        .order_by(DeclaredConflict.created_at)
    ).all()
    form.email.render_kw = {"readonly": True}
    return render_template(
        "reviews/pool_expert_form.html",
        form=form,
        expert=profile,
        conflicts=conflicts,
        conflict_form=conflict_form,
        relations=RELATION_LABELS,
    ), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.PROGRAM_ADMIN)
def edit_expert(user_id: int):
    """Edit one expert's pool entry; the email stays (it is the person's login)."""
    profile = _expert(user_id)
    form = _filled_form(profile) if request.method == "GET" else _expert_form()
    form.email.data = profile.user.email  # shown read-only; a posted value is ignored
    if form.validate_on_submit():
        _user, errors = pool.save_expert(_values(form), current_user._get_current_object(), user=profile.user)
        if not errors:
            commit()
            flash(_("Saved."), "success")
            return redirect(url_for("pool.edit_expert", user_id=user_id))
        rollback()
        _show_errors(form, errors)
    return _edit_page(profile, form, ConflictForm(prefix="conflict"), 400 if request.method == "POST" else 200)


@bp.post("/<int:user_id>/conflicts")
@roles_required(Role.PROGRAM_ADMIN)
def add_conflict(user_id: int):
    """Declare that this expert may not review a given person (co-author, advisor, family …)."""
    profile = _expert(user_id)
    form = ConflictForm(prefix="conflict")
    if form.validate_on_submit():
        try:
            pool.declare_conflict(profile.user, form.email.data, form.relation.data, current_user._get_current_object())
        except pool.PoolError as exc:
            rollback()
            getattr(form, exc.field or "email").errors.append(exc.message)
        else:
            commit()
            flash(_("The conflict has been declared: this expert will not be assigned to that person."), "success")
            return redirect(url_for("pool.edit_expert", user_id=user_id) + "#conflicts")
    return _edit_page(profile, _filled_form(profile), form, 400)
