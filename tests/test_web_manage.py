"""Managing a booking from the text's link: view, confirm, cancel with a confirm step,
reschedule atomically; a wrong token looks exactly like a booking that does not exist."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, Service, Slot, SmsMessage
from tests.factories import make_office, make_service, make_slot
from tests.web_helpers import book, csrf_token, text


@pytest.fixture
def booked(app, client):
    """A marriage booking made through the pages; its manage path and a second slot."""
    with app.app_context():
        service = make_service(make_office())
        first = make_slot(service, days_ahead=2, at=dt.time(10, 0))
        second = make_slot(service, days_ahead=3, at=dt.time(14, 0))
        db.session.commit()
        ids = SimpleNamespace(first=first.id, second=second.id)
    location = book(client, ids.first).headers["Location"]
    reference, token = re.search(r"/m/(\w+)/([\w-]+)/booked", location).groups()
    return SimpleNamespace(path=f"/m/{reference}/{token}", reference=reference, token=token, **vars(ids))


def state(app, reference):
    with app.app_context():
        booking = db.session.scalars(select(Booking).where(Booking.reference == reference)).one()
        slots = {s.id: s.booked_bookings for s in db.session.scalars(select(Slot))}
        return booking.status, booking.slot_id, slots


@pytest.mark.parametrize("lang, words", [("zh", ["我的预约", "已预约", "改期", "取消预约"]),
                                         ("en", ["Your booking", "Booked", "Change the time", "Cancel booking"])])
def test_manage_page_shows_the_booking_in_the_chosen_language(client, booked, lang, words):
    response = client.get(f"{booked.path}?lang={lang}")
    page = text(response)
    assert response.status_code == 200 and booked.reference in page
    for word in words:
        assert word in page
    assert f"/bookings/{booked.reference}.ics?token={booked.token}" in page
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert booked.token not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("path", ["/m/{ref}/wrong-token-0000000000", "/m/ZZZZZZZZ/{token}",
                                  "/m/{ref}/wrong-token-0000000000/cancel", "/m/{ref}/x/reschedule"])
def test_wrong_reference_or_token_gives_the_same_404_page(client, booked, path):
    response = client.get(path.format(ref=booked.reference, token=booked.token))
    assert response.status_code == 404
    main = text(response).split('<main id="main">')[1]
    assert "页面不存在" in main and booked.reference not in main


def test_unknown_reference_and_wrong_token_look_identical(client, booked):
    wrong_token = client.get(f"/m/{booked.reference}/{'A' * 22}").get_data(as_text=True)
    no_booking = client.get(f"/m/{'Z' * 8}/{'A' * 22}").get_data(as_text=True)
    strip = lambda page: re.sub(r"/m/\w+/", "", page)  # noqa: E731  (the language link repeats the path)
    assert strip(wrong_token) == strip(no_booking)


def test_cancel_asks_first_then_cancels_and_frees_the_place(app, client, booked):
    confirm_page = client.get(f"{booked.path}/cancel")
    assert "确定取消预约吗？" in text(confirm_page)
    assert state(app, booked.reference)[0] == "booked"  # looking changes nothing
    token = csrf_token(confirm_page.get_data(as_text=True))
    response = client.post(f"{booked.path}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    status, slot_id, slots = state(app, booked.reference)
    assert status == "cancelled" and slots[booked.first] == 0
    page = text(client.get(booked.path))
    assert "预约已取消，名额已释放给其他群众。" in page and "重新预约" in page
    again = client.post(f"{booked.path}/cancel", data={"csrf_token": token})
    assert again.status_code == 409 and "该预约已取消或已结束。" in text(again)


def test_cancel_without_csrf_token_is_a_400_page_and_keeps_the_booking(app, client, booked):
    response = client.post(f"{booked.path}/cancel?lang=en")
    assert response.status_code == 400 and "Please try again" in text(response)
    assert state(app, booked.reference)[0] == "booked"


def test_reschedule_moves_the_booking_to_a_free_slot(app, client, booked):
    with app.app_context():
        day = db.session.get(Slot, booked.second).starts_at.astimezone(
            db.session.get(Slot, booked.second).office.tz).date()
    page = client.get(f"{booked.path}/reschedule?day={day.isoformat()}&lang=en")
    html = page.get_data(as_text=True)
    assert f'name="slot_id" value="{booked.second}"' in html and "14:00" in html
    response = client.post(f"{booked.path}/reschedule", data={"csrf_token": csrf_token(html),
                                                               "slot_id": booked.second})
    assert response.status_code == 303
    status, slot_id, slots = state(app, booked.reference)
    assert slot_id == booked.second and slots == {booked.first: 0, booked.second: 1}
    assert "Your booking is moved." in text(client.get(booked.path))
    with app.app_context():
        assert db.session.scalars(select(SmsMessage.kind).order_by(SmsMessage.id.desc())).first() == "rescheduled"


@pytest.mark.parametrize("lang, message", [("zh", "该时段刚刚约满"), ("en", "That slot was just taken.")])
def test_reschedule_to_a_full_slot_keeps_the_old_booking_and_says_so(app, client, booked, lang, message):
    with app.app_context():
        full = db.session.get(Slot, booked.second)
        full.booked_bookings = full.max_bookings
        spare = make_slot(db.session.get(Service, full.service_id), days_ahead=3, at=dt.time(15, 0)).id
        day = full.starts_at.astimezone(full.office.tz).date().isoformat()
        db.session.commit()
    html = client.get(f"{booked.path}/reschedule?lang={lang}&day={day}").get_data(as_text=True)
    response = client.post(f"{booked.path}/reschedule", data={"csrf_token": csrf_token(html),
                                                               "slot_id": booked.second})
    answer = text(response)
    assert response.status_code == 409 and message in answer
    assert ("Your booking is unchanged." in answer) or ("您的原预约保持不变。" in answer)
    assert f'name="slot_id" value="{spare}"' in answer  # the nearest free times are offered
    status, slot_id, slots = state(app, booked.reference)
    assert status == "booked" and slot_id == booked.first and slots[booked.first] == 1


def test_confirm_button_confirms_the_booking(app, client, booked):
    with app.app_context():
        db.session.scalars(select(Service)).one().requires_confirmation = True
        db.session.commit()
    html = client.get(booked.path).get_data(as_text=True)
    assert "确认预约" in html
    response = client.post(f"{booked.path}/confirm", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303 and state(app, booked.reference)[0] == "confirmed"
    assert "谢谢，您的预约已确认。" in text(client.get(booked.path))


def test_a_link_cut_short_gets_the_friendly_page_but_the_api_keeps_json(client):
    response = client.get("/m/ABCDEFGH?lang=en")
    assert response.status_code == 404 and "Page not found" in text(response)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.is_json
