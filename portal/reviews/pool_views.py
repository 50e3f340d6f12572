"""Program admins keep the expert pool: import from CSV/XLSX, create and edit experts, declare conflicts."""
from flask import Blueprint

bp = Blueprint("pool", __name__, url_prefix="/office/pool")
