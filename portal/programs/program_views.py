"""The program office's own programs: create, edit and archive them, with their documents, questions and rules."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("program_office", __name__, url_prefix="/office/programs")
