"""Two workers, each with its own database connection, drain 1,000 texts from PostgreSQL
through the real SDK and the local Twilio-compatible server: each text is sent exactly once."""

from __future__ import annotations

import collections
import threading

import pytest
from sqlalchemy import func, insert, select

from booking.extensions import db
from booking.models import SmsMessage, utcnow
from booking.sms import worker
from booking.sms.gateway import gateway_for
from tests.twilio_server import ACCOUNT_SID, AUTH_TOKEN, TwilioTestServer, twilio_config

COUNT = 1000


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_on_postgres_send_each_of_1000_texts_exactly_once(pg_app):
    server = TwilioTestServer(ACCOUNT_SID, AUTH_TOKEN, public_base="https://booking.example.gov.cn",
                              callbacks=()).start()
    pg_app.config.update(twilio_config(server.url), SMS_SEND_TIMEOUT=5)
    try:
        with pg_app.app_context():
            now = utcnow()
            db.session.execute(insert(SmsMessage), [
                dict(kind="booked", phone=f"+86139{i:08d}", lang="zh", body=f"text {i}",
                     status="pending", attempts=0, next_attempt_at=now, created_at=now,
                     updated_at=now) for i in range(COUNT)])
            db.session.commit()
        handled, errors = {}, []
        barrier = threading.Barrier(2)

        def run(name):
            try:
                with pg_app.app_context():  # its own session, hence its own connection
                    gateway = gateway_for(pg_app)
                    barrier.wait()
                    handled[name] = worker.drain(gateway)
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        assert handled["a"] + handled["b"] == COUNT
        assert handled["a"] > 0 and handled["b"] > 0  # both really worked
        bodies = collections.Counter(m["body"] for m in server.messages)
        assert len(bodies) == COUNT and set(bodies.values()) == {1}
        assert server.requests == COUNT
        with pg_app.app_context():
            rows = db.session.execute(select(SmsMessage.status, func.count())
                                      .group_by(SmsMessage.status)).all()
            assert rows == [("queued", COUNT)]
            assert db.session.scalar(select(func.count(func.distinct(SmsMessage.provider_sid)))) == COUNT
            assert db.session.scalar(select(func.max(SmsMessage.attempts))) == 1
    finally:
        server.stop()
