"""The city's daily report on both databases: exactly the region's offices, each with the figures
of its own daily report (zeros where nothing happened), the supervisors' submissions and who has
not submitted, totals; CSV and xlsx with the same figures; a grouped roll-up whose query count
does not grow with offices or days."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from booking import accounts, bookings
from booking.bureau import report, rollup
from booking.extensions import db
from booking.hall import door, queue, reports
from booking.models import AuditEvent, DailySubmission, Office, Region, StaffUser, utcnow
from tests.bureau_support import bureau_world
from tests.test_staff_support import book, clear, make_office2

M = dt.timedelta(minutes=1)


def _token(username: str) -> str:
    return accounts.issue_token(db.session.scalar(select(StaffUser).where(StaffUser.username == username)))


@pytest.fixture
def city(any_app):
    """Region shanghai: a scripted morning at reg-a, one booking at reg-b, nothing at cem-c;
    reg-d in suzhou busy too (it must not count)."""
    with any_app.app_context():
        w = bureau_world()
        b1, b2, b3 = (book(w.a.running, [2 * i, 2 * i + 1]) for i in range(3))
        clear(b1), clear(b2)
        T = utcnow()
        door.check_in(b1, [36.5, 36.6], w.a.clerk, now=T)
        with pytest.raises(door.DoorRefused):
            door.check_in(b3, [36.5, 36.6], w.a.clerk, now=T + M)  # not cleared
        door.check_in(b2, [36.5, 36.6], w.a.clerk, now=T + 2 * M)
        queue.call_next(w.a.office, "1", w.a.clerk, now=T + 3 * M)
        queue.complete(b1, w.a.clerk, now=T + 20 * M)
        bookings.cancel(book(w.a.running, [20, 21]), by="citizen")
        book(w.b.running, [30, 31])
        book(w.d.running, [40, 41])
        today = queue.today(w.a.office)
        expected = {o.code: reports.daily_report(o, today, now=T + 30 * M)
                    for o in (w.a.office, w.b.office, w.c.office)}
        found = {"app": any_app, "today": today, "now": T + 30 * M, "expected": expected,
                 "bureau": _token("bureau-shanghai"), "super_a": _token("super-reg-a"),
                 "super_d": _token("super-reg-d"), "other": _token("bureau-suzhou")}
        db.session.commit()
    return found


def _get(city, path, token=None, **query):
    client = city["app"].test_client()
    return client.get(path, headers={"Authorization": f"Bearer {token or city['bureau']}"}, query_string=query)


def _without_hours(found: dict) -> dict:
    return {k: v for k, v in found.items() if k not in ("office", "date")}


def test_the_roll_up_lists_exactly_the_regions_offices_with_their_own_figures_zeros_and_totals(city):
    answer = _get(city, "/api/v1/staff/reports/daily", region="shanghai", date=city["today"].isoformat())
    assert answer.status_code == 200
    found = answer.get_json()
    assert (found["region"], found["date"]) == ("shanghai", city["today"].isoformat())
    assert [o["office"] for o in found["offices"]] == ["cem-c", "reg-a", "reg-b"]  # reg-b through jingan
    by_code = {o["office"]: o for o in found["offices"]}
    for code, expected in city["expected"].items():
        figures = {k: v for k, v in by_code[code].items() if k not in (
            "office", "name_zh", "name_en", "submitted_at", "incident", "note", "occupancy_by_hour")}
        wanted = {k: v for k, v in _without_hours(expected).items() if k != "occupancy_by_hour"}
        if code == "reg-a":  # still inside at the answer's own now: peaks and hours may differ
            for unit in (figures, figures["people"], wanted, wanted["people"]):
                unit.pop("peak_occupancy")
        assert figures == wanted, code
    assert by_code["cem-c"]["bookings"] == 0 and by_code["cem-c"]["people"]["bookings"] == 0
    assert by_code["reg-a"]["bookings"] == 4 and by_code["reg-a"]["refused"] == {"not_cleared": 1}
    totals = found["totals"]
    assert totals["bookings"] == 5 and totals["people"]["bookings"] == 10
    assert totals["cancelled_by"]["citizen"] == 1 and totals["checked_in"] == 2 and totals["completed"] == 1
    assert found["not_submitted"] == ["cem-c", "reg-a", "reg-b"]


def test_the_roll_up_equals_each_offices_own_report_at_one_moment(city):
    with city["app"].app_context():
        region = db.session.scalar(select(Region).where(Region.code == "shanghai"))
        offices = db.session.scalars(select(Office).where(Office.code.in_(["reg-a", "reg-b", "cem-c"]))).all()
        rolled = rollup.rollup(offices, city["today"] - dt.timedelta(days=1), city["today"], now=city["now"])
        for office in offices:
            assert rolled[(office.id, city["today"])] == reports.daily_report(office, city["today"], now=city["now"])
            yesterday = city["today"] - dt.timedelta(days=1)
            assert rolled[(office.id, yesterday)] == reports.daily_report(office, yesterday, now=city["now"])
        assert report.region_day(region, city["today"], now=city["now"])["totals"]["people"]["peak_occupancy"] == 4


def _submit(city, token, **body):
    client = city["app"].test_client()
    return client.post("/api/v1/staff/reports/daily", headers={"Authorization": f"Bearer {token}"},
                       json={"office": "reg-a", "date": city["today"].isoformat(), **body})


def test_supervisors_submit_and_resubmit_the_day_and_the_roll_up_shows_it(city):
    first = _submit(city, city["super_a"], incident=False, note="")
    assert first.status_code == 201 and first.get_json()["incident"] is False
    again = _submit(city, city["super_a"], incident=True, note="一名群众在大厅晕倒，已送医。")
    assert again.status_code == 201
    found = _get(city, "/api/v1/staff/reports/daily", region="shanghai", date=city["today"].isoformat()).get_json()
    a = next(o for o in found["offices"] if o["office"] == "reg-a")
    assert (a["incident"], a["note"]) == (True, "一名群众在大厅晕倒，已送医。") and a["submitted_at"]
    assert found["not_submitted"] == ["cem-c", "reg-b"]
    with city["app"].app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "daily_report_submitted")
                                    .order_by(AuditEvent.id)).all()
        assert [json.loads(e.detail)["replaced"] for e in events] == [False, True]


@pytest.mark.parametrize(("body", "field"), [
    ({"incident": True, "note": "长" * 501}, "note"),
    ({"incident": "yes"}, "incident"),
    ({"incident": True, "date": "2100-12-31"}, "date"),
    ({"incident": True, "date": "31/12/2026"}, "date"),
])
def test_a_bad_submission_says_which_field_and_changes_nothing(city, body, field):
    answer = _submit(city, city["super_a"], **body)
    assert answer.status_code == 422 and field in (answer.get_json().get("fields") or {field: 1}), answer.get_json()
    assert answer.get_json()["error"] in ("invalid", "future_date", "invalid_note")
    found = _get(city, "/api/v1/staff/reports/daily", region="shanghai").get_json()
    assert found["not_submitted"] == ["cem-c", "reg-a", "reg-b"]


def test_only_the_offices_supervisor_submits(city):
    assert _submit(city, city["super_d"], incident=False).status_code == 404  # another office
    assert _submit(city, city["bureau"], incident=False).status_code == 403  # a bureau reads only


def test_csv_and_xlsx_carry_the_same_figures_with_chinese_or_english_headings(city):
    day = city["today"].isoformat()
    _submit(city, city["super_a"], incident=True, note="=HYPERLINK(\"http://x\")")
    data = _get(city, "/api/v1/staff/reports/daily", region="shanghai", date=day).get_json()
    text = _get(city, "/api/v1/staff/reports/daily", region="shanghai", date=day, format="csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    body = _get(city, "/api/v1/staff/reports/daily", region="shanghai", date=day, format="xlsx")
    assert body.status_code == 200 and body.data[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(body.data), read_only=True).active
    cells = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells == [[_cell(v) for v in row] for row in rows]
    assert rows[0][:5] == ["机构代码", "机构名称", "报送时间", "有无异常", "备注"] and "预约（单）" in rows[0]
    assert [r[0] for r in rows[1:]] == ["cem-c", "reg-a", "reg-b", ""] and rows[-1][1] == "合计"
    column = rows[0].index("预约（人）")
    assert [int(r[column]) for r in rows[1:]] == [o["people"]["bookings"] for o in data["offices"]] + [10]
    assert rows[2][3] == "有" and rows[2][4].startswith("'=")  # a note never runs as a formula
    english = _get(city, "/api/v1/staff/reports/daily", region="shanghai", date=day, format="csv", lang="en")
    header = next(csv.reader(io.StringIO(english.get_data(as_text=True).lstrip("\ufeff"))))
    assert header[:4] == ["Office code", "Office", "Submitted at", "Incident"] and "bookings (people)" in header


def _cell(value) -> str:
    """A cell as text, numbers as numbers (CSV says 20.0 where the sheet holds 20)."""
    if value is None:
        return ""
    try:
        return str(float(value))
    except ValueError:
        return str(value)


def test_the_roll_up_of_more_offices_and_days_takes_no_more_queries(city):
    with city["app"].app_context():
        region = db.session.scalar(select(Region).where(Region.code == "shanghai"))
        today = city["today"]
        assert region.code == "shanghai"
        few = _queries(lambda: report.region_day(region, today))
        for n in range(4):
            make_office2(f"more-{n}").office.region_id = region.id
        db.session.commit()
        assert region.code == "shanghai"  # loaded again after the commit, before counting
        many = _queries(lambda: report.region_range(region, today - dt.timedelta(days=30), today))
        assert many == few <= 8, (few, many)


def _queries(run) -> int:
    count = [0]

    def seen(_conn, _cursor, statement, *_):
        count[0] += statement.lstrip().upper().startswith("SELECT")

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return count[0]


def test_two_supervisors_submitting_at_once_both_get_an_answer_and_one_submission_stays(city):
    """Both requests pass the 'none yet' look at once: without the office's row lock the second
    failed on the (office, day) key with a 500; now it replaces the first."""
    barrier, answers = threading.Barrier(4), []

    def submit(n):
        barrier.wait(5)
        answers.append(_submit(city, city["super_a"], incident=bool(n % 2), note=f"第{n}份").status_code)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [201] * 4
    with city["app"].app_context():
        assert len(db.session.scalars(select(DailySubmission)).all()) == 1
