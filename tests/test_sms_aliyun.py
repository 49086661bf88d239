"""Alibaba Cloud SMS through the real SDK and a local Alibaba-compatible server: templates and
their variables, error mapping, receipts, uplink replies (once each, also when pushed twice or
in parallel) and the whole flow book -> text -> uplink "1" -> confirmed."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading

import pytest
from sqlalchemy import func, select

from booking import bookings
from booking.extensions import db
from booking.models import AuditEvent, Booking, InboundMessage, PhoneOptOut, Service, Slot, SmsMessage
from booking.notify import texts
from booking.sms import aliyun_templates, reminders, worker
from booking.sms.aliyun import endpoint_config
from tests.aliyun_server import CALLBACK_TOKEN, CODES, AliyunTestServer, receipt, serve_aliyun, uplink
from tests.factories import (
    PHONE,
    last_code,
    make_office,
    make_service,
    make_slot,
    setup_marriage_slot,
    verified,
    visitor,
)
from tests.twilio_server import closed_port_url

UP = f"/sms/aliyun/{CALLBACK_TOKEN}/up"
REPORT = f"/sms/aliyun/{CALLBACK_TOKEN}/report"


@pytest.fixture
def aliyun(app):
    yield from serve_aliyun(app)


def book_one(phone=PHONE, days_ahead=2, n=1):
    service = db.session.scalar(select(Service)) or make_service(make_office())
    slot = make_slot(service, days_ahead=days_ahead)
    db.session.commit()
    return bookings.book(slot_id=slot.id, phone=phone, visitors=[visitor(n), visitor(n + 1)],
                         verification=verified(phone)).booking


def book_needing_confirmation() -> Booking:
    """A booking at 10:00 two days ahead, of a service that asks for confirmation."""
    service = make_service(make_office(), requires_confirmation=True)
    slot = make_slot(service, days_ahead=2, at=dt.time(10, 0))
    db.session.commit()
    return bookings.book(slot_id=slot.id, phone=PHONE, visitors=[visitor(1), visitor(2)],
                         verification=verified()).booking


def row(message_id) -> SmsMessage:
    db.session.expire_all()
    return db.session.get(SmsMessage, message_id)


def booked_row(booking) -> SmsMessage:
    return db.session.scalars(select(SmsMessage).where(SmsMessage.booking_id == booking.id,
                                                       SmsMessage.kind == "booked")).one()


def status(booking) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking.id).status


def test_the_endpoint_setting_gives_the_sdk_its_host_and_protocol():
    assert endpoint_config("http://127.0.0.1:9000") == {"endpoint": "127.0.0.1:9000", "protocol": "http"}
    assert endpoint_config(None) == {"endpoint": "dysmsapi.aliyuncs.com", "protocol": "https"}
    assert endpoint_config("dysmsapi.aliyuncs.com") == {"endpoint": "dysmsapi.aliyuncs.com",
                                                        "protocol": "https"}


LONG = dict(code="123456", reference="ABCD2345", references="ABCD2345、EFGH6789、JKLM2345",
            office_zh="重庆市渝中区民政局婚姻登记处", service_zh="告别仪式（小型）",
            start="2026-12-24 09:30", deadline_at="2026-12-23 21:00",
            reason="疫情防控需要，全区暂停现场办理业务，敬请谅解", manage_path="m/ABCD2345/Xy3_-abcdefghijKLMNOPq")


@pytest.mark.parametrize("kind", list(aliyun_templates.TEMPLATES))
def test_every_template_fits_two_segments_with_long_values(kind):
    """As every text we send (docs/contract.md), with a 33-character PUBLIC_BASE_URL."""
    server = AliyunTestServer(public_base="https://yuyue.mzj.example.gov.cn")
    try:
        text = "【民政预约】" + server.render(kind, aliyun_templates.template_params(kind, LONG))
    finally:
        server.httpd.server_close()
    assert texts.segments(text) <= 2, (len(text), text)
    assert "【" not in text[6:] and "${" not in text


def test_booking_text_goes_out_as_its_template_with_the_manage_path(app, aliyun):
    with app.app_context():
        booking = book_one()
        assert worker.drain() == 2  # the code and the booking text
        code_text, booked = aliyun.sent_to(PHONE)
        assert code_text["template_code"] == CODES["verification_code"]
        assert re.fullmatch(r"\d{6}", code_text["params"]["code"])
        token = bookings.manage_token(booking)
        assert booked["template_code"] == CODES["booked"]
        assert booked["params"]["ref"] == booking.reference
        assert booked["params"]["link"] == f"m/{booking.reference}/{token}"
        assert booked["params"]["service"] == booking.service.name("zh")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", booked["params"]["time"])
        assert f"https://booking.example.gov.cn/m/{booking.reference}/{token}" in booked["text"]
        assert booked["text"].startswith("【民政预约】") and "回复1确认" in booked["text"]
        message = booked_row(booking)
        assert booked["out_id"] == str(message.id)
        assert (message.status, message.route, message.provider_sid) == ("queued", "aliyun",
                                                                          booked["biz_id"])


def test_no_secret_waits_in_the_outbox_and_none_stays_after_sending(app, aliyun):
    with app.app_context():
        booking = book_one()
        token, code = bookings.manage_token(booking), last_code()
        rows = db.session.scalars(select(SmsMessage)).all()
        for message in rows:  # before sending: the code sealed, the link not stored at all
            stored = " ".join(str(v) for v in vars(message).values())
            assert token not in stored and code not in stored
        assert [m.sealed is not None for m in rows] == [True, False]
        worker.drain()
        db.session.expire_all()
        assert all(m.sealed is None and m.body is None for m in db.session.scalars(select(SmsMessage)))


def test_a_receipt_marks_the_text_delivered_and_a_late_failure_does_not_undo_it(app, client, aliyun):
    with app.app_context():
        booking = book_one()
        worker.drain()
        accepted = aliyun.sent_to(PHONE)[1]
        answer = client.post(REPORT, json=[receipt(accepted)])
        assert answer.status_code == 200 and answer.json["code"] == 0
        assert row(booked_row(booking).id).status == "delivered"
        client.post(REPORT, json=[receipt(accepted, success=False, err_code="MK:0001")])
        message = row(booked_row(booking).id)
        assert (message.status, message.error_code) == ("delivered", None)


def test_a_failed_receipt_marks_the_text_undelivered_with_the_carrier_code(app, client, aliyun):
    with app.app_context():
        booking = book_one()
        worker.drain()
        client.post(REPORT, json=[receipt(aliyun.sent_to(PHONE)[1], success=False,
                                          err_code="IC:0015")])
        message = row(booked_row(booking).id)
        assert (message.status, message.error_code) == ("undelivered", "IC:0015")


@pytest.mark.parametrize("path", [UP, REPORT])
def test_a_wrong_or_unset_push_token_is_a_404(app, client, path, aliyun):
    with app.app_context():
        wrong = path.replace(CALLBACK_TOKEN, CALLBACK_TOKEN[:-1] + "x")
        assert client.post(wrong, json=[]).status_code == 404
        app.config["ALIYUN_SMS_CALLBACK_TOKEN"] = None
        assert client.post(path, json=[]).status_code == 404


def test_a_push_that_is_not_a_json_array_is_refused(app, client, aliyun):
    assert client.post(UP, data="phone_number=1", content_type="text/plain").status_code == 400
    assert client.post(UP, json={"phone_number": "13812345678"}).status_code == 400


@pytest.mark.parametrize("step,code,delay", [
    (("code", "isv.BUSINESS_LIMIT_CONTROL"), "isv.BUSINESS_LIMIT_CONTROL", 60),
    (("code", "isv.AMOUNT_NOT_ENOUGH"), "isv.AMOUNT_NOT_ENOUGH", 30),
    (("status", 503, "ServiceUnavailable"), "ServiceUnavailable", 30),
    (("status", 400, "Throttling.User"), "Throttling.User", 30),
])
def test_throttling_limits_and_outages_are_retried_later(app, aliyun, step, code, delay):
    with app.app_context():
        booking = book_one()
        aliyun.script("ok", step)  # the code goes, the booking text meets the fault
        now = dt.datetime.now(dt.UTC)
        worker.drain(now=now)
        message = row(booked_row(booking).id)
        assert (message.status, message.error_code, message.attempts) == ("pending", code, 1)
        assert message.next_attempt_at >= now + dt.timedelta(seconds=delay - 1)
        assert message.sealed is None and message.params != "{}"
        worker.drain(now=now + dt.timedelta(hours=2))
        assert row(message.id).status == "queued" and len(aliyun.sent_to(PHONE)) == 2


def test_an_unreachable_endpoint_is_a_temporary_failure(app, aliyun):
    with app.app_context():
        app.config["ALIYUN_SMS_ENDPOINT"] = closed_port_url()
        message_id = book_one() and db.session.scalar(select(func.max(SmsMessage.id)))
        worker.drain()
        message = row(message_id)
        assert message.status == "pending" and message.error_message.startswith("network")


@pytest.mark.parametrize("code", ["isv.MOBILE_NUMBER_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL",
                                  "isv.TEMPLATE_MISSING_PARAMETERS"])
def test_a_bad_number_or_template_fails_for_good_and_is_audited(app, aliyun, code):
    with app.app_context():
        booking = book_one()
        aliyun.script("ok", ("code", code))
        worker.drain()
        message = row(booked_row(booking).id)
        assert (message.status, message.error_code, message.route) == ("failed", code, "aliyun")
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sms_failed")).one()
        assert event.booking_id == booking.id


def test_the_server_refuses_a_template_code_it_does_not_know(app, aliyun):
    with app.app_context():
        app.config["ALIYUN_SMS_TEMPLATES"] = json.dumps({"booked": "SMS_000000000"})
        booking = book_one()
        worker.drain()
        assert row(booked_row(booking).id).error_code == "isv.SMS_TEMPLATE_ILLEGAL"


def test_uplink_1_confirms_and_the_answer_goes_out_as_a_template(app, client, aliyun):
    with app.app_context():
        booking = book_one()
        worker.drain()
        answer = client.post(UP, json=[uplink(PHONE, "1", 7001)])
        assert answer.status_code == 200 and answer.json == {"code": 0, "msg": "成功"}
        assert status(booking) == "confirmed"
        worker.drain()
        reply = aliyun.sent_to(PHONE)[-1]
        assert reply["template_code"] == CODES["reply_confirmed"]
        assert reply["params"]["ref"] == booking.reference


def test_an_uplink_pushed_twice_acts_once_and_answers_once(app, client, aliyun):
    with app.app_context():
        booking = book_one()
        worker.drain()
        for _ in range(2):
            assert client.post(UP, json=[uplink(PHONE, "2", 7002)]).json["code"] == 0
        assert status(booking) == "cancelled"
        cancelled = select(func.count()).where(AuditEvent.action == "cancelled")
        assert db.session.scalar(cancelled) == 1
        replies = select(func.count()).where(SmsMessage.kind == "reply_cancelled")
        assert db.session.scalar(replies) == 1
        record = db.session.get(InboundMessage, f"aliyun:{PHONE}:7002")
        assert (record.outcome, record.reply_kind) == ("cancelled", "cancelled")


def test_the_same_sequence_id_from_another_number_is_another_reply(app, client, aliyun):
    with app.app_context():
        mine, theirs = book_one(), book_one(phone="+8613987654321", days_ahead=3, n=5)
        client.post(UP, json=[uplink(PHONE, "1", 7003), uplink("+8613987654321", "1", 7003)])
        assert (status(mine), status(theirs)) == ("confirmed", "confirmed")


def test_parallel_copies_of_one_uplink_act_once(any_app):
    """The provider retries while the first push is still running: eight at once, on SQLite
    and PostgreSQL; one cancellation, one place back, one answer queued."""
    any_app.config["ALIYUN_SMS_CALLBACK_TOKEN"] = CALLBACK_TOKEN
    with any_app.app_context():
        booking = book_one()
        reference, slot_id = booking.reference, booking.slot_id
    barrier, codes = threading.Barrier(8), []

    def push():
        client = any_app.test_client()
        barrier.wait()
        codes.append(client.post(UP, json=[uplink(PHONE, f"2 {reference}", 7004)]).json["code"])

    threads = [threading.Thread(target=push) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with any_app.app_context():
        assert codes == [0] * 8
        assert db.session.scalar(select(Booking.status)) == "cancelled"
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "cancelled")) == 1
        assert db.session.scalar(select(func.count()).where(SmsMessage.kind == "reply_cancelled")) == 1
        assert db.session.get(Slot, slot_id).booked_people == 0


def test_a_bare_keyword_from_a_phone_with_two_bookings_changes_nothing(app, client, aliyun):
    with app.app_context():
        first, second = book_one(), book_one(days_ahead=3, n=5)
        client.post(UP, json=[uplink(PHONE, "2", 7005)])
        assert (status(first), status(second)) == ("booked", "booked")
        worker.drain()
        choose = aliyun.sent_to(PHONE)[-1]
        assert choose["template_code"] == CODES["reply_choose"]
        assert choose["params"]["refs"] == f"{first.reference}、{second.reference}"
        client.post(UP, json=[uplink(PHONE, f"2 {second.reference}", 7006)])
        assert (status(first), status(second)) == ("booked", "cancelled")


def test_the_whole_flow_over_http_book_text_uplink_confirmed(app, client, aliyun):
    """A citizen books through the API with the code from the delivered text, gets the
    booking text, answers 1 from the phone; the uplink push confirms the booking."""
    with app.app_context():
        slot = setup_marriage_slot()
        answer = client.post("/api/v1/phone-verifications", json={"phone": PHONE})
        assert answer.status_code == 201
        worker.drain()
        code = aliyun.sent_to(PHONE)[0]["params"]["code"]
        created = client.post("/api/v1/bookings", json={
            "slot_id": slot.id, "phone": PHONE, "verification_id": answer.json["id"], "code": code,
            "visitors": [{"name": "张三", "id_type": "resident_id", "id_number": visitor(1)["id_number"]},
                         {"name": "李四", "id_type": "resident_id", "id_number": visitor(2)["id_number"]}]})
        assert created.status_code == 201, created.json
        worker.drain()
        booked = aliyun.sent_to(PHONE)[1]
        assert created.json["reference"] in booked["text"]
        assert created.json["manage_url"].split("/m/")[1] == booked["params"]["link"][2:]
        assert client.post(UP, json=[uplink(PHONE, "1", 9001)]).status_code == 200
        reference = created.json["reference"]
        assert db.session.scalar(select(Booking.status).where(Booking.reference == reference)) == "confirmed"


def test_reminder_warning_and_release_go_out_as_templates_with_time_and_deadline(app, aliyun):
    with app.app_context():
        booking = book_needing_confirmation()
        slot = booking.slot
        day_before = slot.starts_at.astimezone(booking.office.tz) - dt.timedelta(days=1)
        evening = day_before.replace(hour=18, minute=0)
        assert reminders.run_due(evening).warnings == 1
        assert reminders.run_due(evening.replace(hour=21)).released == 1
        worker.drain()
        sent = {m["kind"]: m for m in aliyun.sent_to(PHONE)}
        start, link = f"{day_before + dt.timedelta(days=1):%Y-%m-%d} 10:00", f"m/{booking.reference}/"
        assert sent["reminder"]["params"]["time"] == start
        assert sent["reminder"]["params"]["link"].startswith(link)  # the manage page: 35 characters
        assert sent["release_warning"]["params"]["deadline"] == f"{day_before:%Y-%m-%d} 21:00"
        assert "回复1确认" in sent["release_warning"]["text"]
        assert sent["released"]["params"]["ref"] == booking.reference


@pytest.mark.parametrize("body", ["退订", "TD", "t", "R", "拒收", "退訂", "ＴＤ", "退订。谢谢"])
def test_mainland_opt_out_words_stop_every_later_text_and_leave_the_booking(app, client, aliyun, body):
    """The carriers' opt-out words (回T退订): recorded as STOP is; the booking stays as it is, and
    neither the reminder nor the release warning goes out (so nothing is released either)."""
    with app.app_context():
        booking = book_needing_confirmation()
        slot = booking.slot
        worker.drain()
        sent_before = len(aliyun.sent_to(PHONE))
        assert client.post(UP, json=[uplink(PHONE, body, 7100)]).json["code"] == 0
        assert db.session.get(PhoneOptOut, PHONE) is not None
        assert status(booking) == "booked"
        evening = (slot.starts_at.astimezone(booking.office.tz) - dt.timedelta(days=1)).replace(hour=18)
        done = reminders.run_due(evening)
        assert (done.reminders, done.warnings) == (0, 0)
        assert reminders.run_due(evening.replace(hour=21)).released == 0
        worker.drain()
        assert len(aliyun.sent_to(PHONE)) == sent_before and status(booking) == "booked"


@pytest.mark.parametrize("body", ["確認，謝謝", "确认 谢谢！", "1 好的"])
def test_a_traditional_or_courteous_uplink_confirms(app, client, aliyun, body):
    with app.app_context():
        booking = book_one()
        client.post(UP, json=[uplink(PHONE, body, 7101)])
        assert status(booking) == "confirmed"
