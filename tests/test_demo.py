"""`flask --app wsgi demo`: the staff login is printed every time (and can be reset), and the
demo's slots keep rolling from each office's local today, on each run and in the SMS worker."""

from __future__ import annotations

import datetime as dt
import re
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking import accounts, demo, scheduling
from booking.extensions import db
from booking.models import Office, Service, Slot, StaffUser, utcnow
from booking.sms import worker

LOGIN = re.compile(r"Staff login: demo-supervisor / (\S+)")


@pytest.fixture
def demo_app(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")  # the demo keeps its login there
    return app


def login(runner, *args) -> tuple[str, str | None]:
    result = runner.invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    found = LOGIN.search(result.output)
    return result.output, found.group(1) if found else None


def password_opens(app, password: str) -> bool:
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "demo-supervisor"))
        return accounts.check_password(user, password)


def test_every_demo_run_prints_the_login_and_a_reset_makes_a_new_one(demo_app):
    runner = demo_app.test_cli_runner()
    output, first = login(runner)
    assert "Demo data loaded." in output and first and password_opens(demo_app, first)
    output, again = login(runner)
    assert "already loaded" in output and again == first
    output, reset = login(runner, "--reset-password")
    assert reset and reset != first
    assert password_opens(demo_app, reset) and not password_opens(demo_app, first)
    assert login(runner)[1] == reset


def test_without_a_known_password_the_demo_says_how_to_reset_it(demo_app):
    runner = demo_app.test_cli_runner()
    _, password = login(runner)
    with demo_app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "demo-supervisor"))
        accounts.set_password(user, "changed-by-its-user")
    output, shown = login(runner)
    assert shown is None and "--reset-password" in output and password not in output


def last_local_days(app) -> dict[str, dt.date]:
    """Each service's last day with slots, in its office's time zone."""
    with app.app_context():
        db.session.expire_all()
        found = {}
        for service in db.session.scalars(select(Service)):
            last = db.session.scalar(select(func.max(Slot.starts_at)).where(Slot.service_id == service.id))
            found[service.code] = scheduling.local_day(service.office, last)
        return found


def local_today(app, code: str) -> dt.date:
    with app.app_context():
        office = db.session.scalar(select(Office).join(Service).where(Service.code == code))
        return scheduling.local_day(office, utcnow())


def test_each_demo_run_keeps_two_weeks_open_from_the_offices_today(demo_app):
    with demo_app.app_context():
        demo.load_demo(now=utcnow() - dt.timedelta(days=20))  # loaded three weeks ago
    assert last_local_days(demo_app)["tomb-sweeping"] < local_today(demo_app, "tomb-sweeping")
    output, _ = login(demo_app.test_cli_runner())
    assert re.search(r"already loaded; [1-9]\d* slots added", output)
    # The cemetery and the funeral home open every day (holidays included): their last slot is on
    # the last day of the booking window, today + 14.
    for code in ("tomb-sweeping", "farewell", "ashes"):
        assert last_local_days(demo_app)[code] == local_today(demo_app, code) + dt.timedelta(days=14)
    assert "0 slots added" in login(demo_app.test_cli_runner())[0]


def test_the_sms_worker_adds_the_missing_slots_when_slots_ahead_days_is_set(demo_app):
    with demo_app.app_context():
        demo.load_demo(now=utcnow() - dt.timedelta(days=20))
    demo_app.config["SLOTS_AHEAD_DAYS"] = 3
    stop = threading.Event()

    def run():
        with demo_app.app_context():
            worker.run_forever(stop, poll=0.05)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        for _ in range(200):
            if last_local_days(demo_app)["tomb-sweeping"] >= local_today(demo_app, "tomb-sweeping"):
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(10)
    today = local_today(demo_app, "tomb-sweeping")  # the whole booking window, 14 days ahead
    assert last_local_days(demo_app)["tomb-sweeping"] == today + dt.timedelta(days=14)


def test_without_slots_ahead_days_the_worker_creates_no_slot(app):
    with app.app_context():
        demo.load_demo(now=utcnow() - dt.timedelta(days=20))
        count = db.session.scalar(select(func.count()).select_from(Slot))
        assert worker.keep_slots(app.config["SLOTS_AHEAD_DAYS"]) == 0
        assert db.session.scalar(select(func.count()).select_from(Slot)) == count


@pytest.mark.parametrize("hour", [7, 12])
def test_the_demo_booking_window_ends_where_its_slots_end(app, hour):
    """Every day the booking window offers has slots (or is closed, or opens later): never a day
    shown open with nothing to book, before or after the daily opening time (08:30)."""
    with app.app_context():
        shanghai = ZoneInfo("Asia/Shanghai")  # every demo office's zone
        now = dt.datetime.combine(utcnow().astimezone(shanghai).date(), dt.time(hour), tzinfo=shanghai)
        demo.load_demo(now=now)
        for service in db.session.scalars(select(Service)):
            first = scheduling.local_day(service.office, now)
            summaries = scheduling.day_summaries(service, first, first + dt.timedelta(days=20), now=now)
            assert [s.day for s in summaries if s.state == "none"] == [], service.code
