"""Staff pages (/staff/...) and the public hall display (/display/<office code>)."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")
display_bp = Blueprint("display", __name__)
