"""Language helpers usable inside and outside requests."""

from contextlib import contextmanager
from types import SimpleNamespace

from flask import g
from flask_babel import force_locale, get_locale


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
    return str(get_locale() or "zh_CN")


def is_english(locale: object = None) -> bool:
    """Whether `locale` ("en", "en_US", a Babel Locale; the current request's language unless given) is English.

    The portal speaks Chinese first: anything that is not English, including no locale at all, is Chinese.
    """
    return str(locale if locale is not None else current_locale()).lower().startswith("en")


def pick(pair: tuple[str, str], locale: object = None) -> str:
    """The (Chinese, English) pair's word for `locale` (the current request's language unless given)."""
    return pair[1] if is_english(locale) else pair[0]
