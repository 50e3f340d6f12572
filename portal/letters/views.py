"""Program office: letter templates with live preview, issuing letters one by one or in batch, revoking."""
from flask import Blueprint

bp = Blueprint("letters", __name__, url_prefix="/office/letters")
