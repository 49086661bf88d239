"""Provider webhooks.

Twilio: POST /sms/inbound (replies) and POST /sms/status (delivery reports). Both check
X-Twilio-Signature with the SDK's RequestValidator against the URL Twilio
called, rebuilt from PUBLIC_BASE_URL (behind a proxy the request's own URL differs), and
answer 403 when it is missing or wrong.

Alibaba Cloud: POST /sms/aliyun/<ALIYUN_SMS_CALLBACK_TOKEN>/up (uplink replies) and
/report (delivery receipts), JSON arrays by HTTP batch push, answered {"code": 0, "msg": ...};
a wrong token is a 404. Pushes are retried by the provider: a reply acts once per
phone_number + sequence_id, and a status only moves forward.

The handlers only check and translate; the rules live in replies.py and notify/outbox.py.
"""

from __future__ import annotations

import hmac
import logging
from functools import wraps

from flask import Blueprint, Response, abort, current_app, jsonify, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from ..extensions import csrf
from ..input_edge import parse_id
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
    message_id = parse_id(request.args.get("m"))  # None: not one of ours; the provider's id decides
    outbox.record_status(request.form.get("MessageSid", "")[:64],
                         request.form.get("MessageStatus", ""), message_id=message_id,
                         error_code=request.form.get("ErrorCode"))
    return Response(status=204)


# --- Alibaba Cloud: HTTP batch push of uplink replies (SmsUp) and receipts (SmsReport) -------

ALIYUN_OK = {"code": 0, "msg": "成功"}
MAX_BATCH = 1000  # items in one push


def aliyun_token_checked(view):
    """404 unless the path's token is ALIYUN_SMS_CALLBACK_TOKEN (compared in constant time);
    pushes are refused altogether while it is unset."""

    @wraps(view)
    def checked(token: str, *args, **kwargs):
        expected = current_app.config.get("ALIYUN_SMS_CALLBACK_TOKEN") or ""
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            abort(404)
        return view(*args, **kwargs)

    return checked


def pushed_items() -> list[dict]:
    """The pushed JSON array (its objects only); 400 if the body is not one."""
    items = request.get_json(silent=True)
    if not isinstance(items, list) or len(items) > MAX_BATCH:
        abort(400)
    return [item for item in items if isinstance(item, dict)]


def mainland(phone_number) -> str | None:
    """A pushed phone_number (13812345678, 8613812345678 or +86...) as +86...; None if not one."""
    digits = str(phone_number or "").strip().lstrip("+")
    digits = digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
    return f"+86{digits}" if len(digits) == 11 and digits.isdigit() and digits[0] == "1" else None


@bp.post("/aliyun/<token>/up")
@aliyun_token_checked
def aliyun_uplink():
    for item in pushed_items():
        phone, sequence = mainland(item.get("phone_number")), str(item.get("sequence_id") or "")
        if phone is None or not sequence.isdigit() or len(sequence) > 30:
            log.warning("aliyun uplink without a usable number or sequence_id: skipped")
            continue
        answer = inbound.handle(f"aliyun:{phone}:{sequence}", phone, str(item.get("content") or ""),
                                queue_answer=True, route="aliyun")
        log.info("sms uplink from %s: %s%s", mask_phone(phone), answer.outcome,
                 " (repeat)" if answer.duplicate else "")
    return jsonify(ALIYUN_OK)


@bp.post("/aliyun/<token>/report")
@aliyun_token_checked
def aliyun_report():
    for item in pushed_items():
        message_id = parse_id(item.get("out_id"))  # None: not one of ours; the biz_id decides
        status = "delivered" if item.get("success") in (True, "true") else "undelivered"
        outbox.record_status(str(item.get("biz_id") or "")[:64], status, message_id=message_id,
                             error_code=str(item.get("err_code") or "") or None)
    return jsonify(ALIYUN_OK)
