"""The JSON API under /api/v1 (docs/contract.md), and the public calendar files."""

from flask import Blueprint

from ..extensions import csrf
from . import errors

bp = Blueprint("api", __name__, url_prefix="/api/v1")
public_bp = Blueprint("files", __name__)  # /bookings/<reference>.ics
csrf.exempt(bp)  # no cookies: citizens prove themselves with codes and tokens, staff with bearer tokens
errors.register(bp)  # every error under /api/v1 is JSON: {"error", "message", "fields"}

from . import bureau, calendar, citizen, health, openapi, staff, waiting  # noqa: E402,F401  (routes attach themselves to bp)
