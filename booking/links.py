"""Absolute links for texts and calendar files, built from PUBLIC_BASE_URL."""

from flask import current_app, has_request_context, request


def public_url(path: str) -> str:
    """PUBLIC_BASE_URL + path; without it, the current request's own root (as the contract says),
    and outside a request LOCAL_BASE_URL: the development server's port (FLASK_RUN_PORT, which
    `make run PORT=…` sets for the server and the SMS worker alike)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        base = request.url_root if has_request_context() else current_app.config["LOCAL_BASE_URL"]
    return base.rstrip("/") + path


def manage_url(reference: str, token: str) -> str:
    """The short link carried by every text: it opens the booking's manage page."""
    return public_url(f"/m/{reference}/{token}")


def ics_url(reference: str, token: str) -> str:
    return public_url(f"/bookings/{reference}.ics?token={token}")
