"""System administration: people and roles, the unit tree, the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..accounts import services as accounts
from ..accounts.models import Role, User, UserRole
from ..audit.models import AuditEntry
from ..audit.services import verify_chain
from ..auth import roles_required
from ..database import commit, rollback
from ..extensions import db
from ..forms import ConfirmForm, select_choices
from ..i18n import current_locale
from ..programs import units as unit_service
from ..programs.models import Program, Unit
from ..views_support import commit_or_refuse
from .forms import ALL_PROGRAMS, NO_PROGRAM, ROLE_LABELS, CreateUserForm, GrantRoleForm, UnitForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


def _unit_choices(blank_label: str | None = None) -> list[tuple[int, str]]:
    locale = current_locale()
    choices = [(0, blank_label)] if blank_label else []
    for unit, depth in unit_service.tree_rows(unit_service.all_units()):
        choices.append((unit.id, "\u3000" * depth + unit.name(locale)))
    return choices


def _program_choices() -> list[tuple[str, str]]:
    """ "Please choose" first, then every program (archived ones marked), then the office-wide grant."""
    locale = current_locale()
    choices = [(NO_PROGRAM, _("— please choose —"))]
    for program in db.session.execute(select(Program).order_by(Program.code)).scalars():
        label = program.name(locale) + (f" ({_('archived')})" if program.is_archived else "")
        choices.append((str(program.id), label))
    choices.append((ALL_PROGRAMS, _("All programs (office-wide)")))
    return choices


def _chosen_program(form) -> tuple[bool, int | None]:
    """The program the form grants: (chosen, id or None for every program). Only for program admins."""
    value = form.program_id.data or NO_PROGRAM
    if value == ALL_PROGRAMS:
        return True, None
    if value.isdigit():
        return True, int(value)
    form.program_id.errors.append(_("Choose the program this person will run, or all programs (office-wide)."))
    return False, None


@bp.get("/")
@roles_required(Role.SYSADMIN)
def index():
    return redirect(url_for("admin.users"))


@bp.get("/users")
@roles_required(Role.SYSADMIN)
def users():
    """All accounts, searchable by name or email and filterable by role."""
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    stmt = select(User).order_by(User.id)
    if q:
        stmt = stmt.where(or_(User.email.icontains(q, autoescape=True), User.name.icontains(q, autoescape=True)))
    if role in ROLE_LABELS:
        stmt = stmt.where(User.roles.any(UserRole.role == role))
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render_template("admin/users.html", page=page, q=q, role=role, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.SYSADMIN)
def create_user():
    form = CreateUserForm()
    form.unit_id.choices = select_choices(_unit_choices(_("— none —")))
    form.program_id.choices = select_choices(_program_choices())
    if form.validate_on_submit():
        chosen, program_id = _chosen_program(form) if Role.PROGRAM_ADMIN.value in form.roles.data else (True, None)
        if accounts.find_user(form.email.data):
            form.email.errors.append(_("An account with this email already exists."))
        elif Role.UNIT_ADMIN.value in form.roles.data and not form.unit_id.data:
            form.unit_id.errors.append(_("A unit admin must be bound to a unit."))
        elif chosen:
            user = accounts.create_user(
                form.email.data,
                form.name.data,
                form.password.data,
                [(r, form.unit_id.data or None, program_id) for r in form.roles.data],
                actor=current_user,
            )
            commit()
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_new.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.SYSADMIN)
def user_detail(user_id: int):
    """One account: its roles (grant / revoke) and whether it may log in."""
    user = db.get_or_404(User, user_id)
    form = GrantRoleForm()
    form.unit_id.choices = select_choices(_unit_choices(_("— none —")))
    form.program_id.choices = select_choices(_program_choices())
    status = 200
    if form.validate_on_submit():
        chosen, program_id = _chosen_program(form) if form.role.data == Role.PROGRAM_ADMIN.value else (True, None)
        if not chosen:
            status = 400
        else:
            try:
                accounts.grant_role(
                    user, form.role.data, form.unit_id.data or None, current_user, program_id=program_id
                )
            except accounts.AccountError as exc:
                rollback()
                getattr(form, exc.field or "role").errors.append(exc.message)
                status = 409
            else:
                commit()
                flash(_("Role granted."), "success")
                return redirect(url_for("admin.user_detail", user_id=user.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "admin/user_detail.html", user=user, form=form, confirm=ConfirmForm(), role_labels=ROLE_LABELS
    ), status


@bp.post("/users/<int:user_id>/roles/<int:role_id>/revoke")
@roles_required(Role.SYSADMIN)
def revoke_role(user_id: int, role_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(accounts.revoke_role, user, role_id, current_user):
        flash(_("Role revoked."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@roles_required(Role.SYSADMIN)
def set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if commit_or_refuse(accounts.set_active, user, not user.active, current_user):
        flash(_("Account activated.") if user.active else _("Account deactivated."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.get("/units")
@roles_required(Role.SYSADMIN)
def units():
    """The unit tree, indented."""
    all_units = unit_service.all_units()
    admins = dict(
        db.session.execute(
            select(UserRole.unit_id, func.count())
            .where(UserRole.role == Role.UNIT_ADMIN.value)
            .group_by(UserRole.unit_id)
        ).all()
    )
    return render_template("admin/units.html", rows=unit_service.tree_rows(all_units), admins=admins)


@bp.route("/units/new", methods=["GET", "POST"], defaults={"unit_id": None})
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@roles_required(Role.SYSADMIN)
def edit_unit(unit_id: int | None):
    unit = None
    if unit_id is not None:
        unit = db.get_or_404(Unit, unit_id)
    form = UnitForm(obj=unit)
    form.parent_id.choices = select_choices(_unit_choices(_("— top level —")))
    if request.method == "GET" and unit is not None:
        form.parent_id.data = unit.parent_id or 0
    if form.validate_on_submit():
        try:
            saved = unit_service.save_unit(
                unit,
                code=form.code.data,
                name_zh=form.name_zh.data,
                name_en=form.name_en.data,
                parent_id=form.parent_id.data or None,
                actor=current_user,
            )
        except unit_service.UnitError as exc:
            rollback()
            getattr(form, exc.field or "code").errors.append(exc.message)
        else:
            commit()
            flash(_("Unit %(code)s saved.", code=saved.code), "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=unit)


@bp.get("/audit")
@roles_required(Role.SYSADMIN)
def audit():
    """The audit log, newest first, filterable by action; with the chain's verification status."""
    action = (request.args.get("action") or "").strip()
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    checked, broken = verify_chain() if request.args.get("verify") else (None, None)
    return render_template("admin/audit.html", page=page, action=action, checked=checked, broken=broken)
