"""Forms of the system administration pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..forms import select_choices

ROLE_LABELS = {
    "applicant": _l("Applicant"),
    "unit_admin": _l("Unit admin"),
    "expert": _l("Expert"),
    "program_admin": _l("Program admin"),
    "sysadmin": _l("System administrator"),
}


#: The program select's values besides a program's id: none chosen yet, and every program (office-wide).
NO_PROGRAM, ALL_PROGRAMS = "", "all"


class GrantRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=select_choices(ROLE_LABELS.items()), validators=[DataRequired()])
    unit_id = SelectField(_l("Unit (unit admins only)"), coerce=int, validators=[Optional()], choices=[])
    program_id = SelectField(
        _l("Program (program admins only)"),
        validators=[Optional()],
        choices=[],
        description=_l(
            "A program admin runs the programs granted to them, one role each; all programs is an office-wide grant."
        ),
    )
    submit = SubmitField(_l("Grant role"))


class CreateUserForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=10, max=128)])
    roles = SelectMultipleField(_l("Roles"), choices=select_choices(ROLE_LABELS.items()), validators=[DataRequired()])
    unit_id = SelectField(_l("Unit (unit admins only)"), coerce=int, validators=[Optional()], choices=[])
    program_id = SelectField(
        _l("Program (program admins only)"),
        validators=[Optional()],
        choices=[],
        description=_l(
            "A program admin runs the programs granted to them, one role each; all programs is an office-wide grant."
        ),
    )
    submit = SubmitField(_l("Create account"))


class UnitForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, - _ . only.")),
        ],
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    parent_id = SelectField(_l("Parent unit"), coerce=int, choices=[])
    submit = SubmitField(_l("Save"))
