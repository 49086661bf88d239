"""The outbox worker through the real Twilio SDK and a local Twilio-compatible server:
delivery end to end, retries, permanent errors, crashes; and the console backend."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest
from sqlalchemy import select

from booking import bookings
from booking.extensions import db
from booking.models import AuditEvent, PhoneOptOut, SmsMessage
from booking.notify import outbox
from booking.sms import worker
from tests.factories import PHONE, setup_marriage_slot, verified, visitor
from tests.twilio_server import closed_port_url, serve_twilio

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def book_one():
    slot = setup_marriage_slot()
    return bookings.book(slot_id=slot.id, phone=PHONE, visitors=[visitor(1), visitor(2)],
                         verification=verified()).booking


def a_text(kind="booked", phone=PHONE, body="测试短信") -> int:
    message = SmsMessage(kind=kind, phone=phone, lang="zh", body=body, next_attempt_at=T0)
    db.session.add(message)
    db.session.commit()
    return message.id


def row(message_id) -> SmsMessage:
    db.session.expire_all()
    return db.session.get(SmsMessage, message_id)


@pytest.fixture
def twilio_server(app, live_server):
    yield from serve_twilio(app, live_server)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        db.session.rollback()  # no transaction (on SQLite: no write lock) held while waiting
        if found:
            return True
        time.sleep(0.05)
    return False


def test_booking_text_goes_through_the_sdk_and_the_status_callback_marks_it_delivered(
        app, twilio_server):
    with app.app_context():
        booking = book_one()
        assert worker.drain() == 2  # the verification code and the booking text
        twilio_server.wait_callbacks()
        sent = twilio_server.sent_to(PHONE)
        assert [booking.reference in m["body"] for m in sent] == [False, True]
        assert all(m["from"] == "+15005550006" for m in sent)
        assert sent[1]["status_callback"] == (
            f"https://booking.example.gov.cn/sms/status?m={sent_id(booking.id)}")
        message = row(sent_id(booking.id))
        assert message.status == "delivered"
        assert message.provider_sid == sent[1]["sid"]
        assert message.attempts == 1 and message.sent_at is not None
        assert set(twilio_server.callback_results) == {204}


def test_a_citizen_books_through_the_api_with_the_code_from_the_delivered_text(
        app, live_server, twilio_server):
    """The whole path over HTTP: the code arrives at the (test) provider, the citizen types
    it in, the booking text goes out, and Twilio's callbacks mark both texts delivered."""
    import re

    import requests

    with app.app_context():
        slot_id = setup_marriage_slot().id
    api = live_server + "/api/v1"
    started = requests.post(f"{api}/phone-verifications", json={"phone": PHONE, "lang": "en"})
    assert started.status_code == 201
    with app.app_context():
        assert worker.drain() == 1
    code = re.search(r"\b(\d{6})\b", twilio_server.sent_to(PHONE)[0]["body"])[1]
    booked = requests.post(f"{api}/bookings", json={
        "slot_id": slot_id, "phone": PHONE, "verification_id": started.json()["id"],
        "code": code, "visitors": [visitor(1), visitor(2)], "lang": "en"})
    assert booked.status_code == 201, booked.text
    with app.app_context():
        assert worker.drain() == 1
        twilio_server.wait_callbacks()
        text = twilio_server.sent_to(PHONE)[1]["body"]
        assert text.startswith("Booked: ") and booked.json()["reference"] in text
        statuses = db.session.scalars(select(SmsMessage.status).order_by(SmsMessage.id)).all()
        assert statuses == ["delivered", "delivered"]


def sent_id(booking_id) -> int:
    return db.session.scalar(select(SmsMessage.id).where(SmsMessage.booking_id == booking_id))


def test_provider_down_is_retried_within_a_minute_and_sent_once_it_is_back(app, twilio_server):
    with app.app_context():
        message_id = a_text()
        app.config["TWILIO_API_BASE_URL"] = closed_port_url()
        assert worker.drain(now=T0) == 1
        message = row(message_id)
        assert message.status == "pending" and message.attempts == 1
        assert dt.timedelta(0) < message.next_attempt_at - T0 <= dt.timedelta(minutes=1)
        assert message.error_message.startswith("network")
        app.config["TWILIO_API_BASE_URL"] = twilio_server.url
        assert worker.drain(now=T0 + dt.timedelta(seconds=10)) == 0  # not due yet
        assert worker.drain(now=T0 + dt.timedelta(minutes=1)) == 1
        assert len(twilio_server.sent_to(PHONE)) == 1
        assert row(message_id).status in ("queued", "sent", "delivered")


def test_a_server_error_is_retried_and_the_text_sent_exactly_once(app, twilio_server):
    with app.app_context():
        message_id = a_text()
        twilio_server.script(("status", 500), ("status", 503))
        worker.drain(now=T0)
        first = row(message_id)
        assert (first.status, first.error_code) == ("pending", "20500")
        first_retry = first.next_attempt_at
        assert first_retry == T0 + dt.timedelta(seconds=30)
        worker.drain(now=first_retry)
        second_retry = row(message_id).next_attempt_at
        assert second_retry == first_retry + dt.timedelta(seconds=60)  # doubled
        worker.drain(now=second_retry)
        assert twilio_server.requests == 3
        assert len(twilio_server.sent_to(PHONE)) == 1
        assert row(message_id).attempts == 3 and row(message_id).provider_sid


def test_429_waits_at_least_as_long_as_retry_after_says(app, twilio_server):
    with app.app_context():
        message_id = a_text()
        twilio_server.script(("status", 429, 120))
        worker.drain(now=T0)
        assert row(message_id).next_attempt_at == T0 + dt.timedelta(seconds=120)
        assert worker.drain(now=T0 + dt.timedelta(seconds=60)) == 0
        assert twilio_server.requests == 1
        worker.drain(now=T0 + dt.timedelta(seconds=120))
        assert twilio_server.requests == 2 and len(twilio_server.sent_to(PHONE)) == 1


def test_an_invalid_number_fails_for_good_and_is_shown_to_staff(app, twilio_server):
    with app.app_context():
        booking = book_one()
        twilio_server.script("ok", ("error", 400, 21211))
        # The booking's text is due when it was written, at the real time: T0 may be past by now.
        now = max(T0, row(sent_id(booking.id)).next_attempt_at)
        worker.drain(now=now)
        message = row(sent_id(booking.id))
        assert (message.status, message.error_code) == ("failed", "21211")
        assert "not a valid phone number" in message.error_message
        # Twilio quotes the number; it is stored without it (issue 27), in every spelling
        assert "[number]" in message.error_message and booking.phone[-8:] not in message.error_message
        assert worker.drain(now=now + dt.timedelta(days=1)) == 0
        assert twilio_server.requests == 2  # never retried
        assert [m.id for m in outbox.failures(office_id=booking.office_id)] == [message.id]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sms_failed"))
        assert event.booking_id == booking.id and "21211" in event.detail


def test_unsubscribed_and_landline_numbers_are_permanent_errors_too(app, twilio_server):
    with app.app_context():
        ids = [a_text(phone=p) for p in ("+8613900000001", "+8613900000002")]
        twilio_server.script(("error", 400, 21610), ("error", 400, 21614))
        worker.drain(now=T0)
        assert [row(i).error_code for i in ids] == ["21610", "21614"]
        assert {row(i).status for i in ids} == {"failed"}


def test_a_timeout_after_the_provider_accepted_is_not_sent_again(app, twilio_server):
    """The request times out (0.5 s) but the provider accepts the text after 1 s: its status
    callback names our row, so the scheduled retry finds the text already on its way."""
    with app.app_context():
        message_id = a_text()
        twilio_server.script(("slow", 1.0))
        worker.drain(now=T0)
        assert row(message_id).status == "pending"
        assert row(message_id).error_message == "timeout"
        assert wait_for(lambda: row(message_id).status == "delivered")
        assert worker.drain(now=T0 + dt.timedelta(minutes=5)) == 0
        assert len(twilio_server.sent_to(PHONE)) == 1
        assert row(message_id).provider_sid == twilio_server.messages[0]["sid"]


def test_a_timeout_without_acceptance_is_retried(app, twilio_server):
    with app.app_context():
        twilio_server.callbacks = ()  # the accepted copy never reports back...
        message_id = a_text()
        twilio_server.script(("slow", 0.8))
        worker.drain(now=T0)
        assert wait_for(lambda: len(twilio_server.messages) == 1)
        twilio_server.messages.clear()  # ...and is as good as lost in the provider
        worker.drain(now=T0 + dt.timedelta(seconds=30))
        assert len(twilio_server.sent_to(PHONE)) == 1 and row(message_id).attempts == 2


def test_a_worker_killed_after_claiming_loses_nothing(app, twilio_server):
    with app.app_context():
        ids = [a_text(body=f"text {i}") for i in range(5)]
        assert worker.claim(now=T0) == ids  # claimed and committed, then the worker dies
        assert {row(i).status for i in ids} == {"sending"}
        assert worker.drain(now=T0 + dt.timedelta(minutes=1)) == 0  # the lease still holds
        assert worker.drain(now=T0 + worker.LEASE + dt.timedelta(seconds=1)) == 5
        assert sorted(m["body"] for m in twilio_server.messages) == [f"text {i}" for i in range(5)]
        assert {row(i).attempts for i in ids} == {2}


def test_it_gives_up_after_the_last_attempt(app, twilio_server):
    with app.app_context():
        message_id = a_text()
        twilio_server.script(*[("status", 500)] * worker.MAX_ATTEMPTS)
        now = T0
        for _ in range(worker.MAX_ATTEMPTS):
            worker.drain(now=now)
            now = max(now, row(message_id).next_attempt_at)
        message = row(message_id)
        assert (message.status, message.error_code) == ("failed", "20500")
        assert message.error_message.startswith("gave up")
        assert message.next_attempt_at - T0 < dt.timedelta(hours=6)


def test_no_text_goes_to_a_number_that_opted_out(app, twilio_server):
    with app.app_context():
        message_id = a_text()
        db.session.add(PhoneOptOut(phone=PHONE, keyword="STOP"))
        db.session.commit()
        worker.drain(now=T0)
        assert (row(message_id).status, row(message_id).error_code) == ("failed", "opted_out")
        assert twilio_server.requests == 0


def test_backoff_starts_within_a_minute_doubles_and_is_capped():
    assert [worker.backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert worker.backoff(20) == 3600
    assert worker.backoff(1, retry_after=300) == 300


# --- the console backend --------------------------------------------------------------------

def test_console_backend_records_and_logs_without_the_code(app, caplog, capsys):
    with app.app_context(), caplog.at_level(logging.INFO, logger="booking.sms"):
        verification_id, code = verified()
        worker.drain()
        message = db.session.scalars(select(SmsMessage)).one()
        assert message.status == "sent" and message.provider_sid.startswith("CONSOLE")
        assert "verification_code" in caplog.text and "+86138****5678" in caplog.text
        assert code not in caplog.text and PHONE not in caplog.text
        assert code not in capsys.readouterr().err  # nothing printed without SMS_DEV_DELIVERY


def test_dev_delivery_prints_the_text_for_the_developer(app, capsys):
    app.config["SMS_DEV_DELIVERY"] = True
    with app.app_context():
        verification_id, code = verified()
        worker.drain()
        assert code in capsys.readouterr().err


def test_worker_once_command_drains_the_outbox(app, runner):
    with app.app_context():
        book_one()
    result = runner.invoke(args=["sms", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "2 texts handled" in result.output
    with app.app_context():
        assert {m.status for m in db.session.scalars(select(SmsMessage))} == {"sent"}


def test_claims_take_the_oldest_due_texts_first_and_skip_future_ones(app):
    with app.app_context():
        later = a_text()
        row(later).next_attempt_at = T0 + dt.timedelta(hours=1)
        db.session.commit()
        due = [a_text() for _ in range(3)]
        assert worker.claim(now=T0, batch=2) == due[:2]
        assert worker.claim(now=T0, batch=5) == due[2:]
        assert worker.claim(now=T0 + dt.timedelta(minutes=3), batch=5) == []  # leases hold
        # Two hours on, the later text is due and the abandoned claims have expired.
        assert worker.claim(now=T0 + dt.timedelta(hours=2), batch=5) == due + [later]


def test_the_running_worker_delivers_new_texts_and_stops_when_told(app):
    stop = threading.Event()

    def run():
        with app.app_context():
            worker.run_forever(stop, poll=0.05)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        with app.app_context():
            message_id = a_text()
            row(message_id).next_attempt_at = dt.datetime.now(dt.UTC)
            db.session.commit()
            assert wait_for(lambda: row(message_id).status == "sent")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


@pytest.mark.slow
def test_a_worker_process_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
        app, twilio_server):
    """A real `flask sms worker` is SIGKILLed while the provider is accepting its third text.
    The provider's callback for that text still names our row, so after the lease another
    worker sends exactly the three that were never accepted."""
    import collections
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    with app.app_context():
        for i in range(6):
            a_text(body=f"text {i}")
            row(i + 1).next_attempt_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.session.commit()
    twilio_server.script(*[("slow", 1.0)] * 3)
    config = app.config
    env = dict(os.environ, DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY=config["SECRET_KEY"], PUBLIC_BASE_URL=config["PUBLIC_BASE_URL"],
               SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID=config["TWILIO_ACCOUNT_SID"],
               TWILIO_AUTH_TOKEN=config["TWILIO_AUTH_TOKEN"],
               TWILIO_FROM_NUMBER=config["TWILIO_FROM_NUMBER"],
               TWILIO_API_BASE_URL=config["TWILIO_API_BASE_URL"], SMS_SEND_TIMEOUT="5")
    flask = Path(sys.executable).parent / "flask"
    process = subprocess.Popen([str(flask), "--app", "wsgi", "sms", "worker", "--once"], env=env,
                               cwd=Path(__file__).parent.parent, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while twilio_server.requests < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(10)
    assert twilio_server.requests == 3
    with app.app_context():  # the third text is accepted after the kill; its callbacks arrive
        assert wait_for(lambda: len(twilio_server.messages) == 3)
    twilio_server.wait_callbacks()
    with app.app_context():
        assert worker.drain(now=dt.datetime.now(dt.UTC) + worker.LEASE + dt.timedelta(seconds=1)) == 3
        twilio_server.wait_callbacks()
        bodies = collections.Counter(m["body"] for m in twilio_server.messages)
        assert bodies == {f"text {i}": 1 for i in range(6)}
        assert {row(i + 1).status for i in range(6)} <= {"sent", "delivered"}


def test_worker_command_refuses_an_incomplete_twilio_setup(app, runner):
    app.config.update(SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID=None)
    result = runner.invoke(args=["sms", "worker", "--once"])
    assert result.exit_code == 1 and "TWILIO_ACCOUNT_SID" in result.output


def test_an_hour_long_provider_outage_loses_nothing_and_drains_afterwards(app, twilio_server):
    """Twenty texts owed while the provider is down for an hour of simulated time, the
    worker running every minute: none is lost or given up, each is sent once afterwards."""
    with app.app_context():
        ids = [a_text(phone=f"+86138{n:08d}") for n in range(20)]
        app.config["TWILIO_API_BASE_URL"] = closed_port_url()
        for minute in range(60):
            worker.drain(now=T0 + dt.timedelta(minutes=minute))
        assert {row(i).status for i in ids} == {"pending"}
        app.config["TWILIO_API_BASE_URL"] = twilio_server.url
        for minute in range(60, 60 + 90):  # the longest back-off after an hour is under 30 min
            worker.drain(now=T0 + dt.timedelta(minutes=minute))
        assert {row(i).status for i in ids} <= {"queued", "sent", "delivered"}
        assert sorted(len(twilio_server.sent_to(f"+86138{n:08d}")) for n in range(20)) == [1] * 20
