"""Two workers, each with its own database connection, drain 1,000 texts from PostgreSQL on
mixed routes (`+86=aliyun,*=twilio`) through the real SDKs and the local provider servers:
each text is sent exactly once, over its own route, and none keeps its code afterwards."""

from __future__ import annotations

import collections
import re
import threading

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import SmsMessage
from booking.notify import outbox
from booking.sms import worker
from booking.sms.routing import gateway_for
from tests.aliyun_server import AliyunTestServer, aliyun_config
from tests.twilio_server import ACCOUNT_SID, AUTH_TOKEN, TwilioTestServer, twilio_config

COUNT = 1000


def phone(i: int) -> str:
    """Even rows to mainland numbers (Alibaba Cloud), odd rows to UK numbers (Twilio)."""
    return f"+86139{i:08d}" if i % 2 == 0 else f"+447911{i:06d}"


def drain_in_two_workers(app) -> dict:
    handled, errors = {}, []
    barrier = threading.Barrier(2)

    def run(name):
        try:
            with app.app_context():  # its own session, hence its own connection
                gateway = gateway_for(app)
                barrier.wait()
                handled[name] = worker.drain(gateway)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert errors == []
    return handled


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_on_postgres_send_each_of_1000_texts_on_mixed_routes_exactly_once(pg_app):
    twilio = TwilioTestServer(ACCOUNT_SID, AUTH_TOKEN, public_base="https://booking.example.gov.cn",
                              callbacks=()).start()
    aliyun = AliyunTestServer().start()
    pg_app.config.update(twilio_config(twilio.url))
    pg_app.config.update(aliyun_config(aliyun.url, backend="+86=aliyun,*=twilio"), SMS_SEND_TIMEOUT=5)
    try:
        with pg_app.app_context():
            for i in range(COUNT):
                outbox.enqueue("verification_code", phone(i), "zh", code=f"{i:06d}")
            db.session.commit()
        handled = drain_in_two_workers(pg_app)
        assert handled["a"] + handled["b"] == COUNT
        assert handled["a"] > 0 and handled["b"] > 0  # both really worked
        codes = collections.Counter(m["params"]["code"] for m in aliyun.messages)
        codes.update(re.search(r"\d{6}", m["body"]).group() for m in twilio.messages)
        assert len(codes) == COUNT and set(codes.values()) == {1}
        assert aliyun.requests == COUNT // 2 and twilio.requests == COUNT // 2
        assert all(m["phone"].startswith("139") for m in aliyun.messages)
        assert all(m["to"].startswith("+44") for m in twilio.messages)
        with pg_app.app_context():
            rows = db.session.execute(select(SmsMessage.route, SmsMessage.status, func.count())
                                      .group_by(SmsMessage.route, SmsMessage.status)
                                      .order_by(SmsMessage.route)).all()
            assert rows == [("aliyun", "queued", COUNT // 2), ("twilio", "queued", COUNT // 2)]
            assert db.session.scalar(select(func.count(func.distinct(SmsMessage.provider_sid)))) == COUNT
            assert db.session.scalar(select(func.max(SmsMessage.attempts))) == 1
            assert db.session.scalar(select(func.count()).where(SmsMessage.sealed.is_not(None))) == 0
    finally:
        twilio.stop()
        aliyun.stop()
