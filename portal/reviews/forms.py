"""Forms of the unit review and program office pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange
from ..i18n import is_english


def endorse_form_class(criteria: dict | None, locale: str, exception: bool):
    """Endorsement: the unit's commitments, its assessment scores when the scheme has a unit component."""
    english = is_english(locale)

    class EndorseForm(FlaskForm):
        post = StringField(_l("Post offered"), validators=[DataRequired(), Length(max=300)])
        startup_funds = StringField(_l("Start-up funds"), validators=[DataRequired(), Length(max=100)],
                                    description=_l("e.g. 300 万元"))
        space = StringField(_l("Laboratory and office space"), validators=[DataRequired(), Length(max=300)])
        opinion = TextAreaField(_l("Unit opinion"), validators=[DataRequired(), Length(max=5000)],
                                render_kw={"rows": 4})
        submit = SubmitField(_l("Endorse"))

    for code, criterion in (criteria or {}).items():
        label = criterion["en"] if english else criterion["zh"]
        setattr(EndorseForm, "score_" + code, DecimalField(
            label, places=1, validators=[InputRequired(), NumberRange(min=0, max=100,
                                                                      message=_l("Scores are between 0 and 100."))],
            description=_l("Unit assessment score, 0–100")))
    if exception:
        EndorseForm.exception_endorsement = TextAreaField(
            _l("The unit's statement supporting the exception (破格)"),
            validators=[DataRequired(), Length(min=10, max=5000)], render_kw={"rows": 3})
    return EndorseForm


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Send"))


class FormalCheckForm(FlaskForm):
    decision = SelectField(_l("Formal check"), choices=[("pass", _l("Pass")), ("fail", _l("Fail"))])
    comment = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Record the formal check"))


class RecheckDecisionForm(FlaskForm):
    decision = SelectField(_l("Recheck"), choices=[("accept", _l("Accept: send to review")),
                                                   ("reject", _l("Reject: stays ineligible"))])
    comment = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Record the decision"))


class AssignForm(FlaskForm):
    expert_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Assign"))


class InviteForm(FlaskForm):
    kind = SelectField(_l("Evaluator kind"), choices=[])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send the invitation"))


class ClearFlagForm(FlaskForm):
    reason = TextAreaField(_l("Why the flag can be cleared"), validators=[DataRequired(), Length(min=5, max=2000)],
                           render_kw={"rows": 2})
    submit = SubmitField(_l("Clear the integrity flag"))


class RankForm(FlaskForm):
    """The unit's ranking: one rank_<application id> field per candidate, read from the request."""

    submit = SubmitField(_l("Save the order"))
