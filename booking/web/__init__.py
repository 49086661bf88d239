"""Citizen pages."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from . import health, routes  # noqa: E402,F401  (routes attach themselves to bp)
