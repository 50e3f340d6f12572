"""The public notice page (公示) and the objection form, open to anyone."""
from flask import Blueprint

bp = Blueprint("notice", __name__, url_prefix="/notice")
