"""The citizen pages named in issue 16: words that read right, and pages that offer only what
can still be done (a cancelled booking's reschedule page, a past slot's form)."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from booking import bookings, health
from booking.errors import IdentityMissing
from booking.extensions import db
from booking.identity import normalize_identity
from booking.models import Booking, utcnow
from tests.factories import make_office, make_service, make_slot
from tests.health_factories import answers, book, marriage_slot
from tests.web_helpers import book as book_on_page
from tests.web_helpers import text


@pytest.fixture
def booked(app, client):
    with app.app_context():
        service = make_service(make_office())
        first = make_slot(service, days_ahead=2, at=dt.time(10, 0))
        make_slot(service, days_ahead=3, at=dt.time(14, 0))
        db.session.commit()
        first_id = first.id
    location = book_on_page(client, first_id).headers["Location"]
    reference, token = re.search(r"/m/(\w+)/([\w-]+)/booked", location).groups()
    return SimpleNamespace(path=f"/m/{reference}/{token}", reference=reference)


def test_an_empty_identity_number_is_asked_for_not_called_invalid():
    with pytest.raises(IdentityMissing) as missing:
        normalize_identity("resident_id", "  ")
    assert missing.value.message("zh") == "请填写证件号码。" and "无效" not in missing.value.message("zh")
    assert missing.value.code == "invalid_identity"  # the API's code stays the same


def test_a_cancelled_bookings_reschedule_page_offers_no_times(app, client, booked):
    with app.app_context():
        bookings.cancel(db.session.scalar(select(Booking).where(Booking.reference == booked.reference)))
    for lang, words in (("zh", "此预约已取消，不能改约。"),
                        ("en", "This booking is cancelled, so it cannot be moved.")):
        page = text(client.get(f"{booked.path}/reschedule?lang={lang}"))
        assert words in page and 'name="slot_id"' not in page and "calendar" not in page


def test_a_past_slot_says_so_and_shows_no_form(app, client):
    with app.app_context():
        service = make_service(make_office())
        past = make_slot(service, days_ahead=-1, at=dt.time(10, 0))
        db.session.commit()
        slot_id = past.id
    page = text(client.get(f"/book/slot/{slot_id}?lang=zh"))
    assert "notice-bad" in page and 'name="phone"' not in page and "选择其他时间" in page


def test_no_slots_yet_is_not_fully_booked(app, client):
    with app.app_context():
        office = make_office()
        make_service(office, opening=())  # nothing offered in the next two weeks
        full = make_service(office, code="divorce", kind="divorce", name_zh="离婚登记")
        make_slot(full, days_ahead=2, at=dt.time(10, 0), booked_bookings=10)
        db.session.commit()
    page = text(client.get("/?lang=zh"))
    assert page.count("暂未开放可预约时段") == 1 and page.count("近两周已约满") == 1
    english = text(client.get("/?lang=en"))
    assert "No times open for booking yet" in english and "Fully booked for two weeks" in english


def test_a_failed_declaration_offers_the_reschedule_page(app, client):
    with app.app_context():
        slot = marriage_slot(days_ahead=0, at=dt.time(0, 0))
        slot.starts_at = utcnow() + dt.timedelta(hours=3)  # the declaration window is open
        slot.ends_at = slot.starts_at + dt.timedelta(minutes=30)
        db.session.commit()
        booking, token = book(slot)
        health.declare(booking, [answers(0, symptoms=True), answers(1)])
        reference = booking.reference
    page = text(client.get(f"/bookings/{reference}/health?token={token}&lang=en"))
    link = re.search(r'href="([^"]+)"[^>]*>Move to a later day, free', page).group(1)
    assert link.endswith(f"/m/{reference}/{token}/reschedule")
    assert "Change the time" in text(client.get(link))
