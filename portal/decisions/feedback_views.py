"""Applicants: the experts' comments meant for them (专家一、专家二…) and the appeal (复审) within 15 days."""
from flask import Blueprint

bp = Blueprint("feedback", __name__, url_prefix="/applications")
