"""Settings read from environment variables; no production secret lives in code."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
UPLOAD_ENVELOPE_MB = 1  # room above MAX_UPLOAD_MB for the multipart envelope and the other form fields


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def instance_dir() -> Path:
    """Where the development database, secret key and uploads live (never served)."""
    path = Path(os.environ.get("PORTAL_INSTANCE_DIR") or BASE_DIR / "instance")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_dir() / 'portal.db'}"
    # Heroku-style URLs and bare "postgresql://" both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _development_secret_key() -> str:
    """Create once and keep a random key under instance/ so sessions survive restarts."""
    path = instance_dir() / "secret_key"
    try:  # O_EXCL: when several workers start at once, exactly one key is written
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    for _ in range(50):  # another process may be writing it right now
        key = path.read_text().strip()
        if key:
            return key
        import time

        time.sleep(0.02)
    raise ConfigError(f"{path} is empty: delete it to have a new key made")


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production without SECRET_KEY)."""


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask configuration from the environment, then apply overrides (tests)."""
    overrides = dict(overrides or {})
    env = overrides.get("PORTAL_ENV") or os.environ.get("PORTAL_ENV", "development")
    production = env == "production"
    redis_url = os.environ.get("REDIS_URL", "")
    secret_key = os.environ.get("SECRET_KEY", "")
    if not secret_key and "SECRET_KEY" not in overrides:
        if production:
            raise ConfigError(
                "SECRET_KEY is not set. Production refuses to start without it: "
                "set SECRET_KEY to a long random string "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        secret_key = _development_secret_key()
    cfg = {
        "PORTAL_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(instance_dir() / "uploads"),
        "DATA_ENCRYPTION_KEYS": os.environ.get("DATA_ENCRYPTION_KEYS", ""),
        "MAX_UPLOAD_MB": _int("MAX_UPLOAD_MB", 20),
        "LETTER_BATCH_CHUNK": _int("LETTER_BATCH_CHUNK", 25),
        "REMINDER_DAYS_BEFORE": _int("REMINDER_DAYS_BEFORE", 3),
        "REMINDER_REPEAT_DAYS": _int("REMINDER_REPEAT_DAYS", 7),
        # Mail: stored in the outbox always; sent over SMTP only when MAIL_SERVER is set.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "Talent Program Portal <noreply@localhost>"),
        "BABEL_DEFAULT_LOCALE": os.environ.get("BABEL_DEFAULT_LOCALE", "zh_CN"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ("zh_CN", "en"),
        # Security
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production or _bool("SESSION_COOKIE_SECURE"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production or _bool("SESSION_COOKIE_SECURE"),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or (redis_url or "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 10 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 10 minutes"),
        "PASSWORD_RESET_MAX_AGE": _int("PASSWORD_RESET_MAX_AGE", 3600),
        "EMAIL_CONFIRM_MAX_AGE": _int("EMAIL_CONFIRM_MAX_AGE", 3 * 24 * 3600),
        # Bootstrap assets come from the installed package, never a CDN.
        "BOOTSTRAP_SERVE_LOCAL": True,
    }
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    cfg.update(overrides)
    cfg.setdefault("MAX_CONTENT_LENGTH", (cfg["MAX_UPLOAD_MB"] + UPLOAD_ENVELOPE_MB) * 1024 * 1024)
    return cfg
