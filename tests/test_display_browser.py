"""The hall display in a real browser: it follows the queue within two seconds, shows crowding,
and recovers by itself after the network drops."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from booking.extensions import db
from booking.hall import door, queue
from booking.models import Booking, Office, StaffUser
from tests.test_staff_support import book, clear, make_office2

pytestmark = pytest.mark.browser


@pytest.fixture
def hall(app):
    with app.app_context():
        day = make_office2("registry-a", hall_limit=5)
        refs = []
        for i in range(3):
            booking = book(day.running, [2 * i, 2 * i + 1])
            clear(booking)
            refs.append(booking.reference)
        return refs


def act(app, fn):
    with app.app_context():
        office = db.session.scalar(select(Office))
        clerk = db.session.scalar(select(StaffUser).where(StaffUser.role == "clerk"))
        return fn(office, clerk)


def check_in(app, reference):
    def run(office, clerk):
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        return door.check_in(booking, [36.5, 36.5], clerk).ticket
    return act(app, run)


def test_the_display_follows_the_queue_and_recovers_after_a_network_drop(app, live_server, hall, page, screenshot):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{live_server}/display/registry-a")
    first = check_in(app, hall[0])
    expect(page.locator("#waiting li")).to_have_text([first], timeout=2000)
    act(app, lambda office, clerk: queue.call_next(office, "1", clerk))
    expect(page.locator("#calling li").first).to_contain_text(first, timeout=2000)
    expect(page.locator("#waiting li")).to_have_count(0, timeout=2000)

    page.context.set_offline(True)
    expect(page.locator("#connection")).to_contain_text("连接中断", timeout=5000)
    second = check_in(app, hall[1])  # 4 of 5 people: nearly full
    page.context.set_offline(False)
    expect(page.locator("#connection")).to_have_text("", timeout=5000)
    expect(page.locator("#waiting li")).to_have_text([second], timeout=2000)
    expect(page.locator("#occupancy-now")).to_have_text("4")
    expect(page.locator("#occupancy")).to_have_class("occupancy occupancy-warning")
    expect(page.locator("#occupancy-note")).to_contain_text("即将满员")
    screenshot(page, "hall-display-nearly-full")
