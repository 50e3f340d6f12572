"""Forms of the program office's call pages: the call itself, unit quotas, attachments and the call's life."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..database import to_local
from ..programs.call_admin import GUIDE_MAX_CHARS, QUOTA_MAX, local_datetime

# What a quota input takes (the same words as the services' refusals): empty for no limit, else 0 to QUOTA_MAX.
_A_QUOTA = (
    NumberRange(min=0, message=_l("A quota cannot be negative.")),
    NumberRange(max=QUOTA_MAX, message=_l("A quota is at most %(max)s.")),
)


class CallForm(FlaskForm):
    """A call's figures; dates and times are entered in Beijing time (Asia/Shanghai)."""

    version = HiddenField()
    year = IntegerField(
        _l("Year"), validators=[InputRequired(message=_l("Give the call's year.")), NumberRange(min=2000, max=2100)]
    )
    title_zh = StringField(
        _l("Title (Chinese)"),
        validators=[DataRequired(message=_l("Give the call's title in Chinese.")), Length(max=200)],
    )
    title_en = StringField(
        _l("Title (English)"),
        validators=[Optional(), Length(max=200)],
        description=_l("Leave empty to use the Chinese title."),
    )
    opens_date = DateField(_l("Opens on"), validators=[InputRequired(message=_l("Give the opening date and time."))])
    opens_time = TimeField(
        _l("at (Beijing time)"), default=None, validators=[InputRequired(message=_l("Give the opening date and time."))]
    )
    closes_date = DateField(_l("Closes on"), validators=[InputRequired(message=_l("Give the closing date and time."))])
    closes_time = TimeField(
        _l("at (Beijing time)"), validators=[InputRequired(message=_l("Give the closing date and time."))]
    )
    cutoff_date = DateField(
        _l("Eligibility cutoff date"),
        validators=[InputRequired(message=_l("Give the eligibility cutoff date: ages and years are counted to it."))],
        description=_l("Ages and years of the eligibility rules are counted to this date."),
    )
    review_due = DateField(
        _l("Review due"),
        validators=[Optional()],
        description=_l("The date by which the experts' evaluations are due (after the closing date)."),
    )
    total_quota = IntegerField(
        _l("Total quota"),
        validators=[Optional(), *_A_QUOTA],
        description=_l("Places in this call; leave empty if not fixed."),
    )
    unit_quota = IntegerField(
        _l("Endorsements per unit (default)"),
        validators=[Optional(), *_A_QUOTA],
        description=_l("For units without their own figure in the unit quota table; leave empty for no limit."),
    )
    guide_zh = TextAreaField(
        _l("Guide (Chinese)"),
        validators=[Optional(), Length(max=GUIDE_MAX_CHARS)],
        render_kw={"rows": 12},
        description=_l(
            "Formatted text (Markdown): # heading, **bold**, - list item, "
            "[link](https://…). HTML is shown as plain text."
        ),
    )
    guide_en = TextAreaField(
        _l("Guide (English)"), validators=[Optional(), Length(max=GUIDE_MAX_CHARS)], render_kw={"rows": 12}
    )
    submit = SubmitField(_l("Save the call"))

    # Where a service problem about a stored field is shown on this form.
    FIELD_OF = {"opens_at": "opens_date", "closes_at": "closes_date"}

    def fill_from(self, call) -> None:
        """Load a stored call (its times shown in Beijing time)."""
        opens, closes = to_local(call.opens_at), to_local(call.closes_at)
        self.version.data = str(call.version)
        self.year.data = call.year
        self.title_zh.data, self.title_en.data = call.title_zh, call.title_en
        self.opens_date.data, self.opens_time.data = opens.date(), opens.time().replace(second=0, microsecond=0)
        self.closes_date.data, self.closes_time.data = closes.date(), closes.time().replace(second=0, microsecond=0)
        self.cutoff_date.data, self.review_due.data = call.cutoff_date, call.review_due
        self.total_quota.data, self.unit_quota.data = call.total_quota, call.unit_quota
        self.guide_zh.data, self.guide_en.data = call.guide_zh, call.guide_en

    def values(self) -> dict:
        """What the services take (times in UTC)."""
        return dict(
            year=self.year.data,
            title_zh=self.title_zh.data or "",
            title_en=self.title_en.data or "",
            opens_at=local_datetime(self.opens_date.data, self.opens_time.data),
            closes_at=local_datetime(self.closes_date.data, self.closes_time.data),
            cutoff_date=self.cutoff_date.data,
            review_due=self.review_due.data,
            total_quota=self.total_quota.data,
            unit_quota=self.unit_quota.data,
            guide_zh=self.guide_zh.data or "",
            guide_en=self.guide_en.data or "",
        )

    def show_problems(self, problems: dict[str, list[str]]) -> None:
        """Put the service's messages next to their fields."""
        for field, messages in problems.items():
            target = getattr(self, self.FIELD_OF.get(field, field), None)
            if target is None:
                target = self.year
            target.errors = list(target.errors or []) + [m for m in messages if m not in (target.errors or [])]


def quota_form_class(units):
    """One quota input per unit (quota_<unit id>); blank means the call's default."""

    class QuotaForm(FlaskForm):
        version = HiddenField()
        submit = SubmitField(_l("Save the unit quotas"))

    for unit, _depth in units:
        setattr(QuotaForm, f"quota_{unit.id}", IntegerField(unit.code, validators=[Optional(), *_A_QUOTA]))
    return QuotaForm


class CopyForm(FlaskForm):
    """The "copy last year's call" button; it names the call it copies, so that a retried click copies the same
    call again (and finds its copy made) instead of copying the copy."""

    source_id = HiddenField()


class AttachmentForm(FlaskForm):
    label_zh = StringField(
        _l("Label (Chinese)"),
        validators=[DataRequired(message=_l("Give the attachment's label in Chinese.")), Length(max=200)],
        description=_l("e.g. 申报指南, 推荐表"),
    )
    label_en = StringField(_l("Label (English)"), validators=[Optional(), Length(max=200)])
    file = FileField(_l("PDF file"), validators=[FileRequired(message=_l("Choose a PDF file."))])
    submit = SubmitField(_l("Add the attachment"))


class ExtendForm(FlaskForm):
    closes_date = DateField(_l("New deadline"), validators=[InputRequired(message=_l("Give the new deadline."))])
    closes_time = TimeField(_l("at (Beijing time)"), validators=[InputRequired(message=_l("Give the new deadline."))])
    submit = SubmitField(_l("Extend the deadline"))

    def new_closes_at(self):
        return local_datetime(self.closes_date.data, self.closes_time.data)


class StartReviewForm(FlaskForm):
    confirm = BooleanField(
        _l("Start the review even though some applications still wait for their unit or the formal check")
    )
    submit = SubmitField(_l("Start review"))
