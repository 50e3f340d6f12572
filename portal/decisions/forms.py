"""Forms of the decision pages: the committee's session, the public notice and its objections, appeals."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import select_choices
from .services import MAX_NOTICE_DAYS

_VOTE = [InputRequired(), NumberRange(min=0, max=999)]


# ---------------------------------------------------------------- the committee's session (program office)


class OpenSessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    committee_size = IntegerField(
        _l("Committee members"), default=15, validators=[InputRequired(), NumberRange(min=1, max=999)]
    )
    quorum = IntegerField(
        _l("Quorum (members who must vote)"), default=10, validators=[InputRequired(), NumberRange(min=1, max=999)]
    )
    two_thirds = BooleanField(_l("Approval needs two thirds of the votes cast"), default=True)
    submit = SubmitField(_l("Open the decision session"))


class DecisionForm(FlaskForm):
    outcome = SelectField(
        _l("Decision"),
        choices=select_choices([("approve", _l("Approve")), ("reject", _l("Reject")), ("waitlist", _l("Waitlist"))]),
    )
    votes_for = IntegerField(_l("For"), validators=_VOTE)
    votes_against = IntegerField(_l("Against"), validators=_VOTE)
    votes_abstain = IntegerField(_l("Abstain"), validators=_VOTE)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 1})
    submit = SubmitField(_l("Record"))


class ApproveTopForm(FlaskForm):
    n = IntegerField(_l("Number of candidates"), validators=[InputRequired(), NumberRange(min=1, max=9999)])
    votes_for = IntegerField(_l("For"), validators=_VOTE)
    votes_against = IntegerField(_l("Against"), validators=_VOTE)
    votes_abstain = IntegerField(_l("Abstain"), validators=_VOTE)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Approve the top candidates"))


class FinaliseForm(FlaskForm):
    minutes = TextAreaField(_l("Minutes"), validators=[DataRequired(), Length(max=50000)], render_kw={"rows": 5})
    submit = SubmitField(_l("Finalise the session and apply the decisions"))


# ---------------------------------------------------------------- the public notice and objections


class PublishForm(FlaskForm):
    days = IntegerField(
        _l("Notice period (days)"), default=7, validators=[InputRequired(), NumberRange(min=1, max=MAX_NOTICE_DAYS)]
    )
    submit = SubmitField(_l("Publish the public notice"))


class ObjectionForm(FlaskForm):
    """Anyone's objection to a candidate of an open notice; the page fills in the candidates."""

    item_id = SelectField(_l("Candidate"), coerce=int, choices=[])
    contact_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    contact = StringField(
        _l("Phone or email"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("We contact you only about this objection; it is not published."),
    )
    content = TextAreaField(
        _l("Objection and its grounds"), validators=[DataRequired(), Length(min=10, max=10000)], render_kw={"rows": 6}
    )
    submit = SubmitField(_l("File the objection"))


class HandleObjectionForm(FlaskForm):
    decision = SelectField(
        _l("Finding"),
        choices=select_choices(
            [("dismiss", _l("Dismissed: the award stands")), ("uphold", _l("Upheld: the candidate is not selected"))]
        ),
    )
    note = TextAreaField(_l("How it was handled"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Record the handling"))


# ---------------------------------------------------------------- appeals (复审)


class AppealForm(FlaskForm):
    """The applicant's grounds; the length rule lives in the service so that both paths share it."""

    reason = TextAreaField(_l("Grounds for the appeal"), validators=[Length(max=5000)], render_kw={"rows": 6})
    submit = SubmitField(_l("File the appeal"))


class AppealDecisionForm(FlaskForm):
    """The program office's answer to one appeal, always with a written note."""

    decision = SelectField(
        _l("Appeal decision"),
        choices=select_choices(
            [("accept", _l("Accept: back to review with new experts")), ("reject", _l("Dismiss: the decision stands"))]
        ),
    )
    note = TextAreaField(
        _l("Note to the applicant"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3}
    )
    submit = SubmitField(_l("Record the decision"))
