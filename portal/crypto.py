"""Encryption at rest for personal identifiers (ID card and passport numbers)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

_cache: dict[tuple, MultiFernet] = {}


def _fernet() -> MultiFernet:
    """DATA_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first) or a key derived from SECRET_KEY."""
    keys = current_app.config.get("DATA_ENCRYPTION_KEYS") or ""
    material = tuple(k.strip() for k in keys.split(",") if k.strip())
    if not material:
        digest = hashlib.sha256(("portal-data-key:" + current_app.config["SECRET_KEY"]).encode()).digest()
        material = (base64.urlsafe_b64encode(digest).decode(),)
    if material not in _cache:
        _cache[material] = MultiFernet([Fernet(k.encode()) for k in material])
    return _cache[material]


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: the data encryption key has changed") from exc


class EncryptedString(TypeDecorator):
    """A string column stored as a Fernet token; the database never sees the clear text."""

    impl = String(400)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value in (None, "") else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)
