"""The applicant's profile: personal data and the lists (education, positions, works, projects, awards)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from .. import countries
from ..accounts.models import Role
from ..audit.services import record
from ..auth import roles_required
from ..database import commit, rollback
from ..extensions import db
from ..forms import ConfirmForm, select_choices
from ..i18n import current_locale
from ..storage import DocumentError, delete_document, save_document
from .forms import (
    DEGREE_CHOICES,
    POST_LEVEL_CHOICES,
    AwardForm,
    EducationForm,
    PositionForm,
    ProfileForm,
    ProjectForm,
    WorkForm,
    discipline_choices,
    keywords_from_text,
)
from .models import Award, Education, Position, Profile, Project, Work

bp = Blueprint("profile", __name__, url_prefix="/profile")

# kind -> (model, form, limit, heading, fields shown in the list, order)
SECTIONS = {
    "education": (
        Education,
        EducationForm,
        10,
        _l("Education"),
        ("degree", "institution", "country", "year"),
        (Education.year,),
    ),
    "position": (
        Position,
        PositionForm,
        20,
        _l("Positions"),
        ("employer", "country", "title", "post_level", "start_date", "end_date"),
        (Position.start_date,),
    ),
    "work": (Work, WorkForm, 5, _l("Representative works"), ("title", "venue", "year"), (Work.year.desc(),)),
    "project": (
        Project,
        ProjectForm,
        20,
        _l("Projects"),
        ("title", "funder", "role", "start_year", "end_year"),
        (Project.start_year,),
    ),
    "award": (Award, AwardForm, 20, _l("Awards"), ("name", "grantor", "year"), (Award.year,)),
}


@bp.route("", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def edit():
    """Personal data plus every list of the profile on one page."""
    profile = db.session.get(Profile, current_user.id) or Profile(user_id=current_user.id)
    form = ProfileForm(obj=profile)
    form.nationality.choices = select_choices(countries.choices(current_locale()))
    form.discipline_codes.choices = select_choices(discipline_choices())
    if request.method == "GET":
        form.name.data = current_user.name
        form.discipline_codes.data = (profile.discipline_codes or [""])[0]
        form.keywords.data = ", ".join(profile.keywords or [])
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        profile.gender = form.gender.data or ""
        profile.birth_date = form.birth_date.data
        profile.nationality = form.nationality.data
        profile.id_type = form.id_type.data
        profile.id_number = (form.id_number.data or "").strip().upper() or None
        profile.phone = (form.phone.data or "").strip()
        profile.discipline_codes = [form.discipline_codes.data] if form.discipline_codes.data else []
        profile.keywords = keywords_from_text(form.keywords.data)
        db.session.add(profile)
        record("profile.updated", current_user._get_current_object())
        commit()
        flash(_("Profile saved."), "success")
        return redirect(url_for("profile.edit"))
    lists = {
        kind: db.session.execute(select(model).where(model.user_id == current_user.id).order_by(*order)).scalars().all()
        for kind, (model, _f, _n, _h, _c, order) in SECTIONS.items()
    }
    return render_template(
        "profile/edit.html", form=form, sections=SECTIONS, lists=lists, confirm=ConfirmForm(), labels=value_labels()
    )


def value_labels() -> dict:
    """Words for stored codes (degrees, post levels, countries) in the current language."""
    locale = current_locale()
    return {
        "degree": dict(DEGREE_CHOICES),
        "post_level": dict(POST_LEVEL_CHOICES),
        "country": {code: countries.name(code, locale) for code in countries.NAMES},
    }


def _item(kind: str, item_id: int | None):
    if kind not in SECTIONS:
        abort(404)
    model = SECTIONS[kind][0]
    if item_id is None:
        return model(user_id=current_user.id)
    item = db.get_or_404(model, item_id)
    if item.user_id != current_user.id:
        abort(404)  # someone else's row looks exactly like a missing one
    return item


@bp.route("/<kind>/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/<kind>/<int:item_id>", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def item(kind: str, item_id: int | None):
    """Add or edit one row of a profile list."""
    row = _item(kind, item_id)
    model, form_class, limit, heading, _cols, _order = SECTIONS[kind]
    form = form_class(obj=row if item_id is not None else None)  # a new row takes the form's defaults
    if hasattr(form, "country"):
        form.country.choices = select_choices(countries.choices(current_locale()))
    if item_id is None:
        count = db.session.execute(select(model.id).where(model.user_id == current_user.id)).all()
        if len(count) >= limit:
            flash(_("At most %(n)s entries in this list.", n=limit), "warning")
            return redirect(url_for("profile.edit") + f"#{kind}")
    if form.validate_on_submit():
        upload = request.files.get("file") if kind == "work" else None
        for name, field in form._fields.items():
            if name not in ("submit", "csrf_token", "file"):
                setattr(row, name, field.data.strip() if isinstance(field.data, str) else field.data)
        db.session.add(row)
        try:
            db.session.flush()
            if upload and upload.filename:
                old = row.document
                row.document = save_document(
                    upload.read(), kind="work", original_name=upload.filename, owner_id=current_user.id
                )
                if old is not None:
                    delete_document(old)
        except DocumentError as exc:
            rollback()
            form.file.errors = [exc.message]
            return render_template("profile/item.html", form=form, kind=kind, heading=heading, item=None), 400
        record(f"profile.{kind}_saved", current_user._get_current_object(), data={"id": row.id})
        commit()
        flash(_("Saved."), "success")
        return redirect(url_for("profile.edit") + f"#{kind}")
    return render_template("profile/item.html", form=form, kind=kind, heading=heading, item=row if item_id else None)


@bp.post("/<kind>/<int:item_id>/delete")
@roles_required(Role.APPLICANT)
def delete(kind: str, item_id: int):
    row = _item(kind, item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if kind == "work" and row.document is not None:
        delete_document(row.document)
    db.session.delete(row)
    record(f"profile.{kind}_deleted", current_user._get_current_object(), data={"id": item_id})
    commit()
    flash(_("Deleted."), "success")
    return redirect(url_for("profile.edit") + f"#{kind}")
