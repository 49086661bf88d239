"""The busy-days page and a popular-day plan in a real browser (Debian's Chromium through
Playwright) at 360 px, in Chinese: the notable days ahead with a year before's bookings, the plan's
form, its preview, applying it and undoing it. Screenshots in test-artifacts/screenshots."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from booking.extensions import db
from booking.hall import queue
from booking.models import OpeningHours
from tests.bureau_support import bureau_world
from tests.test_busy_days_pages import next_may20
from tests.test_staff_support import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def registry(app):
    with app.app_context():
        w = bureau_world()
        w.a.service.hours = [OpeningHours(weekday=d, opens=dt.time(9), closes=dt.time(12)) for d in range(5)]
        db.session.commit()
        return next_may20(queue.today(w.a.office))


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_a_supervisor_plans_5_20_and_undoes_it_on_a_phone(app, live_server, registry, browser, screenshot):
    day = registry.isoformat()
    page = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN").new_page()
    page.goto(f"{live_server}/staff/login")
    page.fill("#username", "super-reg-a")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.goto(f"{live_server}/staff/reg-a/busy-days")
    card = page.locator(f'li.busy-day[data-date="{day}"]')
    expect(card.locator('[data-notable="may20"]')).to_have_text("5·20")
    expect(card).to_contain_text("去年同日")
    fits(page)
    screenshot(page, "busy-days-360")

    card.get_by_role("link", name="为这一天制定预案").click()
    expect(page.locator("h1")).to_contain_text("高峰预案")
    page.fill("#f-capacity_percent", "150")
    page.click("#preview-plan")
    expect(page.locator("#f-capacity_percent-error")).to_have_text("名额比例须为 1 到 100 之间的整数。")
    page.fill("#f-capacity_percent", "50")
    page.fill("#f-extra_hours", "08:00-12:00")
    fits(page)
    screenshot(page, "popular-day-form-360")
    page.click("#preview-plan")
    expect(page.locator("#plan-preview")).to_contain_text("改动内容")
    expect(page.locator("#work-change")).to_contain_text("开启")
    fits(page)
    screenshot(page, "popular-day-preview-360")
    page.click("#confirm-plan")
    expect(page).to_have_url(re.compile(r"/staff/reg-a/busy-days$"))
    expect(page.locator(".flash-ok")).to_contain_text("高峰预案已生效")
    expect(page.locator(f'li.busy-day[data-date="{day}"] [data-plan="yes"]')).to_be_visible()
    fits(page)
    screenshot(page, "busy-days-planned-360")

    page.goto(f"{live_server}/staff/reg-a/busy-days/{day}")
    page.click("#undo-plan")
    expect(page.locator("h1")).to_have_text("撤销预案前请核对")
    page.click("#confirm-plan")
    expect(page.locator(".flash-ok")).to_contain_text("高峰预案已撤销")
    expect(page.locator(f'li.busy-day[data-date="{day}"] [data-plan="yes"]')).to_have_count(0)
