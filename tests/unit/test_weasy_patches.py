"""The WeasyPrint and pydyf internals that portal/pdf/weasy_patches.py uses hold for the installed versions."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from portal.pdf import weasy_patches

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"


@pytest.mark.parametrize("package", sorted(weasy_patches.CHECKED_VERSIONS))
def test_installed_version_is_the_one_the_patches_were_checked_against(package):
    checked = weasy_patches.CHECKED_VERSIONS[package]
    installed = importlib.import_module(package).__version__
    assert installed == checked, (
        f"{package} {installed} is installed, but portal/pdf/weasy_patches.py was written for and checked against "
        f"{package} {checked}. Read make_finisher, font_configuration and install_subset_hook against the new "
        f"{package} code, run tests/unit/test_letter_render.py, then update CHECKED_VERSIONS and requirements.txt."
    )


@pytest.mark.parametrize("package", sorted(weasy_patches.CHECKED_VERSIONS))
def test_requirements_pin_the_checked_version(package):
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", REQUIREMENTS.read_text(encoding="utf-8"), re.M))
    pinned = {name.lower(): version for name, version in pins.items()}.get(package)
    assert pinned == weasy_patches.CHECKED_VERSIONS[package], (
        f"requirements.txt pins {package}=={pinned}, but portal/pdf/weasy_patches.py was checked against "
        f"{package} {weasy_patches.CHECKED_VERSIONS[package]}: pin that version, or check the patches against the new one."
    )


def test_the_internals_the_patches_touch_are_there():
    """What the three patches reach into, by name: a rename in WeasyPrint or pydyf fails here, not in a letter."""
    import pydyf
    from weasyprint.pdf import fonts as pdf_fonts
    from weasyprint.text import ffi as text_ffi
    from weasyprint.text.fonts import FontConfiguration

    assert callable(pydyf._to_bytes) and isinstance(pydyf.Stream.data, property)
    for name in ("FcConfigParseAndLoadFromMemory", "FcConfigAppFontAddFile"):
        assert hasattr(text_ffi.fontconfig, name)
    assert hasattr(text_ffi.pangoft2, "pango_fc_font_map_config_changed")
    font_config = FontConfiguration()
    assert font_config._config is not None and font_config.font_map is not None
    subset = getattr(pdf_fonts.Font.subset, "__wrapped__", pdf_fonts.Font.subset)  # WeasyPrint's own
    assert subset.__code__.co_varnames[:3] == ("self", "to_unicode", "hinting")
    assert {"index", "variations", "missing", "file_content"} <= set(pdf_fonts.Font.__init__.__code__.co_names)
