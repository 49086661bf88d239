"""The bureau's pages in a real browser (Debian's Chromium through Playwright) at 360 and 1280 px:
the city's daily report with the offices still to report highlighted, the live view refreshing
by itself under the Content-Security-Policy (no inline script), and the suspension's preview
per office. Screenshots in test-artifacts/screenshots."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from booking.extensions import db
from booking.hall import door, queue
from booking.models import Booking
from tests.bureau_support import bureau_world
from tests.test_staff_support import PASSWORD, book, clear

pytestmark = pytest.mark.browser


@pytest.fixture
def city(app):
    with app.app_context():
        w = bureau_world()
        waiting = book(w.a.running, [1, 2])
        clear(waiting)
        door.check_in(waiting, [36.5, 36.6], w.a.clerk)
        later = book(w.a.running, [3, 4])
        clear(later)
        book(w.b.tomorrow, [5, 6]), book(w.c.tomorrow, [7])
        return {"later": later.reference, "today": queue.today(w.a.office).isoformat()}


def log_in(page, base):
    page.goto(f"{base}/staff/login")
    page.fill("#username", "bureau-shanghai")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/staff/$"))


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.mark.parametrize("width", [360, 1280])
def test_the_report_the_live_view_and_the_suspension_preview(app, live_server, city, browser, screenshot, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    page = context.new_page()
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    log_in(page, live_server)
    expect(page.locator("h1").first).to_have_text("地区")  # its regions: shanghai, and jingan below it
    page.goto(f"{live_server}/staff/regions/shanghai/reports")
    expect(page.locator("#not-submitted")).to_contain_text("测试婚姻登记处")
    expect(page.locator("#region-report tbody tr.missing")).to_have_count(3)
    expect(page.locator("#region-totals")).to_contain_text("合计")
    fits(page)
    screenshot(page, f"bureau-report-{width}")

    page.goto(f"{live_server}/staff/regions/shanghai/overview")
    occupancy = page.locator('tr[data-office="reg-a"] [data-field="occupancy"]')
    expect(occupancy).to_have_text("2")
    with app.app_context():  # a second party comes in: the page shows it by itself
        door.check_in(db.session.scalar(select(Booking).where(Booking.reference == city["later"])),
                      [36.5, 36.6], None)
    expect(occupancy).to_have_text("4", timeout=12_000)
    expect(page.locator('tr[data-office="reg-a"] [data-field="waiting"]')).to_have_text("4")
    fits(page)
    screenshot(page, f"bureau-overview-{width}")

    page.goto(f"{live_server}/staff/regions/shanghai/closures")
    page.fill("#reason", "疫情防控需要")
    page.click("#closure-form button[type=submit]")
    expect(page.locator("#closure-preview")).to_be_visible()
    expect(page.locator("#preview-offices tbody tr")).to_have_count(3)
    fits(page)
    screenshot(page, f"bureau-suspension-preview-{width}")
    assert blocked == []
    context.close()
