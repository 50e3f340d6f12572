"""Forms shared by several features."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons (CSRF token only)."""

    submit = SubmitField(_l("Confirm"))
