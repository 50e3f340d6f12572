"""Program office: committee decision sessions, publishing the public notice, handling objections and appeals."""
from flask import Blueprint

bp = Blueprint("decisions", __name__, url_prefix="/office/decisions")
