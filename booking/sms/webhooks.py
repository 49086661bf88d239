"""Twilio webhooks: /sms/inbound and /sms/status."""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("sms", __name__, url_prefix="/sms")
csrf.exempt(bp)  # Twilio cannot send a CSRF token; every request is signature-checked instead
