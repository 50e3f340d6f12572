"""Forms of the unit review and program office pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    FloatField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange

from ..i18n import is_english
from .scoring import Options


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


# A box the ranking page's query string turns off: "0" (or nothing) from the options, "false"/"" from WTForms.
_OFF = ("0", "false", "")


class AggregationOptionsForm(FlaskForm):
    """A call's aggregation options (scoring.Options) as the ranking page shows them: read from its query string
    to switch them (``formdata=request.args``, no CSRF), posted to make them the call's default. The field names
    are the page's URL parameters; ``applied`` marks a submitted options form, for only then does an unticked box
    mean "off" rather than "the call's default"."""

    applied = HiddenField()
    trimmed = BooleanField(_l("Trimmed mean"), false_values=_OFF)
    familiarity = BooleanField(_l("Familiarity weights"), false_values=_OFF)
    normalise = BooleanField(_l("Normalise each expert's scores"), false_values=_OFF)
    threshold = FloatField(_l("Disagreement threshold"), validators=[
        InputRequired(), NumberRange(min=0, max=Options.MAX_DISAGREEMENT_THRESHOLD,
                                     message=_l("Enter a number from 0 to 100."))])

    @classmethod
    def showing(cls, options: Options) -> AggregationOptionsForm:
        """The form holding `options` (for the page's button that saves them)."""
        return cls(formdata=None, data={"trimmed": options.trimmed, "familiarity": options.familiarity_weights,
                                        "normalise": options.normalise,
                                        "threshold": options.disagreement_threshold})

    @staticmethod
    def query_args(options: Options) -> dict:
        """The query string that asks the ranking page (or its CSV) for `options`."""
        args: dict = {"applied": 1, "threshold": f"{options.disagreement_threshold:g}"}
        for name, on in (("trimmed", options.trimmed), ("familiarity", options.familiarity_weights),
                         ("normalise", options.normalise)):
            if on:
                args[name] = 1
        return args

    def stored(self) -> dict:
        """The options posted, in their stored form (for ranking.save_options)."""
        return {"trimmed": self.trimmed.data, "familiarity_weights": self.familiarity.data,
                "normalise": self.normalise.data, "disagreement_threshold": self.threshold.data}

    def over(self, default: Options) -> tuple[Options, bool]:
        """`default` with what the query string asks for: the boxes once the form was applied, the threshold when
        it is a number from 0 to 100; and whether a threshold was given that is not (then the default's is used)."""
        values = {}
        if self.applied.data:
            values = {"trimmed": self.trimmed.data, "familiarity_weights": self.familiarity.data,
                      "normalise": self.normalise.data}
        given = bool((self.threshold.raw_data or [""])[0].strip())
        usable = given and self.threshold.validate(self)
        if usable:
            values["disagreement_threshold"] = self.threshold.data
        return Options.from_mapping(values, base=default), given and not usable
