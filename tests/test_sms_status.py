"""POST /sms/status: signature-checked delivery reports, applied once and only forwards."""

from __future__ import annotations

import datetime as dt

import pytest
from twilio.request_validator import RequestValidator

from booking.extensions import db
from booking.models import SmsMessage
from booking.notify import outbox
from booking.sms import worker
from booking.sms.console import ConsoleGateway
from booking.sms.gateway import SendResult
from tests.twilio_server import AUTH_TOKEN

PUBLIC = "https://booking.example.gov.cn"
SID = "SM" + "ab" * 16


@pytest.fixture
def signed_app(app):
    app.config["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    return app


def message(status="sending", provider_sid=None) -> int:
    row = SmsMessage(kind="booked", phone="+8613812345678", lang="zh", body="x", status=status,
                     provider_sid=provider_sid)
    db.session.add(row)
    db.session.commit()
    return row.id


def report(client, message_id, status, sid=SID, signature=None, url=None, **extra):
    path = f"/sms/status?m={message_id}"
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "5e" * 16, **extra}
    if signature is None:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url or PUBLIC + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def status_of(message_id):
    db.session.expire_all()
    row = db.session.get(SmsMessage, message_id)
    return row.status, row.provider_sid, row.error_code


def test_a_report_moves_the_status_forward(signed_app, client):
    with signed_app.app_context():
        message_id = message(status="queued", provider_sid=SID)
        assert report(client, message_id, "sent").status_code == 204
        assert status_of(message_id) == ("sent", SID, None)
        assert report(client, message_id, "delivered").status_code == 204
        assert status_of(message_id) == ("delivered", SID, None)


def test_reports_out_of_order_never_go_back(signed_app, client):
    with signed_app.app_context():
        message_id = message(status="queued", provider_sid=SID)
        report(client, message_id, "delivered")
        report(client, message_id, "sent")
        report(client, message_id, "queued")
        assert status_of(message_id)[0] == "delivered"


def test_the_same_report_twice_changes_nothing_the_second_time(signed_app, client):
    with signed_app.app_context():
        message_id = message(status="queued", provider_sid=SID)
        report(client, message_id, "undelivered", ErrorCode="30003")
        before = db.session.get(SmsMessage, message_id).updated_at
        assert report(client, message_id, "undelivered", ErrorCode="30003").status_code == 204
        assert status_of(message_id) == ("undelivered", SID, "30003")
        assert db.session.get(SmsMessage, message_id).updated_at == before
        assert [m.id for m in outbox.failures()] == [message_id]  # staff see it


def test_a_report_before_the_worker_recorded_the_send_is_kept(signed_app, client):
    """The callback overtakes the worker: the row still says `sending`."""
    with signed_app.app_context():
        message_id = message(status="pending")
        worker.claim()
        report(client, message_id, "sent")
        assert status_of(message_id) == ("sent", SID, None)
        claimed = worker._load([message_id], ConsoleGateway(), dt.datetime.now(dt.UTC))[0]
        worker._record_sent(claimed, SendResult(SID, "queued"), dt.datetime.now(dt.UTC))
        assert status_of(message_id) == ("sent", SID, None)  # not back to queued


def test_a_report_for_another_provider_id_does_not_touch_the_row(signed_app, client):
    with signed_app.app_context():
        message_id = message(status="queued", provider_sid=SID)
        report(client, message_id, "failed", sid="SM" + "cd" * 16)
        assert status_of(message_id) == ("queued", SID, None)


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_missing_or_wrong_signature_is_refused(signed_app, client, signature):
    with signed_app.app_context():
        message_id = message(status="queued", provider_sid=SID)
        response = report(client, message_id, "delivered", signature=signature)
        assert response.status_code == 403
        assert status_of(message_id)[0] == "queued"


def test_signature_for_the_proxys_inner_url_is_refused(signed_app, client):
    """Signed for http://localhost/... (what the app sees), not for PUBLIC_BASE_URL."""
    with signed_app.app_context():
        message_id = message(status="queued", provider_sid=SID)
        response = report(client, message_id, "delivered",
                          url=f"http://localhost/sms/status?m={message_id}")
        assert response.status_code == 403


def test_without_an_auth_token_every_webhook_is_refused(app, client):
    with app.app_context():
        message_id = message(status="queued", provider_sid=SID)
        assert report(client, message_id, "delivered").status_code == 403


def test_an_unknown_or_absurd_message_id_is_harmless(signed_app, client):
    with signed_app.app_context():
        assert report(client, 99999999999999999999, "delivered").status_code == 204
        assert report(client, 424242, "delivered").status_code == 204
        assert report(client, 1, "no-such-status").status_code == 204
