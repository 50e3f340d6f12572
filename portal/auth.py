"""Access rules shared by every blueprint: role checks and safe redirects."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort
from flask_login import current_user

from .extensions import login_manager


def roles_required(*roles):
    """Only logged-in people holding one of `roles` may use the view (others: login, or 403)."""
    wanted = {getattr(r, "value", r) for r in roles}

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.role_names & wanted:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(wanted)
        return wrapped

    return decorator


def is_safe_next(target: str | None) -> bool:
    """True only for a local path such as /applications/3 (never //host or http://host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target)
