"""Forms of the review pages: unit review, program office, expert pool, the expert's scoring form."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from ..forms import select_choices
from ..i18n import is_english
from .experts.pool_import import DEFAULT_LOAD_CAP
from .ranking.scoring import Options


def endorse_form_class(criteria: dict | None, locale: str, exception: bool):
    """Endorsement: the unit's commitments, its assessment scores when the scheme has a unit component."""
    english = is_english(locale)

    class EndorseForm(FlaskForm):
        post = StringField(_l("Post offered"), validators=[DataRequired(), Length(max=300)])
        startup_funds = StringField(
            _l("Start-up funds"), validators=[DataRequired(), Length(max=100)], description=_l("e.g. 300 万元")
        )
        space = StringField(_l("Laboratory and office space"), validators=[DataRequired(), Length(max=300)])
        opinion = TextAreaField(
            _l("Unit opinion"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 4}
        )
        submit = SubmitField(_l("Endorse"))

    for code, criterion in (criteria or {}).items():
        label = criterion["en"] if english else criterion["zh"]
        setattr(
            EndorseForm,
            "score_" + code,
            DecimalField(
                label,
                places=1,
                validators=[InputRequired(), NumberRange(min=0, max=100, message=_l("Scores are between 0 and 100."))],
                description=_l("Unit assessment score, 0–100"),
            ),
        )
    if exception:
        EndorseForm.exception_endorsement = TextAreaField(
            _l("The unit's statement supporting the exception (破格)"),
            validators=[DataRequired(), Length(min=10, max=5000)],
            render_kw={"rows": 3},
        )
    return EndorseForm


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Send"))


class FormalCheckForm(FlaskForm):
    decision = SelectField(_l("Formal check"), choices=select_choices([("pass", _l("Pass")), ("fail", _l("Fail"))]))
    comment = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Record the formal check"))


class RecheckDecisionForm(FlaskForm):
    decision = SelectField(
        _l("Recheck"),
        choices=select_choices([("accept", _l("Accept: send to review")), ("reject", _l("Reject: stays ineligible"))]),
    )
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
    reason = TextAreaField(
        _l("Why the flag can be cleared"), validators=[DataRequired(), Length(min=5, max=2000)], render_kw={"rows": 2}
    )
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
    threshold = FloatField(
        _l("Disagreement threshold"),
        validators=[
            InputRequired(),
            NumberRange(min=0, max=Options.MAX_DISAGREEMENT_THRESHOLD, message=_l("Enter a number from 0 to 100.")),
        ],
    )

    @classmethod
    def showing(cls, options: Options) -> AggregationOptionsForm:
        """The form holding `options` (for the page's button that saves them)."""
        return cls(
            formdata=None,
            data={
                "trimmed": options.trimmed,
                "familiarity": options.familiarity_weights,
                "normalise": options.normalise,
                "threshold": options.disagreement_threshold,
            },
        )

    @staticmethod
    def query_args(options: Options) -> dict:
        """The query string that asks the ranking page (or its CSV) for `options`."""
        args: dict = {"applied": 1, "threshold": f"{options.disagreement_threshold:g}"}
        for name, on in (
            ("trimmed", options.trimmed),
            ("familiarity", options.familiarity_weights),
            ("normalise", options.normalise),
        ):
            if on:
                args[name] = 1
        return args

    def stored(self) -> dict:
        """The options posted, in their stored form (for ranking.save_options)."""
        return {
            "trimmed": self.trimmed.data,
            "familiarity_weights": self.familiarity.data,
            "normalise": self.normalise.data,
            "disagreement_threshold": self.threshold.data,
        }

    def over(self, default: Options) -> tuple[Options, bool]:
        """`default` with what the query string asks for: the boxes once the form was applied, the threshold when
        it is a number from 0 to 100; and whether a threshold was given that is not (then the default's is used)."""
        values = {}
        if self.applied.data:
            values = {
                "trimmed": self.trimmed.data,
                "familiarity_weights": self.familiarity.data,
                "normalise": self.normalise.data,
            }
        given = bool((self.threshold.raw_data or [""])[0].strip())
        usable = given and self.threshold.validate(self)
        if usable:
            values["disagreement_threshold"] = self.threshold.data
        return Options.from_mapping(values, base=default), given and not usable


# ---------------------------------------------------------------- the expert pool (program office)

RELATION_LABELS = {
    "coauthor": _l("Co-author"),
    "advisor": _l("Advisor or student"),
    "family": _l("Family"),
    "collaborator": _l("Collaborator"),
    "other": _l("Other relation"),
}


class ImportForm(FlaskForm):
    file = FileField(
        _l("Expert list (CSV or XLSX)"),
        validators=[
            FileRequired(message=_l("Choose a CSV or XLSX file.")),
            FileAllowed(["csv", "xlsx"], message=_l("Upload a .csv or .xlsx file.")),
        ],
    )
    submit = SubmitField(_l("Import"))


class ExpertForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("A new address gets an account and an email to set its password."),
    )
    unit_id = SelectField(_l("Unit"), coerce=int, choices=[])
    title = StringField(
        _l("Academic title"), validators=[Optional(), Length(max=100)], description=_l("e.g. 研究员, 教授")
    )
    disciplines = SelectMultipleField(
        _l("Disciplines"),
        choices=[],
        validators=[DataRequired()],
        description=_l("Second-level codes; hold Ctrl or ⌘ to choose several."),
    )
    keywords = StringField(
        _l("Keywords"), validators=[Optional(), Length(max=1000)], description=_l("Separated by semicolons or commas.")
    )
    former_units = StringField(
        _l("Former units"),
        validators=[Optional(), Length(max=500)],
        description=_l("Unit code and last year there, e.g. CAS-IOP:2023; PKU:2019"),
    )
    load_cap = IntegerField(
        _l("Load cap per call"),
        default=DEFAULT_LOAD_CAP,
        validators=[InputRequired(), NumberRange(min=0, max=100, message=_l("A whole number from 0 to 100."))],
    )
    submit = SubmitField(_l("Save"))


class ConflictForm(FlaskForm):
    email = EmailField(_l("The other person's email"), validators=[DataRequired(), Email(), Length(max=254)])
    relation = SelectField(_l("Relation"), choices=select_choices(RELATION_LABELS.items()), validators=[DataRequired()])
    submit = SubmitField(_l("Declare the conflict"))


# ---------------------------------------------------------------- the expert's assignment and scoring form

FAMILIARITY_CHOICES = [
    ("familiar", _l("Familiar (熟悉)")),
    ("somewhat", _l("Somewhat familiar (较熟悉)")),
    ("unfamiliar", _l("Unfamiliar (不熟悉)")),
]
RECOMMENDATION_CHOICES = [
    ("priority", _l("Priority support (优先支持)")),
    ("support", _l("Support (支持)")),
    ("oppose", _l("Do not support (不支持)")),
]
INTEGRITY_CHOICES = [("yes", _l("Yes: I know of no misconduct")), ("no", _l("No: I know of misconduct"))]
SCORE_RANGE = NumberRange(min=0, max=100, message=_l("Give a score between 0 and 100."))


class AcceptForm(FlaskForm):
    no_conflict = BooleanField(
        _l(
            "I declare that I have no conflict of interest with this applicant (same unit, former unit in the last "
            "3 years, co-author, advisor or student, family, close collaborator) and that I will keep the "
            "application and my evaluation confidential."
        ),
        validators=[DataRequired(message=_l("Tick the no-conflict statement to accept the assignment."))],
    )
    submit = SubmitField(_l("Accept the assignment"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for declining"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("For example a conflict of interest, or no time before the due date."),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Decline the assignment"))


def scoring_form_class(criteria: dict, locale: str, *, ask_familiarity: bool):
    """The scoring form built from the scheme: one 0–100 score per criterion, then the common questions."""
    english = is_english(locale)

    class ScoringForm(FlaskForm):
        pass

    for code, criterion in criteria.items():
        label = f"{criterion['en'] if english else criterion['zh']} ({criterion['weight']:g} %)"
        field = DecimalField(
            label, places=None, validators=[Optional(), SCORE_RANGE], render_kw={"min": 0, "max": 100, "step": "any"}
        )
        setattr(ScoringForm, "score_" + code, field)
    if ask_familiarity:
        ScoringForm.familiarity = RadioField(
            _l("How familiar are you with the applicant's field?"),
            choices=select_choices(FAMILIARITY_CHOICES),
            validators=[Optional()],
        )
    ScoringForm.recommendation = RadioField(
        _l("Recommendation"), choices=select_choices(RECOMMENDATION_CHOICES), validators=[Optional()]
    )
    ScoringForm.comment_for_applicant = TextAreaField(
        _l("Comments for the applicant"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 5},
        description=_l("Shown to the applicant after the decision, without your name."),
    )
    ScoringForm.comment_confidential = TextAreaField(
        _l("Confidential comments for the committee"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 4},
        description=_l("Read only by the program office and the committee, never by the applicant or the unit."),
    )
    ScoringForm.integrity = RadioField(
        _l(
            "Integrity (德才兼备、以德为先): to your knowledge, is the applicant free of misconduct (academic fraud, "
            "breaches of ethics or law)?"
        ),
        choices=select_choices(INTEGRITY_CHOICES),
        validators=[Optional()],
    )
    ScoringForm.integrity_note = TextAreaField(
        _l("If not: what do you know of?"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    return ScoringForm


def scoring_data(evaluation) -> dict:
    """A saved draft as the form's initial values (the integrity answer is given afresh unless it was 'no')."""
    if evaluation is None:
        return {}
    data = {f"score_{code}": Decimal(f"{value:g}") for code, value in (evaluation.scores or {}).items()}
    data.update(
        familiarity=evaluation.familiarity,
        recommendation=evaluation.recommendation,
        comment_for_applicant=evaluation.comment_for_applicant,
        comment_confidential=evaluation.comment_confidential,
        integrity=None if evaluation.integrity_ok else "no",
        integrity_note=evaluation.integrity_note,
    )
    return data


def scoring_payload(form, criteria: dict) -> dict:
    """The form's answers as save_evaluation's keyword arguments."""
    integrity = form.integrity.data or None
    return dict(
        scores={code: form["score_" + code].data for code in criteria},
        familiarity=(form.familiarity.data or None) if "familiarity" in form else None,
        recommendation=form.recommendation.data or None,
        comment_for_applicant=form.comment_for_applicant.data or "",
        comment_confidential=form.comment_confidential.data or "",
        integrity_ok=None if integrity is None else integrity == "yes",
        integrity_note=form.integrity_note.data or "",
    )
