"""The citizen's health-declaration pages (from the SMS link), through the test client."""

import datetime as dt
import re

import pytest

from booking import health
from booking.extensions import db
from booking.models import HealthDeclaration, utcnow

from .health_factories import book, funeral_slot, marriage_slot

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en"}
GOOD_FORM = {"symptoms": "no", "risk_area_travel": "no", "case_contact": "no", "health_code": "green",
             "temperature_c": "36.6", "truthful": "y"}


def _soon(slot, hours=3):
    start = utcnow() + dt.timedelta(hours=hours)
    slot.starts_at, slot.ends_at = start, start + dt.timedelta(minutes=30)
    db.session.commit()


@pytest.fixture
def booked(app):
    with app.app_context():
        slot = marriage_slot(days_ahead=0, at=dt.time(0, 0))
        _soon(slot)
        booking, token = book(slot)
        return booking.reference, token


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def send(client, reference, token, position, form, headers=ZH):
    url = f"/bookings/{reference}/health/{position}?token={token}"
    page = client.get(url, headers=headers).get_data(as_text=True)
    return client.post(url, data={**form, "csrf_token": csrf(page)}, headers=headers)


def test_the_overview_lists_each_visitor_with_a_link_to_declare(client, booked):
    reference, token = booked
    response = client.get(f"/bookings/{reference}/health?token={token}", headers=ZH)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "健康申报" in page and page.count("未申报") == 2
    assert f"/bookings/{reference}/health/0?token={token}" in page


def test_a_wrong_token_is_404(client, booked):
    reference, _ = booked
    assert client.get(f"/bookings/{reference}/health?token=nope").status_code == 404
    assert client.get(f"/bookings/{reference}/health/0?token=nope").status_code == 404


def test_declaring_on_the_form_judges_and_shows_the_reasons(app, client, booked):
    reference, token = booked
    response = send(client, reference, token, 0, GOOD_FORM)
    assert response.status_code == 302 and response.headers["Location"].endswith("#visitor-0")
    failed = send(client, reference, token, 1, {**GOOD_FORM, "temperature_c": "37.8"})
    assert failed.status_code == 302
    page = client.get(f"/bookings/{reference}/health?token={token}", headers=ZH).get_data(as_text=True)
    assert "已通过" in page and "未通过" in page
    assert "体温 37.8 °C，达到或超过 37.3 °C" in page
    assert "免费改约到以后的日期" in page and f"/m/{reference}/{token}" in page
    with app.app_context():
        assert [d.source for d in db.session.query(HealthDeclaration)] == ["web", "web"]


def test_a_correction_starts_from_the_previous_answers(client, booked):
    reference, token = booked
    send(client, reference, token, 0, {**GOOD_FORM, "temperature_c": "37.5"})
    page = client.get(f"/bookings/{reference}/health/0?token={token}", headers=ZH).get_data(as_text=True)
    assert 'value="37.5"' in page
    send(client, reference, token, 0, GOOD_FORM)
    page = client.get(f"/bookings/{reference}/health?token={token}", headers=EN).get_data(as_text=True)
    assert "36.6 °C is below 37.3 °C" in page and "37.5" not in page


def test_missing_answers_are_shown_beside_their_questions_and_nothing_is_saved(app, client, booked):
    reference, token = booked
    response = send(client, reference, token, 0, {"temperature_c": "99", "truthful": "y"}, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="err-symptoms"' in page and 'id="err-temperature_c"' in page
    assert "Enter a temperature between 34 and 43 °C." in page and 'value="99"' in page
    unconfirmed = send(client, reference, token, 0, {**GOOD_FORM, "truthful": ""})
    assert unconfirmed.status_code == 422 and "请确认以上信息属实" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(HealthDeclaration).count() == 0


def test_a_post_without_the_csrf_token_is_refused(app, client, booked):
    reference, token = booked
    response = client.post(f"/bookings/{reference}/health/0?token={token}", data=GOOD_FORM)
    assert response.status_code in (400, 422)
    with app.app_context():
        assert db.session.query(HealthDeclaration).count() == 0


def test_before_the_window_the_page_says_when_it_opens_in_office_time(app, client):
    with app.app_context():
        slot = marriage_slot(days_ahead=3)
        booking, token = book(slot)
        opens = (slot.starts_at - dt.timedelta(hours=24)).astimezone(slot.office.tz)
        reference = booking.reference
    page = client.get(f"/bookings/{reference}/health/0?token={token}", headers=EN).get_data(as_text=True)
    assert f"open on {opens:%a, %b} {opens.day}, 10:00 (Beijing time)" in page
    assert 'name="temperature_c"' not in page


def test_a_funeral_service_asks_for_the_test_time(app, client):
    with app.app_context():
        slot = funeral_slot(days_ahead=0, at=dt.time(0, 0))
        _soon(slot)
        booking, token = book(slot)
        reference, tz = booking.reference, slot.office.tz
    tested = (utcnow() - dt.timedelta(hours=30)).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    page = client.get(f"/bookings/{reference}/health/0?token={token}", headers=ZH).get_data(as_text=True)
    assert 'name="nat_negative_at"' in page and "48 小时内" in page
    send(client, reference, token, 0, {**GOOD_FORM, "nat_negative_at": tested})
    with app.app_context():
        from booking.models import Booking

        booking = db.session.query(Booking).filter_by(reference=reference).one()
        assert health.is_cleared(booking)


def test_when_everyone_passed_the_page_says_what_happens_at_the_door(client, booked):
    reference, token = booked
    send(client, reference, token, 0, GOOD_FORM)
    send(client, reference, token, 1, GOOD_FORM)
    page = client.get(f"/bookings/{reference}/health?token={token}", headers=ZH).get_data(as_text=True)
    assert "全部办事人已通过" in page and "门口还会测量体温" in page
    assert "免费改约" not in page
