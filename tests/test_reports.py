"""The daily report, checked figure by figure against a scripted day (and a zero report)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from booking import accounts, bookings
from booking.hall import door, queue, reports, walkins
from booking.models import utcnow
from tests.factories import visitor
from tests.test_staff_support import book, clear, declaration, make_office2, new_phone

M = dt.timedelta(minutes=1)


@pytest.fixture
def scripted(ctx):
    """One morning at office A, minute by minute from T (about now)."""
    day = make_office2("registry-a")
    b1, b2, b3, b4, b5, b6 = (book(day.running, [2 * i, 2 * i + 1]) for i in range(6))
    for b in (b1, b2, b4):
        clear(b)
    clear(b3, symptoms=True)  # both visitors fail their declaration
    T = utcnow()
    door.check_in(b1, [36.5, 36.6], day.clerk, now=T)
    with pytest.raises(door.DoorRefused):
        door.check_in(b3, [36.5, 36.6], day.clerk, now=T + 2 * M)  # not_cleared
    with pytest.raises(door.DoorRefused):
        door.check_in(b4, [37.8, 36.6], day.clerk, now=T + 3 * M)  # fever
    bookings.cancel(b5, by="citizen")
    bookings.confirm(b6)
    bookings.cancel(b6, by="office", reason="test", staff_user_id=day.supervisor.id)
    door.check_in(b2, [36.5, 36.6], day.clerk, now=T + 10 * M)
    queue.call_next(day.office, "1", day.clerk, now=T + 11 * M)
    walk_in = walkins.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(40), visitor(41)],
                            temperatures=[36.4, 36.5], declarations=[declaration(0), declaration(1)],
                            staff=day.clerk, now=T + 15 * M)
    queue.complete(b2, day.clerk, now=T + 20 * M)
    queue.complete(b1, day.clerk, now=T + 30 * M)
    queue.no_show(b3, day.clerk, now=T + 30 * M)
    return day, T, walk_in


def test_the_daily_report_counts_the_scripted_day(scripted):
    day, T, _ = scripted
    report = reports.daily_report(day.office, queue.today(day.office), now=T + 60 * M)
    expected = {"bookings": 7, "confirmed": 1, "cancelled": 2, "checked_in": 3, "completed": 2,
                "no_show": 1, "walk_ins": 1, "declarations_failed": 1, "peak_occupancy": 3}
    assert {k: report[k] for k in expected} == expected
    assert report["cancelled_by"] == {"citizen": 1, "office": 1, "auto_release": 0}
    assert report["refused"] == {"not_cleared": 1, "fever": 1}
    assert report["stay_minutes"] == {"average": 20.0, "longest": 30}
    people = report["people"]
    assert {k: people[k] for k in expected} == {"bookings": 14, "confirmed": 2, "cancelled": 4,
                                                "checked_in": 6, "completed": 4, "no_show": 2,
                                                "walk_ins": 2, "declarations_failed": 2,
                                                "peak_occupancy": 6}
    assert people["refused"] == {"not_cleared": 2, "fever": 2}
    assert max(report["occupancy_by_hour"]) == 6 and len(report["occupancy_by_hour"]) == 24


def test_a_day_without_anything_gives_a_zero_report(scripted):
    day, T, _ = scripted
    report = reports.daily_report(day.office, queue.today(day.office) + dt.timedelta(days=5))
    for name in reports.FIGURES:
        assert report[name] == 0 and report["people"][name] == 0
    assert report["refused"] == {} and report["stay_minutes"] == {"average": 0, "longest": 0}
    assert report["occupancy_by_hour"] == [0] * 24


def test_the_csv_has_a_row_per_day_in_bookings_and_in_people(scripted):
    day, T, _ = scripted
    today = queue.today(day.office)
    days = reports.range_report(day.office, today, today + dt.timedelta(days=1), now=T + 60 * M)
    rows = list(csv.DictReader(io.StringIO(reports.to_csv(days))))
    assert [(r["unit"], r["date"]) for r in rows] == [
        ("bookings", today.isoformat()), ("bookings", (today + dt.timedelta(days=1)).isoformat()),
        ("people", today.isoformat()), ("people", (today + dt.timedelta(days=1)).isoformat())]
    assert rows[0]["bookings"] == "7" and rows[2]["bookings"] == "14"
    assert rows[1]["bookings"] == "0"
    # One column per refusal reason, numbers a spreadsheet adds up (not "fever=1;not_cleared=1").
    assert (rows[0]["refused"], rows[0]["refused_fever"], rows[0]["refused_not_cleared"]) == ("2", "1", "1")
    assert rows[2]["refused_fever"] == "2" and rows[0]["refused_hall_full"] == "0"


def test_the_report_api_answers_supervisors_only(app, scripted):
    day, T, _ = scripted
    client = app.test_client()
    url = f"/api/v1/staff/reports/daily?office={day.office.code}&date={queue.today(day.office)}"
    clerk = accounts.issue_token(day.clerk)
    supervisor = accounts.issue_token(day.supervisor)
    assert client.get(url, headers={"Authorization": f"Bearer {clerk}"}).status_code == 403
    answer = client.get(url, headers={"Authorization": f"Bearer {supervisor}"})
    data = answer.get_json()
    assert answer.status_code == 200 and data["bookings"] == 7 and data["people"]["checked_in"] == 6
    assert data["refused"] == {"not_cleared": 1, "fever": 1}
    as_csv = client.get(url + "&format=csv", headers={"Authorization": f"Bearer {supervisor}"})
    assert as_csv.mimetype == "text/csv" and as_csv.get_data(as_text=True).startswith("unit,date,office")
