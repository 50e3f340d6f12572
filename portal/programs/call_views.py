"""The program office's calls: create or copy, edit while a draft, unit quotas, the guide, and the call's life."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("call_office", __name__, url_prefix="/office")
