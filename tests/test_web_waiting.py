"""The waiting-list pages in Chinese through the test client: a full day invites to join, the
form joins (same details as a booking), the entry page shows the position, then the offer,
and claiming books the place."""

from __future__ import annotations

from sqlalchemy import select

from booking import bookings
from booking.extensions import db
from booking.models import Booking

from .factories import last_code, visitor
from .waiting_helpers import assert_ledger, full_day
from .web_helpers import csrf_token, form_data, text

PHONE = "+8613311112222"


def join_by_form(client, day, visitors):
    base = f"/wait/registry/marriage/{day.isoformat()}"
    page = client.get(base + "?lang=zh").get_data(as_text=True)
    sent = client.post(base + "/code", data=form_data(page, visitors, PHONE))
    assert sent.status_code == 200, text(sent)
    with client.application.app_context():
        code = last_code(PHONE)
    return client.post(base, data=form_data(sent.get_data(as_text=True), visitors, PHONE, code=code))


def full(app):
    """A full day; returns (slot id, day, the booking that fills it as (reference, token))."""
    with app.app_context():
        _, slot, day, (taken,) = full_day()
        return slot.id, day, taken.booking.reference


def cancel(app, reference: str) -> None:
    with app.app_context():
        bookings.cancel(db.session.scalars(select(Booking).where(Booking.reference == reference)).one())


def test_a_full_day_invites_to_join_and_the_entry_shows_the_place_in_line(app, client):
    slot_id, day, taken = full(app)
    page = text(client.get(f"/book/registry/marriage/{day.isoformat()}?lang=zh"))
    assert "登记候补" in page and f"/wait/registry/marriage/{day.isoformat()}" in page
    joined = join_by_form(client, day, [visitor(1), visitor(2)])
    assert joined.status_code == 303, text(joined)
    entry_page = client.get(joined.headers["Location"])
    assert "您目前排第 1 位。" in text(entry_page)
    assert entry_page.headers["Cache-Control"] == "no-store"

    cancel(app, taken)
    offered = text(client.get(joined.headers["Location"]))
    assert "已为您保留一个名额" in offered and "领取这个名额" in offered
    claimed = client.post(joined.headers["Location"] + "/claim", data={"csrf_token": csrf_token(offered)})
    assert claimed.status_code == 303 and "/booked" in claimed.headers["Location"]
    assert "预约成功" in text(client.get(claimed.headers["Location"]))
    with app.app_context():
        assert_ledger(slot_id)


def test_joining_a_day_with_places_says_so_in_chinese_and_keeps_the_form(app, client):
    _, day, taken = full(app)
    cancel(app, taken)
    answer = join_by_form(client, day, [visitor(1), visitor(2)])
    assert answer.status_code == 409
    assert "该日期还有空余名额，请直接预约。" in text(answer) and visitor(1)["name"] in text(answer)


def test_a_wrong_entry_link_is_the_friendly_404(client):
    answer = client.get("/w/ABCD2345/not-the-token?lang=zh")
    assert answer.status_code == 404 and "页面不存在" in text(answer)
