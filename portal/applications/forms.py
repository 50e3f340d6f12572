"""Profile and application forms; what the user typed survives a failed validation."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from ..extensions import db
from ..forms import select_choices
from ..i18n import current_locale
from ..programs.eligibility import Degree
from ..programs.models import Discipline
from ..programs.units import all_units, tree_rows
from . import questions, services

DEGREE_NAMES = {Degree.PHD: _l("Doctorate (PhD)"), Degree.MASTER: _l("Master's"), Degree.BACHELOR: _l("Bachelor's")}
DEGREE_CHOICES = [(degree.value, DEGREE_NAMES[degree]) for degree in reversed(Degree)]  # highest first
POST_LEVEL_CHOICES = [
    ("professor", _l("Professor or equivalent")),
    ("associate_professor", _l("Associate professor or equivalent")),
    ("assistant_professor", _l("Assistant professor or equivalent")),
    ("postdoc", _l("Postdoctoral researcher")),
    ("researcher", _l("Researcher")),
    ("technical_support", _l("Technical support")),
    ("other", _l("Other")),
]
GENDER_CHOICES = [("", _l("— choose —")), ("female", _l("Female")), ("male", _l("Male"))]
YES_NO_CHOICES = [("", _l("— choose —")), ("yes", _l("Yes")), ("no", _l("No"))]
ID_TYPE_CHOICES = [("id_card", _l("Resident identity card")), ("passport", _l("Passport"))]
YEAR = [NumberRange(min=1940, max=2100, message=_l("Enter a year between 1940 and 2100."))]


class _MaxUploadMB:
    """MAX_UPLOAD_MB, read when a label is shown (the form classes exist before any app)."""

    def __str__(self) -> str:
        return str(current_app.config["MAX_UPLOAD_MB"])


_UPLOAD_MB = _MaxUploadMB()


def _keywords(text: str | None) -> list[str]:
    """Split on commas (ASCII or Chinese) and semicolons; keep order, drop repeats."""
    seen, result = set(), []
    for part in (text or "").replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        word = part.strip()
        if word and word.lower() not in seen:
            seen.add(word.lower())
            result.append(word[:50])
    return result[:10]


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    gender = SelectField(_l("Gender"), choices=select_choices(GENDER_CHOICES), validators=[Optional()])
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    nationality = SelectField(_l("Nationality"), choices=[], validators=[DataRequired()])
    id_type = SelectField(_l("Identity document"), choices=select_choices(ID_TYPE_CHOICES))
    id_number = StringField(
        _l("ID card or passport number"),
        validators=[Optional(), Length(min=5, max=40)],
        description=_l("Stored encrypted; shown masked in the application book."),
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    discipline_codes = SelectField(_l("Main discipline"), choices=[], validators=[Optional()])
    keywords = StringField(
        _l("Keywords"),
        validators=[Optional(), Length(max=500)],
        description=_l("Separate keywords with commas, e.g. 代数几何, 数论"),
    )
    submit = SubmitField(_l("Save profile"))

    def validate_id_number(self, field):
        if self.id_type.data == "id_card" and field.data:
            value = field.data.strip().upper()
            if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
                raise ValidationError(
                    _l("A resident identity card number has 18 characters: 17 digits and a digit or X.")
                )


class EducationForm(FlaskForm):
    degree = SelectField(_l("Degree"), choices=select_choices(DEGREE_CHOICES))
    institution = StringField(_l("Institution"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country or region"), choices=[])
    year = IntegerField(_l("Year obtained"), validators=[InputRequired(), *YEAR])
    submit = SubmitField(_l("Save"))


class PositionForm(FlaskForm):
    employer = StringField(_l("Employer"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country or region"), choices=[])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    post_level = SelectField(_l("Post level"), choices=select_choices(POST_LEVEL_CHOICES))
    start_date = DateField(_l("From"), validators=[InputRequired()])
    end_date = DateField(_l("To"), validators=[Optional()], description=_l("Leave empty if you still hold this post."))
    is_research = BooleanField(_l("Research post"), default=True)
    full_time = BooleanField(_l("Full-time"), default=True)
    submit = SubmitField(_l("Save"))

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date is before the start date."))


class WorkForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    venue = StringField(_l("Journal, publisher or venue"), validators=[Optional(), Length(max=200)])
    year = IntegerField(_l("Year"), validators=[InputRequired(), *YEAR])
    file = FileField(_l("Full text (PDF, at most %(mb)s MB)", mb=_UPLOAD_MB))
    submit = SubmitField(_l("Save"))


class ProjectForm(FlaskForm):
    title = StringField(_l("Project"), validators=[DataRequired(), Length(max=300)])
    funder = StringField(_l("Funder"), validators=[Optional(), Length(max=200)])
    role = StringField(_l("Your role"), validators=[Optional(), Length(max=100)])
    start_year = IntegerField(_l("Start year"), validators=[InputRequired(), *YEAR])
    end_year = IntegerField(_l("End year"), validators=[Optional(), *YEAR])
    submit = SubmitField(_l("Save"))


class AwardForm(FlaskForm):
    name = StringField(_l("Award"), validators=[DataRequired(), Length(max=300)])
    grantor = StringField(_l("Awarded by"), validators=[Optional(), Length(max=200)])
    year = IntegerField(_l("Year"), validators=[InputRequired(), *YEAR])
    submit = SubmitField(_l("Save"))


def _unit_id(value):
    """A unit select's value: the unit id, or None for the empty "— choose —" first option."""
    if value is None or value == "":
        return None
    return int(value)


class StartForm(FlaskForm):
    unit_id = SelectField(
        _l("Unit that will review your application"),
        coerce=_unit_id,
        choices=[],
        validators=[DataRequired(message=_l("Choose the unit that will review your application."))],
    )
    submit = SubmitField(_l("Start application"))


class BasicsForm(FlaskForm):
    unit_id = SelectField(
        _l("Reviewing unit"),
        coerce=_unit_id,
        choices=[],
        validators=[DataRequired(message=_l("Choose the unit that will review your application."))],
    )
    title = StringField(_l("Title of the application"), validators=[DataRequired(), Length(max=300)])
    discipline_code = SelectField(_l("Discipline"), choices=[], validators=[DataRequired()])
    keywords = StringField(
        _l("Keywords"),
        validators=[Optional(), Length(max=500)],
        description=_l("Separate keywords with commas, e.g. 代数几何, 数论"),
    )
    submit = SubmitField(_l("Save and continue"))


class _Answer:
    """Checks a given answer against its question (bounds, choices); an empty answer passes (drafts may be
    incomplete: the check step says what a required question still needs)."""

    def __init__(self, question: questions.Question):
        self.question = question

    def __call__(self, form, field):
        problem = questions.check(self.question, questions.from_form(self.question, field.data))
        if problem is not None:
            raise ValidationError(questions.problem_message(problem))


def _question_label(question: questions.Question, locale: str) -> Markup:
    if question.required:
        return Markup(
            '{} <span class="text-danger" aria-hidden="true">*</span><span class="visually-hidden">{}</span>'
        ).format(question.label(locale), _("(required)"))
    return Markup('{} <span class="text-muted small">{}</span>').format(question.label(locale), _("(optional)"))


def _question_field(question: questions.Question, locale: str):
    """The form field of one of the call's questions, in the user's language."""
    label, hint = _question_label(question, locale), Markup.escape(questions.hint(question))
    checks = [Optional(), _Answer(question)]
    if question.type == "number":
        bounds = {
            k: questions.shown_number(v) for k, v in (("min", question.min), ("max", question.max)) if v is not None
        }
        return DecimalField(
            label,
            validators=checks,
            places=None,
            description=hint,
            render_kw=bounds,
            invalid_value_message=_l("Enter a number."),
        )
    if question.type == "date":
        bounds = {k: v.isoformat() for k, v in (("min", question.min), ("max", question.max)) if v is not None}
        return DateField(
            label, validators=checks, description=hint, render_kw=bounds, invalid_value_message=_l("Enter a date.")
        )
    if question.type == "bool":
        return SelectField(
            label,
            choices=select_choices(YES_NO_CHOICES),
            validators=checks,
            description=hint,
            invalid_choice_message=_l("Answer yes or no."),
        )
    if question.type == "choice":
        return SelectField(
            label,
            choices=select_choices([("", _l("— choose —")), *((c.value, c.label(locale)) for c in question.choices)]),
            validators=checks,
            description=hint,
            invalid_choice_message=_l("Choose one of the answers offered."),
        )
    bounds = {"maxlength": question.max} if question.max is not None else {}
    if question.max is not None and question.max <= 200:
        return StringField(label, validators=checks, description=hint, render_kw=bounds)
    return TextAreaField(label, validators=checks, description=hint, render_kw={"rows": 4, **bounds})


def plan_form_class(extra_fields: list[dict], locale: str):
    """The plan step: the plan text plus the call's own questions (text, number, yes/no, date, choice).

    The form's `load(extra)` shows stored answers; `answers()` gives what was entered as JSON values."""
    asked = questions.questions(extra_fields)

    class PlanForm(FlaskForm):
        plan = TextAreaField(
            _l("Research or work plan"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 12}
        )
        submit = SubmitField(_l("Save and continue"))

        def question_fields(self):
            return [self["extra_" + q.code] for q in asked]

        def load(self, extra: dict | None) -> None:
            for q in asked:
                self["extra_" + q.code].data = questions.to_form(q, (extra or {}).get(q.code))

        def answers(self) -> dict:
            return {q.code: questions.from_form(q, self["extra_" + q.code].data) for q in asked}

    for question in asked:
        setattr(PlanForm, "extra_" + question.code, _question_field(question, locale))
    return PlanForm


class ExclusionForm(FlaskForm):
    name = StringField(_l("Expert's name"), validators=[DataRequired(), Length(max=100)])
    institution = StringField(_l("Institution"), validators=[Optional(), Length(max=200)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Add to the list"))


class UploadForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired()])
    file = FileField(_l("PDF file"), validators=[FileRequired(message=_l("Choose a PDF file."))])
    submit = SubmitField(_l("Upload"))


class RefereeForm(FlaskForm):
    name = StringField(_l("Referee's name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("Referee's email"), validators=[DataRequired(), Email(), Length(max=254)])
    institution = StringField(_l("Institution"), validators=[DataRequired(), Length(max=200)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Invite referee"))


class ExceptionForm(FlaskForm):
    requested = BooleanField(_l("I ask for an exception (破格) to the rules I do not meet"))
    justification = TextAreaField(
        _l("Justification for the exception"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 5}
    )
    submit = SubmitField(_l("Save"))


class SubmitForm(FlaskForm):
    pledge = BooleanField(
        _l("I confirm that all information and documents are true and complete."),
        validators=[DataRequired(message=_l("Confirm that the information is true."))],
    )
    submit = SubmitField(_l("Submit application"))


class WithdrawForm(FlaskForm):
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Withdraw application"))


class RecheckRequestForm(FlaskForm):
    reason = TextAreaField(_l("Reasons for the recheck"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Ask for a recheck"))


class LetterForm(FlaskForm):
    file = FileField(
        _l("Your letter (PDF, at most %(mb)s MB)", mb=_UPLOAD_MB),
        validators=[FileRequired(message=_l("Choose a PDF file."))],
    )
    submit = SubmitField(_l("Upload letter"))


keywords_from_text = _keywords


# ---------------------------------------------------------------- choices read from the database


def discipline_choices(blank=True):
    locale = current_locale()
    rows = db.session.execute(select(Discipline).order_by(Discipline.code)).scalars().all()
    parents = {d.code: d for d in rows if d.parent_code is None}
    choices = [("", _("— choose —"))] if blank else []
    for d in rows:
        if d.parent_code:
            parent = parents.get(d.parent_code)
            choices.append((d.code, f"{d.code} {parent.name(locale) if parent else ''} · {d.name(locale)}"))
    return choices


def unit_choices(scope=None) -> list[tuple]:
    """The units an application may name, indented as a tree, after an empty "— choose —" first option.

    `scope` is a Program or a Call (or None: every unit); a program limited to a unit subtree offers only that
    unit and the units below it."""
    program = getattr(scope, "program", scope)
    allowed = services.allowed_unit_ids(program) if program is not None else None
    rows = [(u, depth) for u, depth in tree_rows(all_units()) if allowed is None or u.id in allowed]
    top = min((depth for _u, depth in rows), default=0)
    locale = current_locale()
    return [("", _("— choose —"))] + [(u.id, "\u3000" * (depth - top) + u.name(locale)) for u, depth in rows]
