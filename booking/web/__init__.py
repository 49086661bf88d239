"""Citizen pages."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from . import health, routes, waiting  # noqa: E402,F401  (routes attach themselves to bp)
