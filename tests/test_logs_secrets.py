"""No identity number, manage token or verification code in the logs.

The logs of a whole booking flow (code request, booking, reading it, its calendar file and
manage page, cancelling it, delivering the texts, a wrong code, a failing page) are captured
at DEBUG level and searched for the clear identity numbers, the token, the code and the
full phone number.
"""

from __future__ import annotations

import logging
import urllib.request

import pytest

from booking.extensions import db
from booking.sms import worker

from .conftest import serving
from .factories import PHONE, last_code, setup_marriage_slot, visitor

VISITORS = [visitor(11), visitor(12)]


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "booking"):
        caplog.set_level(logging.DEBUG, logger=name)
    # SQL echo at INFO shows statements but, with hide_parameters, none of their values.
    # (DEBUG would print result rows: never in production, docs/operations.md.)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    return caplog


def everything_logged(caplog) -> str:
    """Every record as formatted, with its traceback, plus the raw message and arguments."""
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


def assert_no_secrets(text: str, secrets: dict[str, str]) -> None:
    for what, value in secrets.items():
        assert value not in text, f"the {what} appears in the logs"


def book_through_api(app, slot_id: int) -> tuple[dict, str]:
    client = app.test_client()
    started = client.post("/api/v1/phone-verifications", json={"phone": PHONE, "lang": "en"})
    assert started.status_code == 201, started.get_json()
    with app.app_context():
        code = last_code(PHONE)
    wrong = client.post("/api/v1/bookings", json={
        "slot_id": slot_id, "phone": PHONE, "verification_id": started.get_json()["id"],
        "code": "000000" if code != "000000" else "111111", "visitors": VISITORS})
    assert wrong.status_code == 422
    booked = client.post("/api/v1/bookings", json={
        "slot_id": slot_id, "phone": PHONE, "verification_id": started.get_json()["id"], "code": code,
        "visitors": VISITORS, "lang": "en"})
    assert booked.status_code == 201, booked.get_json()
    return booked.get_json(), code


def test_whole_booking_flow_logs_no_identity_number_token_or_code(app, all_logs):
    client = app.test_client()
    with app.app_context():
        slot_id = setup_marriage_slot().id
    booking, code = book_through_api(app, slot_id)
    reference, token = booking["reference"], booking["token"]
    headers = {"X-Booking-Token": token}
    assert client.get(f"/api/v1/bookings/{reference}", headers=headers).status_code == 200
    assert client.get(f"/bookings/{reference}.ics?token={token}").status_code == 200
    assert client.get(f"/m/{reference}/{token}").status_code == 200
    assert client.post(f"/api/v1/bookings/{reference}/cancel", headers=headers).status_code == 200
    assert client.get(f"/api/v1/bookings/{reference}", headers={"X-Booking-Token": "wrong"}).status_code == 404
    with app.app_context():
        assert worker.drain() >= 3  # the code, the booking and the cancellation texts
        db.session.remove()

    logged = everything_logged(all_logs)
    assert "sms" in logged, "the flow did log (the capture works)"
    assert_no_secrets(logged, {
        "first identity number": VISITORS[0]["id_number"], "second identity number": VISITORS[1]["id_number"],
        "manage token": token, "verification code": f"code is {code}", "phone number": PHONE,
    })


@pytest.fixture
def served(app):
    """The app on a real HTTP server thread, whose request lines go to the werkzeug logger."""
    failing = "/m/<reference>/<token>/explode"

    def explode(reference, token):
        raise RuntimeError("a bug in a page")

    app.add_url_rule(failing, "explode", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page, and a log
    with serving(app) as url:
        yield url


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (our own loopback server)
            return answer.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_request_lines_and_error_logs_show_no_token(app, served, all_logs):
    with app.app_context():
        slot_id = setup_marriage_slot().id
    booking, _ = book_through_api(app, slot_id)
    reference, token = booking["reference"], booking["token"]
    assert fetch(f"{served}/m/{reference}/{token}") == 200
    assert fetch(f"{served}/bookings/{reference}.ics?token={token}") == 200
    assert fetch(f"{served}/m/{reference}/{token}/explode") == 500

    logged = everything_logged(all_logs)
    assert f"/m/{reference}/[redacted]" in logged, "the request lines were logged, redacted"
    assert "a bug in a page" in logged, "the failure itself is still logged"
    assert_no_secrets(logged, {"manage token": token})


def test_unexpected_error_page_is_bilingual_not_a_bare_500(app):
    app.add_url_rule("/explode", "explode", lambda: 1 / 0)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    page = app.test_client().get("/explode")
    assert page.status_code == 500
    text = page.get_data(as_text=True)
    assert "服务器出错" in text and "Something went wrong" in text
    assert "Internal Server Error" not in text and "ZeroDivisionError" not in text
