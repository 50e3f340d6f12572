"""Program admins' ranking of a call: final and component scores, flags, switchable aggregation, CSV."""
from flask import Blueprint

bp = Blueprint("ranking", __name__, url_prefix="/office")
