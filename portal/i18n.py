"""Language helpers usable inside and outside requests."""
from contextlib import contextmanager
from types import SimpleNamespace

from flask import g
from flask_babel import force_locale


@contextmanager
def in_locale(locale: str):
    """Render in `locale` (e.g. an email in the recipient's language), even from the CLI or a job.

    Flask-Babel's force_locale silently does nothing while `g` is still empty, as it is in a fresh
    application context; giving it its namespace first makes the switch reliable.
    """
    if not hasattr(g, "_flask_babel"):
        g._flask_babel = SimpleNamespace()
    with force_locale(locale):
        yield


def current_locale() -> str:
    """The language of the current request ("zh_CN", "en"), zh_CN where there is none (a job, the CLI)."""
    from flask_babel import get_locale

    return str(get_locale() or "zh_CN")


def pick(pair: tuple[str, str], locale: str | None = None) -> str:
    """The (Chinese, English) pair's word for `locale` (the current request's language unless given)."""
    return pair[1] if str(locale if locale is not None else current_locale()).startswith("en") else pair[0]
