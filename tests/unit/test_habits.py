"""The habits hold: `make lint`'s checks refuse a deliberate violation under our settings, and a warning fails."""

import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
BIN = Path(sys.executable).parent


def ruff(path: Path) -> subprocess.CompletedProcess[str]:
    # --config: the file lives outside the tree, where ruff would not find pyproject.toml by itself.
    return subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--config", str(PYPROJECT), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def mypy(path: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(PYPROJECT), "--cache-dir", str(cache), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=path.parent,
    )


def test_ruff_refuses_an_unused_import_and_a_silent_broad_except(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f():\n    try:\n        return 1\n    except Exception:\n        return 2\n")
    result = ruff(bad)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "F401" in result.stdout and "BLE001" in result.stdout

    good = tmp_path / "good.py"
    good.write_text("import os\n\n\ndef f() -> str:\n    return os.sep\n")
    result = ruff(good)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_strict_an_untyped_function_and_a_wrong_return_fail(tmp_path):
    bad = tmp_path / "bad_module.py"
    bad.write_text('def untyped(x):\n    return x\n\n\ndef wrong() -> int:\n    return "one"\n')
    result = mypy(bad, tmp_path / "cache")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[no-untyped-def]" in result.stdout and "[return-value]" in result.stdout

    good = tmp_path / "good_module.py"
    good.write_text("def typed(x: int) -> int:\n    return x + 1\n")
    result = mypy(good, tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_strictly_typed_modules_exist():
    # A module moved (reviews/ into sub-packages, say) must take its place in the list with it.
    files = tomllib.loads(PYPROJECT.read_text())["tool"]["mypy"]["files"]
    assert files and [f for f in files if not (ROOT / f).is_file()] == []


def test_a_warning_fails_the_test_that_causes_it():
    # pytest.ini: filterwarnings = error, so a deprecation shows up the day it appears.
    with pytest.raises(DeprecationWarning):
        warnings.warn("this API goes away", DeprecationWarning, stacklevel=1)
