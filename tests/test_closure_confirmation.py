"""Closures confirm exactly what the preview showed, and a confirmation acts once (issue 27).

Before: a preview of 2 bookings confirmed after 3 more were made cancelled 5, and a replayed
confirmation (double submit, back button, an API retry) added a second closure. Now the page's
confirmation carries the preview's digest of the booking ids: a change since is refused with
what changed and a new preview; the same closure confirmed again is answered with the first.
On both databases.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from booking import accounts, bookings
from booking.extensions import db
from booking.hall import queue
from booking.models import Booking, Closure, Office, Slot, SmsMessage, StaffUser
from booking.offices import closures as closure_rules

from .test_races import at_once, server  # noqa: F401  (server: a fixture)
from .test_staff_pages import csrf, login
from .test_staff_support import book, make_office2

URL = "/staff/registry-a/closures"


@pytest.fixture
def day(any_app):
    """(app, ids): an office with a slot tomorrow and a supervisor; plain values only, so that
    no session of the test holds SQLite's write lock while the pages write."""
    with any_app.app_context():
        made = make_office2("registry-a")
        ids = SimpleNamespace(office=made.office.id, slot=made.tomorrow.id, supervisor=made.supervisor.id,
                              tomorrow=queue.today(made.office) + dt.timedelta(days=1))
        db.session.remove()
    return any_app, ids


def book_tomorrow(app, ids, people: list[int]) -> int:
    with app.app_context():
        booking_id = book(db.session.get(Slot, ids.slot), people).id
        db.session.remove()
    return booking_id


def counts(app) -> tuple[int, int, int]:
    """(closures, cancelled bookings, texts of a cancellation by the office)."""
    with app.app_context():
        closures = db.session.scalar(select(func.count()).select_from(Closure))
        cancelled = db.session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "cancelled"))
        texts = db.session.scalar(select(func.count()).select_from(SmsMessage)
                                  .where(SmsMessage.kind == "cancelled_by_office"))
        db.session.remove()
    return closures, cancelled, texts


def confirmation_form(html: str) -> dict[str, str]:
    """The hidden fields of the preview's confirm form, as the browser would send them."""
    section = html[html.index('id="closure-preview"'):]
    section = section[:section.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', section))


def test_a_page_confirmation_after_new_bookings_is_refused_with_a_new_preview(day):
    app, ids = day
    for people in ([1, 2], [3, 4]):
        book_tomorrow(app, ids, people)
    client = app.test_client()
    login(client, "super-registry-a")
    token = csrf(client.get(URL + "?lang=en").get_data(as_text=True))
    asked = {"csrf_token": token, "service": "", "from": ids.tomorrow.isoformat(),
             "to": ids.tomorrow.isoformat(), "reason": "设备检修", "reason_en": ""}
    preview = client.post(URL, data=asked).get_data(as_text=True)
    assert "2 bookings (4 people) will be cancelled" in preview
    confirm = confirmation_form(preview)
    assert confirm["confirm"] == "yes" and confirm["previewed"]

    for n in range(3):  # booked while the supervisor reads the preview
        book_tomorrow(app, ids, [10 + 2 * n, 11 + 2 * n])
    refused = client.post(URL, data=confirm)
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "changed since the preview" in html and "it showed 2, there are now 5" in html, html
    assert "5 bookings (10 people) will be cancelled" in html  # the new preview
    assert counts(app) == (0, 0, 0), "nothing was closed or cancelled"

    again = confirmation_form(html)
    assert again["previewed"] != confirm["previewed"]
    done = client.post(URL, data=again)
    assert done.status_code == 302
    assert counts(app) == (1, 5, 5)
    replayed = client.post(URL, data=again)  # double submit, or the back button and submit
    assert replayed.status_code == 302
    assert counts(app) == (1, 5, 5), "a replayed confirmation acts once"
    assert "5 bookings cancelled" in client.get(URL).get_data(as_text=True)


def test_a_confirmation_cancels_no_fewer_than_it_showed_either(day):
    """A previewed booking that its citizen cancelled meanwhile also changes the set: the
    supervisor sees the new count before anything is closed."""
    app, ids = day
    first = book_tomorrow(app, ids, [1, 2])
    book_tomorrow(app, ids, [3, 4])
    with app.app_context():
        office, supervisor = db.session.get(Office, ids.office), db.session.get(StaffUser, ids.supervisor)
        shown = closure_rules.preview(office, None, ids.tomorrow, ids.tomorrow)
        bookings.cancel(db.session.get(Booking, first), by="citizen")
        with pytest.raises(closure_rules.PreviewOutdated) as refused:
            closure_rules.close_days(office, None, ids.tomorrow, ids.tomorrow, "设备检修", supervisor,
                                     previewed=shown.digest)
        assert refused.value.status == 409 and "there are now 1" in refused.value.message("en")
        now = closure_rules.preview(office, None, ids.tomorrow, ids.tomorrow)
        closure, cancelled = closure_rules.close_days(office, None, ids.tomorrow, ids.tomorrow, "设备检修",
                                                      supervisor, previewed=now.digest)
        assert cancelled == 1 and closure.id
        db.session.remove()


def test_an_api_retry_with_the_same_payload_acts_once(day):
    app, ids = day
    for people in ([1, 2], [3, 4]):
        book_tomorrow(app, ids, people)
    with app.app_context():
        token = accounts.issue_token(db.session.get(StaffUser, ids.supervisor))
        db.session.remove()
    client = app.test_client()
    body = {"office": "registry-a", "from": ids.tomorrow.isoformat(), "to": ids.tomorrow.isoformat(),
            "reason": "设备检修"}
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post("/api/v1/staff/closures", json=body, headers=headers)
    assert first.status_code == 201 and first.get_json()["cancelled"] == 2
    retry = client.post("/api/v1/staff/closures", json=body, headers=headers)
    assert retry.status_code == 201 and retry.get_json() == first.get_json()
    assert counts(app) == (1, 2, 2)
    other = client.post("/api/v1/staff/closures", json={**body, "reason": "停电"}, headers=headers)
    assert other.status_code == 201 and other.get_json()["cancelled"] == 0  # another closure: its own
    assert counts(app) == (2, 2, 2)


def test_parallel_copies_of_one_confirmation_close_once(day, server):  # noqa: F811 (the fixture)
    """Eight copies of one API closure at once (a client retrying on a timeout, twice clicked):
    one closure, every answer names it (gunicorn -w 2 on PostgreSQL)."""
    app, ids = day
    for people in ([1, 2], [3, 4]):
        book_tomorrow(app, ids, people)
    with app.app_context():
        token = accounts.issue_token(db.session.get(StaffUser, ids.supervisor))
        db.session.remove()
    body = {"office": "registry-a", "from": ids.tomorrow.isoformat(), "to": ids.tomorrow.isoformat(),
            "reason": "设备检修"}
    outcomes = at_once([(server + "/api/v1/staff/closures", body, {"Authorization": f"Bearer {token}"})] * 8)
    assert {status for status, _ in outcomes} == {201}, outcomes
    assert len({(answer["id"], answer["cancelled"]) for _, answer in outcomes}) == 1, outcomes
    assert counts(app) == (1, 2, 2)
