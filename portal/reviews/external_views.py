"""User and social evaluators: the scoring form through a token link, without an account (SPEC §5.5)."""
from flask import Blueprint

bp = Blueprint("evaluate", __name__, url_prefix="/evaluate")
