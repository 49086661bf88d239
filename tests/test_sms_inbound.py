"""POST /sms/inbound: replies signed with the SDK's RequestValidator confirm or cancel
through the booking rules, once per MessageSid, in the booking's language."""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from booking import bookings
from booking.extensions import db
from booking.models import AuditEvent, Booking, InboundMessage, PhoneOptOut, Service, Slot, SmsMessage
from tests.factories import PHONE, make_office, make_service, make_slot, verified, visitor
from tests.twilio_server import AUTH_TOKEN

URL = "https://booking.example.gov.cn/sms/inbound"
OTHER_PHONE = "+8613987654321"


@pytest.fixture
def signed(app):
    app.config["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    return app


def the_service():
    return db.session.scalar(select(Service)) or make_service(make_office())


def new_booking(lang="zh", days_ahead=2, n=1, phone=PHONE, service=None):
    service = service or the_service()
    slot = make_slot(service, days_ahead=days_ahead)
    db.session.commit()
    return bookings.book(slot_id=slot.id, phone=phone, visitors=[visitor(n), visitor(n + 1)],
                         lang=lang, verification=verified(phone)).booking


def text(client, body, phone=PHONE, sid=None, signature=None):
    params = {"MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "5e" * 16,
              "From": phone, "To": "+15005550006", "Body": body, "NumMedia": "0"}
    if signature is None:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(URL, params)
    return client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature})


def answer(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return "".join(m.text or "" for m in root.iter("Message"))


def status(booking) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking if isinstance(booking, int) else booking.id).status


@pytest.mark.parametrize("body", ["1", "Y", "yes", "  Yes ", "ＹＥＳ", "１", "确认", "Y E S", "确 认。"])
def test_confirm_words_confirm_the_booking(signed, client, body):
    with signed.app_context():
        booking = new_booking()
        reply = answer(text(client, body))
        assert status(booking) == "confirmed"
        assert reply.startswith("【民政预约】已确认预约" + booking.reference)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "confirmed"))
        assert event.actor == "sms" and event.booking_id == booking.id


@pytest.mark.parametrize("body", ["2", "n", "NO", "取消", "２", "ｎｏ", " No! "])
def test_cancel_words_cancel_the_booking_and_free_the_place(signed, client, body):
    with signed.app_context():
        booking = new_booking()
        reply = answer(text(client, body))
        assert status(booking) == "cancelled"
        assert "已取消预约" + booking.reference in reply
        slot = db.session.get(Slot, booking.slot_id)
        assert (slot.booked_bookings, slot.booked_people) == (0, 0)
        # The TwiML answer is the confirmation: no second text about the same thing.
        assert db.session.scalar(select(func.count()).where(SmsMessage.kind == "cancelled")) == 0


def test_english_booking_gets_english_answers(signed, client):
    with signed.app_context():
        booking = new_booking(lang="en")
        assert answer(text(client, "ｙｅｓ")).startswith(f"Confirmed: ref {booking.reference}")
        assert "is cancelled" in answer(text(client, "N"))


@pytest.mark.parametrize("signature", ["", "d3Jvbmc="])
def test_missing_or_wrong_signature_is_refused_and_changes_nothing(signed, client, signature):
    with signed.app_context():
        booking = new_booking()
        assert text(client, "2", signature=signature).status_code == 403
        assert status(booking) == "booked"
        assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_a_signature_over_other_parameters_is_refused(signed, client):
    with signed.app_context():
        booking = new_booking()
        forged = RequestValidator(AUTH_TOKEN).compute_signature(URL, {"Body": "1"})
        assert text(client, "2", signature=forged).status_code == 403
        assert status(booking) == "booked"


def test_a_replayed_message_sid_acts_once_and_gets_the_same_answer(signed, client):
    with signed.app_context():
        booking = new_booking()
        first = answer(text(client, "2", sid="SMreplay1"))
        second = answer(text(client, "2", sid="SMreplay1"))
        assert first == second and status(booking) == "cancelled"
        cancelled = select(func.count()).where(AuditEvent.action == "cancelled")
        assert db.session.scalar(cancelled) == 1
        assert db.session.get(Slot, booking.slot_id).booked_people == 0


def test_parallel_copies_of_one_webhook_act_once(any_app):
    """Twilio retries while the first copy is still running: eight copies at once, on
    SQLite and PostgreSQL, one cancellation and one place given back."""
    any_app.config["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    with any_app.app_context():
        booking = new_booking()
        other = new_booking(days_ahead=3, n=5)  # the "2" names the first: not this one
        booking, other, slot_id, reference = booking.id, other.id, booking.slot_id, booking.reference
    barrier, answers = threading.Barrier(8), []

    def send():
        client = any_app.test_client()
        barrier.wait()
        answers.append(answer(text(client, f"2 {reference}", sid="SMparallel")))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with any_app.app_context():
        assert len(answers) == 8 and len(set(answers)) == 1
        assert status(booking) == "cancelled" and status(other) == "booked"
        assert db.session.get(Slot, slot_id).booked_people == 0
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "cancelled")) == 1


def test_a_number_without_a_booking_gets_help(signed, client):
    with signed.app_context():
        new_booking()
        reply = answer(text(client, "1", phone=OTHER_PHONE))
        assert "未找到" in reply and "https://booking.example.gov.cn/" in reply
        assert "found no upcoming booking" in answer(text(client, "yes", phone="+447700900123"))
        assert db.session.scalar(select(Booking.status)) == "booked"


@pytest.mark.parametrize("body", ["1", "2", "HELP", "what?"])
def test_with_two_upcoming_bookings_a_bare_keyword_changes_nothing_and_lists_them(
        signed, client, body):
    with signed.app_context():
        service = the_service()
        later = new_booking(days_ahead=4, n=5, service=service)
        sooner = new_booking(days_ahead=2, n=1, service=service)
        reply = answer(text(client, body, sid="SMbare"))
        assert f"{sooner.reference}、{later.reference}" in reply and "1 预约号" in reply
        assert (status(sooner), status(later)) == ("booked", "booked")
        assert db.session.get(InboundMessage, "SMbare").outcome == "ambiguous"


def test_with_two_upcoming_bookings_a_keyword_with_a_reference_acts_on_that_one(signed, client):
    with signed.app_context():
        service = the_service()
        later = new_booking(days_ahead=4, n=5, service=service)
        sooner = new_booking(days_ahead=2, n=1, service=service)
        reply = answer(text(client, f"1 {later.reference}"))
        assert later.reference in reply and "已确认" in reply
        assert (status(sooner), status(later)) == ("booked", "confirmed")


def test_a_reference_in_the_text_picks_that_booking(signed, client):
    with signed.app_context():
        service = the_service()
        later = new_booking(days_ahead=4, n=5, service=service)
        sooner = new_booking(days_ahead=2, n=1, service=service)
        reply = answer(text(client, f"取消 {later.reference.lower()}"))
        assert later.reference in reply
        assert (status(sooner), status(later)) == ("booked", "cancelled")
        assert later.reference in answer(text(client, f"{later.reference}，确认"))  # too late
        assert status(later) == "cancelled"


def test_a_reference_of_someone_elses_booking_is_ignored(signed, client):
    with signed.app_context():
        mine = new_booking(days_ahead=2, n=1)
        theirs = new_booking(days_ahead=3, n=5, phone=OTHER_PHONE)
        answer(text(client, f"2 {theirs.reference}"))
        assert (status(mine), status(theirs)) == ("booked", "booked")  # not understood: help


@pytest.mark.parametrize("body", ["HELP", "帮助", "what is this?", "", "3"])
def test_help_and_unknown_text_get_a_help_answer_with_the_link(signed, client, body):
    with signed.app_context():
        booking = new_booking()
        reply = answer(text(client, body))
        assert "回复1确认、2取消" in reply and f"/m/{booking.reference}/" in reply
        assert status(booking) == "booked"


def test_stop_records_the_opt_out_and_start_lifts_it(signed, client):
    with signed.app_context():
        booking = new_booking()
        assert answer(text(client, "ｓｔｏｐ")) == ""  # Twilio answers STOP itself
        assert db.session.get(PhoneOptOut, PHONE).keyword == "STOP"
        assert status(booking) == "booked"
        assert answer(text(client, "START")) == ""
        assert db.session.get(PhoneOptOut, PHONE) is None


def test_cancel_cancels_the_booking_and_records_the_opt_out(signed, client):
    with signed.app_context():
        booking = new_booking()
        assert answer(text(client, "Cancel")) == ""  # Twilio now blocks texts to the number
        assert status(booking) == "cancelled"
        assert db.session.get(PhoneOptOut, PHONE).keyword == "CANCEL"
        assert db.session.scalar(select(func.count()).where(SmsMessage.kind == "cancelled")) == 0


def test_yes_after_stop_confirms_and_lifts_the_opt_out_as_twilio_does(signed, client):
    with signed.app_context():
        booking = new_booking()
        text(client, "STOP")
        answer(text(client, "YES"))
        assert status(booking) == "confirmed" and db.session.get(PhoneOptOut, PHONE) is None


def test_a_checked_in_booking_cannot_be_cancelled_by_text(signed, client):
    with signed.app_context():
        booking = new_booking()
        db.session.get(Booking, booking.id).status = "checked_in"
        db.session.commit()
        reply = answer(text(client, "2"))
        assert "已不能更改" in reply or "未找到" in reply
        assert status(booking) == "checked_in"


def test_replies_are_recorded_without_the_body(signed, client):
    with signed.app_context():
        booking = new_booking()
        text(client, "1", sid="SMrecorded")
        record = db.session.get(InboundMessage, "SMrecorded")
        assert (record.keyword, record.outcome, record.booking_id) == ("confirm", "confirmed",
                                                                       booking.id)
        assert record.reply_kind == "confirmed"


def test_an_answer_with_the_manage_link_is_stored_without_it_and_replayed_with_it(signed, client):
    with signed.app_context():
        booking = new_booking()
        token = bookings.manage_token(booking)
        first = answer(text(client, "HELP", sid="SMhelp"))
        assert token in first
        record = db.session.get(InboundMessage, "SMhelp")
        assert record.reply_kind == "help"
        assert all(token not in str(value) for value in vars(record).values())
        assert answer(text(client, "HELP", sid="SMhelp")) == first


def test_twilios_own_opt_out_reading_counts_for_custom_words(signed, client):
    with signed.app_context():
        booking = new_booking()
        params = {"MessageSid": "SMoptout", "From": PHONE, "To": "+15005550006", "Body": "退订",
                  "OptOutType": "STOP"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(URL, params)
        response = client.post("/sms/inbound", data=params,
                               headers={"X-Twilio-Signature": signature})
        assert answer(response) == "" and db.session.get(PhoneOptOut, PHONE) is not None
        assert status(booking) == "booked"


# --- Traditional Chinese and courtesy words (docs/sms.md, "How a reply is read") ----------

@pytest.mark.parametrize("body", ["確認", "確認，謝謝", "确认谢谢", "1 thanks", "Yes please!", "确认👍",
                                  "1️⃣", "確認了🙏", "好的", "您好，確認", "ＹＥＳ，ＴＨＡＮＫＳ"])
def test_traditional_keywords_and_courtesy_words_confirm(signed, client, body):
    with signed.app_context():
        booking = new_booking(lang="zh-Hant")
        reply = answer(text(client, body))
        expected = "booked" if body == "好的" else "confirmed"  # a courtesy word alone says nothing
        assert status(booking) == expected, reply


@pytest.mark.parametrize("body", ["取消，謝謝", "2 謝謝", "取消了😊", "No, thanks."])
def test_traditional_and_courteous_cancel_words_cancel(signed, client, body):
    with signed.app_context():
        booking = new_booking(lang="zh-Hant")
        answer(text(client, body))
        assert status(booking) == "cancelled"


def test_a_traditional_help_word_gets_the_help_text_in_traditional(signed, client):
    with signed.app_context():
        booking = new_booking(lang="zh-Hant")
        reply = answer(text(client, "幫助"))
        assert "回覆1確認" in reply and f"/m/{booking.reference}/" in reply
        assert status(booking) == "booked"


@pytest.mark.parametrize("body", ["退订", "退訂", "拒收", "退订，谢谢"])
def test_chinese_opt_out_words_record_an_opt_out_and_leave_the_booking(signed, client, body):
    with signed.app_context():
        booking = new_booking()
        assert answer(text(client, body)) == ""
        assert db.session.get(PhoneOptOut, PHONE) is not None
        assert status(booking) == "booked"


@pytest.mark.parametrize("body", ["T", "R", "TD"])
def test_mainland_carrier_codes_are_no_opt_out_on_twilio(signed, client, body):
    """TD, T and R are the mainland carriers' codes (Alibaba Cloud uplinks); over Twilio they are
    ordinary unknown text and get the help answer."""
    with signed.app_context():
        new_booking()
        assert "回复1确认" in answer(text(client, body))
        assert db.session.get(PhoneOptOut, PHONE) is None
