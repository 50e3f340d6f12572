"""Forms of the program office's program pages: the settings form, and the choices the editors offer."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..forms import select_choices
from ..i18n import pick
from ..programs import units as unit_service
from ..programs.call_admin import QUOTA_MAX
from ..programs.eligibility import PROGRAM_LEVELS
from ..programs.rules_editor import CODE_MAX
from ..reviews.evaluation.schemes import latest
from .editor_messages import CATEGORY_LABELS, LEVEL_LABELS
from .program_admin import MAX_EXPERTS, MAX_NOTICE_DAYS, MAX_REFEREES


def unit_choices(locale: str, blank_label: str) -> list[tuple[int, str]]:
    """Units as a select: the tree indented (as on the units page), 0 first for "any unit"."""
    choices = [(0, blank_label)]
    for unit, depth in unit_service.tree_rows(unit_service.all_units()):
        choices.append((unit.id, "\u3000" * depth + unit.name(locale)))
    return choices


def category_choices(locale: str) -> list[tuple[str, str]]:
    """Talent categories, each with the evaluation scheme version it picks (the latest of the category)."""
    choices = []
    for code, pair in CATEGORY_LABELS.items():
        scheme = latest(code)
        label = pick(pair, locale)
        if scheme is not None:
            label = _("%(category)s · evaluation scheme version %(n)s", category=label, n=scheme.version)
        choices.append((code, label))
    return choices


class ProgramForm(FlaskForm):
    """A program's settings; `code` only when creating (it names the program for good)."""

    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=CODE_MAX),
            Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Lowercase letters, digits and _, starting with a letter.")),
        ],
        description=_l("e.g. youth_talent; cannot be changed later"),
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    description_zh = TextAreaField(
        _l("Description (Chinese)"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    description_en = TextAreaField(
        _l("Description (English)"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )
    level = SelectField(_l("Level"), choices=[])
    category = SelectField(
        _l("Talent category"),
        choices=[],
        description=_l("Picks the evaluation scheme the program's calls are reviewed with."),
    )
    experts_per_application = IntegerField(
        _l("Experts per application"),
        default=5,
        validators=[
            InputRequired(),
            NumberRange(min=3, max=MAX_EXPERTS, message=_l("From 3 to %(max)s.")),
        ],
    )
    blind_review = BooleanField(_l("Blind review (experts do not see the applicant's name)"))
    notice_required = BooleanField(_l("Public notice (公示) before the results are final"), default=True)
    notice_days = IntegerField(
        _l("Days of the public notice"),
        default=7,
        validators=[Optional(), NumberRange(min=1, max=MAX_NOTICE_DAYS, message=_l("From 1 to %(max)s days."))],
    )
    referees_required = IntegerField(
        _l("Referee letters required"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_REFEREES, message=_l("From 0 to %(max)s."))],
    )
    unit_quota = IntegerField(
        _l("Endorsements per unit (default of new calls)"),
        validators=[Optional(), NumberRange(min=0, max=QUOTA_MAX, message=_l("From 0 to %(max)s."))],
        description=_l("Empty: no limit."),
    )
    unit_scope_id = SelectField(
        _l("Applicants from"),
        coerce=int,
        choices=[],
        description=_l("An institute-level program may take applicants of one unit and its sub-units only."),
    )
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.notice_required.data and self.notice_days.data is None and not self.notice_days.errors:
            self.notice_days.errors = [*self.notice_days.errors, _("Give the number of days of the public notice.")]
            ok = False
        return ok

    def settings(self) -> dict:
        """The typed settings, as the services take them."""
        return {
            "name_zh": self.name_zh.data,
            "name_en": self.name_en.data,
            "description_zh": self.description_zh.data or "",
            "description_en": self.description_en.data or "",
            "level": self.level.data,
            "category": self.category.data,
            "experts_per_application": self.experts_per_application.data,
            "blind_review": self.blind_review.data,
            "notice_required": self.notice_required.data,
            "notice_days": self.notice_days.data,
            "referees_required": self.referees_required.data,
            "unit_quota": self.unit_quota.data,
            "unit_scope_id": self.unit_scope_id.data or None,
        }


def program_form(locale: str, program=None, *, creating: bool) -> ProgramForm:
    """The settings form, filled from `program` on GET, from what was posted otherwise."""
    form = ProgramForm(obj=program) if program is not None else ProgramForm()
    if not creating:
        del form.code
    form.level.choices = select_choices([(code, pick(LEVEL_LABELS[code], locale)) for code in PROGRAM_LEVELS])
    form.category.choices = select_choices(category_choices(locale))
    form.unit_scope_id.choices = select_choices(unit_choices(locale, _("— any unit —")))
    if program is not None and not form.is_submitted():
        form.unit_scope_id.data = program.unit_scope_id or 0
        form.version.data = str(program.version)
    return form
