"""Experts' pages: the queue with due dates, accept or decline, and the scoring form (SPEC §5.5)."""
from flask import Blueprint

bp = Blueprint("expert", __name__, url_prefix="/expert")
