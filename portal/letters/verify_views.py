"""Public verification of letters by code, and of an uploaded PDF against the issued one."""
from flask import Blueprint

bp = Blueprint("verify", __name__, url_prefix="/verify")
