"""Absolute links for texts and calendar files, built from PUBLIC_BASE_URL; the reference as the
QR code the door scans (the citizen's pages and the slip a clerk prints)."""

import segno
from flask import current_app, has_request_context, request
from markupsafe import Markup


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


def qr_svg(reference: str) -> Markup:
    """The reference as an inline SVG QR code, for the scanner at the door (no external fetch)."""
    svg = segno.make(reference, error="m", micro=False).svg_inline(scale=6, border=2, dark="#1f2933")
    # bandit B704: segno's own SVG of our reference (letters and digits), no user text in it
    return Markup(svg.replace("<svg ", '<svg role="img" aria-hidden="true" focusable="false" ', 1))  # nosec B704
