"""Arrival windows on a 360 px phone, in Debian's Chromium: the citizen's manage page and the
clerk's queue say when each party is to come (screenshots in test-artifacts/screenshots/)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from booking import accounts, bookings

from .test_arrival_windows import book, windowed_slots
from .test_staff_support import PASSWORD


def test_the_manage_page_and_the_queue_show_the_window_at_360_px(app, live_server, browser, screenshot):
    with app.app_context():
        (slot,) = windowed_slots()
        book(slot)
        booking = book(slot)
        path = f"/m/{booking.reference}/{bookings.manage_token(booking)}"
        reference = booking.reference
        code, day = slot.office.code, slot.starts_at.astimezone(slot.office.tz).date().isoformat()
        accounts.create_staff("clerk-w", PASSWORD, "clerk", code)
    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = phone.new_page()
    page.goto(live_server + path)
    expect(page.locator(".facts")).to_contain_text("到场时段")
    expect(page.locator(".facts")).to_contain_text("10:07")
    screenshot(page, "arrival-window-manage-zh-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(f"{live_server}/staff/login?lang=zh")
    page.fill("#username", "clerk-w")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/staff/{code}/queue"))
    page.goto(f"{live_server}/staff/{code}/queue?date={day}")
    expect(page.locator(f'article[data-reference="{reference}"]')).to_contain_text("到场 10:07–10:15")
    screenshot(page, "arrival-window-queue-zh-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    phone.close()
