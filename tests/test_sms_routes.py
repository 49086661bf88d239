"""SMS_BACKEND as a route list: the longest prefix picks the gateway, the outbox records it, and
no text or page asks for a reply that the route cannot carry; with several bookings on one
phone, the instruction names the reference."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking import bookings
from booking.extensions import db
from booking.models import Service, SmsMessage, utcnow
from booking.sms import compose, routing, worker
from booking.sms.compose import preview
from booking.sms.gateway import PermanentFailure, Text
from tests.aliyun_server import AliyunTestServer, aliyun_config
from tests.factories import PHONE, make_office, make_service, make_slot, verified, visitor
from tests.twilio_server import ACCOUNT_SID, AUTH_TOKEN, TwilioTestServer, closed_port_url, twilio_config

UK_PHONE = "+447911123456"


def book(phone=PHONE, days_ahead=2, n=1):
    service = db.session.scalar(select(Service)) or make_service(make_office(),
                                                                 requires_confirmation=True)
    slot = make_slot(service, days_ahead=days_ahead)
    db.session.commit()
    return bookings.book(slot_id=slot.id, phone=phone, visitors=[visitor(n), visitor(n + 1)],
                         verification=verified(phone)).booking


def booked_text(booking) -> SmsMessage:
    return db.session.scalars(select(SmsMessage).where(SmsMessage.booking_id == booking.id,
                                                       SmsMessage.kind == "booked")).one()


@pytest.fixture
def both(app):
    """Alibaba Cloud for +86, Twilio for the rest, each a local server behind the real SDK."""
    aliyun = AliyunTestServer().start()
    twilio = TwilioTestServer(ACCOUNT_SID, AUTH_TOKEN, public_base=app.config["PUBLIC_BASE_URL"],
                              callbacks=()).start()
    app.config.update(twilio_config(twilio.url))
    app.config.update(aliyun_config(aliyun.url, backend="+86=aliyun,*=twilio"))
    yield aliyun, twilio
    aliyun.stop()
    twilio.stop()


def test_the_longest_matching_prefix_wins():
    routes = routing.parse_routes("*=twilio, +86=aliyun, +8613=console")
    assert routing.backend_for(routes, "+8613812345678") == "console"
    assert routing.backend_for(routes, "+8615912345678") == "aliyun"
    assert routing.backend_for(routes, UK_PHONE) == "twilio"
    assert routing.parse_routes("Twilio") == [("", "twilio")]
    assert routing.parse_routes(None) == [("", "console")]


@pytest.mark.parametrize("setting", ["sms77", "+86=aliyun,*=nexmo", "86=aliyun", "+8a=aliyun"])
def test_a_bad_route_list_is_refused_with_a_clear_message(setting):
    with pytest.raises(RuntimeError, match="SMS_BACKEND|SMS backend"):
        routing.parse_routes(setting)


def test_a_number_no_route_matches_fails_for_good(app):
    app.config["SMS_BACKEND"] = "+86=console"
    gateway = routing.gateway_for(app).pick(UK_PHONE)
    with pytest.raises(PermanentFailure, match="no_route"):
        gateway.send(to=UK_PHONE, text=Text("booked", "en"), message_id=1)


def test_each_text_goes_over_its_route_and_the_outbox_records_which(app, both):
    aliyun, twilio = both
    with app.app_context():
        mainland, uk = book(), book(phone=UK_PHONE, days_ahead=3, n=5)
        assert worker.drain() == 4
        assert [m["kind"] for m in aliyun.sent_to(PHONE)] == ["verification_code", "booked"]
        assert len(twilio.sent_to(UK_PHONE)) == 2 and twilio.sent_to(PHONE) == []
        db.session.expire_all()
        assert booked_text(mainland).route == "aliyun" and booked_text(uk).route == "twilio"
        assert "回复1确认，2取消" in twilio.sent_to(UK_PHONE)[1]["body"]  # Twilio carries replies here


def test_over_twilio_a_mainland_number_is_pointed_to_the_link_not_asked_to_reply(app):
    app.config.update(twilio_config(closed_port_url()))
    with app.app_context():
        booking = book()
        text = preview_over(booked_text(booking), app)
        assert "回复" not in text and "请打开链接确认或取消" in text
        assert f"/m/{booking.reference}/{bookings.manage_token(booking)}" in text
        assert routing.accepts_replies(app.config, PHONE) is False
        assert routing.accepts_replies(app.config, UK_PHONE) is True


def preview_over(message: SmsMessage, app) -> str:
    """The body as the configured route would send it (Twilio here: no SDK call is made)."""
    return compose.text_for(message, routing.gateway_for(app).pick(message.phone), utcnow()).body()


def test_with_two_bookings_each_text_names_its_reference_in_the_instruction(app):
    with app.app_context():
        first = book()
        assert "回复1确认，2取消" in preview(booked_text(first))
        second = book(days_ahead=3, n=5)
        for booking in (first, second):
            text = preview(booked_text(booking))
            assert f"回复“1 {booking.reference}”确认，“2 {booking.reference}”取消" in text


@pytest.mark.parametrize("backend,expected", [
    ("console", "回复短信“1”"), ("twilio", "您所在网络的短信回复无法送达我们"),
    ("+86=aliyun,*=twilio", "回复短信“1”")])
def test_the_booked_page_asks_for_a_reply_only_where_the_route_carries_one(app, client, backend,
                                                                           expected):
    app.config["SMS_BACKEND"] = backend
    with app.app_context():
        booking = book()
        page = client.get(f"/m/{booking.reference}/{bookings.manage_token(booking)}/booked",
                          headers={"Accept-Language": "zh"})
        assert page.status_code == 200
        assert expected in page.get_data(as_text=True)


def test_the_booked_page_names_the_reference_when_the_phone_has_two_bookings(app, client):
    with app.app_context():
        book()
        second = book(days_ahead=3, n=5)
        page = client.get(f"/m/{second.reference}/{bookings.manage_token(second)}/booked",
                          headers={"Accept-Language": "zh"})
        assert f"回复短信“1 {second.reference}”" in page.get_data(as_text=True)
