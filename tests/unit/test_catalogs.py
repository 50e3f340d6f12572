"""Every user-facing string has a Chinese and an English translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _extract(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "--ignore-dirs=.* .venv __pycache__",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


def _catalog(locale):
    with open(ROOT / "portal" / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return {(m.id if isinstance(m.id, str) else m.id[0]): m for m in read_po(fh) if m.id}


def test_every_string_is_translated_in_both_catalogs(tmp_path):
    wanted = _extract(tmp_path)
    assert len(wanted) > 100
    for locale in ("zh", "en"):
        catalog = _catalog(locale)
        missing = sorted(m for m in wanted if m not in catalog or not catalog[m].string or catalog[m].fuzzy)
        assert not missing, f"{locale}: untranslated strings (run `make i18n` and fill zh_CN.tsv): {missing}"


def test_chinese_catalog_is_really_chinese():
    catalog = _catalog("zh")
    assert catalog["Log in"].string == "登录"
    untranslated = [k for k, m in catalog.items() if m.string == k and any(c.isalpha() for c in k)]
    assert not untranslated, untranslated
