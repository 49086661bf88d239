"""Twilio webhooks: POST /sms/inbound (replies) and POST /sms/status (delivery reports).

Both check X-Twilio-Signature with the SDK's RequestValidator against the URL Twilio
called, rebuilt from PUBLIC_BASE_URL (behind a proxy the request's own URL differs), and
answer 403 when it is missing or wrong. The handlers only check and translate; the rules
live in inbound.py and outbox.py.
"""

from __future__ import annotations

import logging
from functools import wraps

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from ..extensions import csrf
from ..links import public_url
from ..notify import outbox
from . import replies as inbound
from .gateway import mask_phone

bp = Blueprint("sms", __name__, url_prefix="/sms")
csrf.exempt(bp)  # Twilio cannot send a CSRF token; every request is signature-checked instead
log = logging.getLogger("booking.sms")


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path and query (the request's own without it)."""
    path = request.full_path[:-1] if request.full_path.endswith("?") else request.full_path
    return public_url(path)


def twilio_signed(view):
    """403 unless X-Twilio-Signature is right for this URL and these form parameters."""

    @wraps(view)
    def checked(*args, **kwargs):
        token = current_app.config.get("TWILIO_AUTH_TOKEN")
        signature = request.headers.get("X-Twilio-Signature", "")
        params = request.form.to_dict()
        if not token or not signature or not RequestValidator(token).validate(
                signed_url(), params, signature):
            abort(403)
        return view(*args, **kwargs)

    return checked


def twiml(text: str) -> Response:
    response = MessagingResponse()
    if text:
        response.message(text)
    return Response(str(response), mimetype="application/xml")


@bp.post("/inbound")
@twilio_signed
def inbound_sms():
    sid = request.form.get("MessageSid", "").strip()
    phone = request.form.get("From", "").strip()
    if not sid or len(sid) > 64 or not phone or len(phone) > 20:
        return twiml(""), 400
    answer = inbound.handle(sid, phone, request.form.get("Body", ""),
                            opt_out_type=request.form.get("OptOutType", "").upper() or None)
    log.info("sms reply from %s: %s%s", mask_phone(phone), answer.outcome,
             " (repeat)" if answer.duplicate else "")
    return twiml(answer.text)


@bp.post("/status")
@twilio_signed
def delivery_status():
    message_id = request.args.get("m", type=int)
    if message_id is not None and not 0 < message_id < 2**31:
        message_id = None  # not one of ours; the provider's id alone decides
    outbox.record_status(request.form.get("MessageSid", "")[:64],
                         request.form.get("MessageStatus", ""), message_id=message_id,
                         error_code=request.form.get("ErrorCode"))
    return Response(status=204)
