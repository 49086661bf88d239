"""No secret at rest in the SMS tables (issue 15): neither a manage token nor a verification
code is ever stored in clear in `sms_message` or `inbound_message`, the sealed code opens
only with this SECRET_KEY and for its own row, and the migration erases what earlier
versions kept."""

from __future__ import annotations

import datetime as dt

import flask_migrate
import pytest
from sqlalchemy import inspect, select, text

from booking import bookings
from booking.extensions import db
from booking.models import InboundMessage, SmsMessage
from booking.notify import outbox, sealed
from booking.sms import reminders, worker
from tests.aliyun_server import CALLBACK_TOKEN, uplink
from tests.factories import PHONE, last_code, make_office, make_service, make_slot, verified, visitor
from tests.twilio_server import AUTH_TOKEN

from .conftest import make_app
from .test_sms_inbound import answer
from .test_sms_inbound import text as twilio_reply

BEFORE = "36bcf46c7fa9"  # the schema whose sms_message.body kept links and codes in clear


def stored_text() -> str:
    """Every value of every row of the two SMS tables, as one string."""
    db.session.expire_all()
    rows = [*db.session.scalars(select(SmsMessage)), *db.session.scalars(select(InboundMessage))]
    return " ".join(str(getattr(row, column.key)) for row in rows
                    for column in inspect(type(row)).columns)


def test_no_token_or_code_is_stored_in_clear_from_booking_to_replies(app, client):
    app.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, ALIYUN_SMS_CALLBACK_TOKEN=CALLBACK_TOKEN)
    with app.app_context():
        service = make_service(make_office(), requires_confirmation=True)
        slot = make_slot(service, days_ahead=1)
        db.session.commit()
        booking = bookings.book(slot_id=slot.id, phone=PHONE, visitors=[visitor(1), visitor(2)],
                                verification=verified()).booking
        token, code = bookings.manage_token(booking), last_code()
        local = slot.starts_at.astimezone(booking.office.tz) - dt.timedelta(hours=15)
        assert reminders.run_due(local.astimezone(dt.UTC)).reminders == 1  # the health link
        assert token in answer(twilio_reply(client, "HELP"))  # the answer carries the link...
        client.post(f"/sms/aliyun/{CALLBACK_TOKEN}/up", json=[uplink(PHONE, "帮助", 1)])
        stored = stored_text()
        assert token not in stored and code not in stored  # ...what is stored does not
        worker.drain()
        stored = stored_text()
        assert token not in stored and code not in stored
        assert db.session.scalar(select(SmsMessage.sealed).where(SmsMessage.sealed.is_not(None))) is None


def test_a_sealed_code_opens_only_for_its_row_and_key(app):
    with app.app_context():
        message = outbox.enqueue("verification_code", PHONE, "zh", code="123456")
        db.session.commit()
        assert sealed.unseal(message.sealed, PHONE) == {"code": "123456"}
        with pytest.raises(sealed.Unsealable):
            sealed.unseal(message.sealed, "+8613987654321")  # copied onto another number
        app.config["SECRET_KEY"] = "another-key"
        with pytest.raises(sealed.Unsealable):
            sealed.unseal(message.sealed, PHONE)


def test_a_row_that_does_not_open_fails_for_staff_to_see_and_the_worker_goes_on(app):
    with app.app_context():
        broken = outbox.enqueue("verification_code", PHONE, "zh", code="123456")
        fine = outbox.enqueue("verification_code", "+8613987654321", "zh", code="654321")
        db.session.commit()
        broken.sealed = sealed.seal({"code": "123456"}, "+8613900000000")
        db.session.commit()
        assert worker.drain() == 2
        db.session.expire_all()
        assert (db.session.get(SmsMessage, broken.id).status,
                db.session.get(SmsMessage, broken.id).error_code) == ("failed", "unrenderable")
        assert db.session.get(SmsMessage, fine.id).status == "sent"


def test_the_migration_erases_the_bodies_of_final_texts_and_the_stored_answers(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        now = dt.datetime(2026, 11, 30, 12, 0)
        for status, body in (("sent", "验证码123456"), ("pending", "验证码654321")):
            db.session.execute(text(
                "INSERT INTO sms_message (phone, lang, kind, body, status, attempts, next_attempt_at,"
                " created_at, updated_at) VALUES (:p, 'zh', 'verification_code', :b, :s, 0, :n, :n, :n)"),
                {"p": PHONE, "b": body, "s": status, "n": now})
        db.session.execute(text(
            "INSERT INTO inbound_message (message_sid, phone, keyword, outcome, reply, lang, received_at)"
            " VALUES ('SM1', :p, 'help', 'help', 'https://x/m/ABCD2345/secret-token', 'zh', :n)"),
            {"p": PHONE, "n": now})
        db.session.commit()
        db.session.remove()  # SQLite: no connection of ours holds the file while Alembic writes
        flask_migrate.upgrade()
        bodies = db.session.execute(text("SELECT status, body FROM sms_message ORDER BY id")).all()
        db.session.commit()
        assert bodies == [("sent", None), ("pending", "验证码654321")]  # the pending one still goes
        columns = {c["name"] for c in inspect(db.engine).get_columns("inbound_message")}
        assert "reply" not in columns and "reply_kind" in columns
        db.session.remove()
        db.engine.dispose()
