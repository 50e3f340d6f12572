"""Program office pages: calls under review, formal check, assigning experts and evaluators (SPEC §5.2–5.3)."""
from flask import Blueprint

bp = Blueprint("office", __name__, url_prefix="/office")
