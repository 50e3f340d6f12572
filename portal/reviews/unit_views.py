"""Unit admins' pages: the unit's applications, endorse / return / decline, and the unit's ranking (SPEC §5.1)."""
from flask import Blueprint

bp = Blueprint("unit", __name__, url_prefix="/unit")
