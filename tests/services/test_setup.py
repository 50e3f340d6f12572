"""Configuration, migrations from empty, the demo seed and the first admin: what `make run` relies on."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from portal.config import ConfigError, load_config
from tests.conftest import scratch_database

ROOT = Path(__file__).resolve().parents[2]


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config()


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    cfg = load_config()
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["SESSION_COOKIE_HTTPONLY"] and cfg["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_creates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "development")
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    first = load_config()["SECRET_KEY"]
    assert len(first) > 40 and (tmp_path / "secret_key").read_text().strip() == first
    assert load_config()["SECRET_KEY"] == first


def test_environment_settings(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h:5432/d")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.cn")
    monkeypatch.setenv("MAIL_PORT", "465")
    cfg = load_config({"SECRET_KEY": "k"})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h:5432/d"
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert cfg["MAIL_PORT"] == 465 and cfg["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    assert cfg["BABEL_DEFAULT_LOCALE"] == "zh_CN"


def _flask(args, url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FLASK_APP": "wsgi.py",
        "PORTAL_INSTANCE_DIR": str(tmp_path),
        "PORTAL_ENV": "development",
        "SECRET_KEY": "cli-test",
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_upgrade_from_empty_then_check_seed_twice_and_create_admin(app, tmp_path):
    url, drop = scratch_database(app)
    try:
        result = _flask(["db", "upgrade"], url, tmp_path)
        assert result.returncode == 0, result.stderr
        result = _flask(["db", "check"], url, tmp_path)
        assert result.returncode == 0 and "No new upgrade operations detected" in result.stdout + result.stderr, (
            result.stdout + result.stderr
        )
        for _ in range(2):  # loading the demo twice is harmless
            result = _flask(["seed", "demo"], url, tmp_path)
            assert result.returncode == 0, result.stderr
        assert "admin@demo.talent.cn" in result.stdout
        result = _flask(
            [
                "users",
                "create-admin",
                "--email",
                "root@example.cn",
                "--name",
                "管理员",
                "--password",
                "a-long-password",
            ],
            url,
            tmp_path,
        )
        assert result.returncode == 0, result.stderr
        result = _flask(["audit", "verify"], url, tmp_path)
        assert result.returncode == 0 and "intact" in result.stdout

        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("programs", "calls", "units", "users", "disciplines")
            }
            roles = set(conn.execute(text("SELECT DISTINCT role FROM user_roles")).scalars())
        engine.dispose()
        assert counts["programs"] == 7 and counts["calls"] == 7 and counts["units"] >= 10
        # 5 demo accounts, a second program office, 5 more experts, 5 demo applicants with submitted applications,
        # 1 admin
        assert counts["users"] == 17 and counts["disciplines"] >= 10
        assert roles == {"applicant", "unit_admin", "expert", "program_admin", "sysadmin"}
    finally:
        drop()


def test_missing_harfbuzz_subset_is_reported_loudly(app, monkeypatch, caplog):
    import ctypes.util

    from portal import check_pdf_libraries

    assert check_pdf_libraries(app) is True  # installed by make (libharfbuzz-subset0)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with caplog.at_level("WARNING"):
        assert check_pdf_libraries(app) is False
    assert "libharfbuzz-subset" in caplog.text and "apt-get install libharfbuzz-subset0" in caplog.text
