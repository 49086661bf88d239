"""The staff page of the waiting list: the line of a day with the offer's deadline, and the
office's rationing settings, which only supervisors change and bad values leave unchanged."""

from __future__ import annotations

from booking import bookings
from booking.accounts import create_staff
from booking.extensions import db
from booking.models import RationingSettings

from .test_staff_pages import csrf
from .waiting_helpers import full_day, join
from .web_helpers import text


def logged_in(app, client, role: str) -> None:
    with app.app_context():
        create_staff("lin", "correct horse battery staple", role=role, office_code="registry")
    token = csrf(client.get("/staff/login").get_data(as_text=True))
    answer = client.post("/staff/login", data={"csrf_token": token, "username": "lin",
                                               "password": "correct horse battery staple"})
    assert answer.status_code in (302, 303)


def test_staff_see_the_line_of_a_day_in_chinese(app, client):
    with app.app_context():
        service, slot, day, (taken,) = full_day()
        first = join(service, day, 1)
        join(service, day, 2)
        bookings.cancel(taken.booking)
        reference = first.entry.reference
    logged_in(app, client, "clerk")
    page = text(client.get(f"/staff/registry/waiting?date={day.isoformat()}&lang=zh"))
    assert "候补名单" in page and reference in page and "待领取" in page and "等候中" in page
    assert "保留名额" in page and "人机验证" not in page.split("热门日期")[0]


def test_a_supervisor_sets_the_claim_window_and_bad_values_change_nothing(app, client):
    with app.app_context():
        full_day(claim_minutes=30)
    logged_in(app, client, "supervisor")
    token = csrf(client.get("/staff/registry/waiting?lang=zh").get_data(as_text=True))
    saved = client.post("/staff/registry/waiting/settings", data={
        "csrf_token": token, "claim_minutes": "20", "holdback_minutes": "30", "challenge": "days",
        "challenge_days": "2026-05-20\n2026-08-19"})
    assert saved.status_code == 303
    bad = client.post("/staff/registry/waiting/settings", data={
        "csrf_token": token, "claim_minutes": "0", "holdback_minutes": "30", "challenge": "days",
        "challenge_days": "5月20日"})
    assert bad.status_code == 422 and "设置无效" in text(bad)
    with app.app_context():
        settings = db.session.get(RationingSettings, 1)
        assert (settings.claim_minutes, settings.holdback_minutes, settings.challenge,
                settings.challenge_days) == (20, 30, "days", "2026-05-20,2026-08-19")
