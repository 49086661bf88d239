"""An administrator sets up a new office through the pages, on a 360 px phone in Chinese
(Debian's Chromium through Playwright): the office, a service with weekly hours and a lunch
break, dated hours that open a Saturday; each step previewed, then confirmed. What citizens
will be offered is then read through the public API. Every setup page is photographed at 360
and 1280 px in each language, none wider than the screen."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from booking.extensions import db
from tests.test_staff_support import PASSWORD, admin, make_office2

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")
LOCALES = {"zh": "zh-CN", "zh-Hant": "zh-TW", "en": "en-US"}


def log_in(page, base, lang="zh"):
    page.goto(f"{base}/staff/login?lang={lang}")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/staff/$"))


def fits(page, where: str):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (where, overflow)


def preview_then_confirm(page, screenshot, name: str, slots_added: bool = True):
    expect(page.locator("#setup-preview")).to_be_visible()
    if slots_added:
        expect(page.locator("#slot-counts")).not_to_contain_text("新增时段：0 个")
    fits(page, name)
    screenshot(page, f"setup-{name}-preview")
    page.click("#confirm-setup")
    expect(page.locator(".flash-ok")).to_be_visible()
    fits(page, name)
    screenshot(page, f"setup-{name}-done")


def next_weekday(weekday: int) -> dt.date:
    """The next local day (from tomorrow) with that weekday (0 = Monday), in Shanghai."""
    day = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def administrator(app):
    with app.app_context():
        admin()
        db.session.commit()


def test_an_administrator_sets_up_an_office_on_a_phone_in_chinese(app, live_server, administrator, browser,
                                                                    screenshot):
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server)
    page.click("text=登记处设置")
    page.click("#new-office")
    for field, value in {"code": "jinjiang", "name_zh": "成都市锦江区婚姻登记处",
                         "name_en": "Jinjiang District Marriage Registry", "address_zh": "成都市锦江区东大街 1 号",
                         "address_en": "1 East Street, Jinjiang, Chengdu", "counters": "1号窗口\n2号窗口\n3号窗口"
                         }.items():
        page.fill(f"#f-{field}", value)
    fits(page, "office-form")
    screenshot(page, "setup-office-form")
    page.click("#office-preview")
    preview_then_confirm(page, screenshot, "office", slots_added=False)
    expect(page.locator("#f-name_zh_hant")).to_have_value("成都市錦江區婚姻登記處")  # drafted, editable

    page.click("#new-service")
    for field, value in {"code": "marriage", "name_zh": "结婚登记", "name_en": "Marriage registration",
                         "booking_opens_days": "14", "slot_max_bookings": "8", "slot_max_people": "16"}.items():
        page.fill(f"#f-{field}", value)
    for day in ("mon", "tue", "wed", "thu", "fri"):
        page.fill(f"#f-hours_{day}", "09:00-12:00，13:30-17:00")
    page.fill("#f-hours_sat", "09:00-11:00, 10:30-12:00")  # overlapping: refused beside the field
    page.click("#service-preview")
    expect(page.locator("#f-hours_sat-error")).to_contain_text("不能重叠")
    fits(page, "service-error")
    screenshot(page, "setup-service-error")
    page.fill("#f-hours_sat", "")
    page.click("#service-preview")
    preview_then_confirm(page, screenshot, "service")

    saturday = next_weekday(5)
    page.click("a.big-link:has-text(\"特定日期安排\")")
    page.fill("#f-from", saturday.isoformat())
    page.check("input[name=services][value=marriage]")
    page.click("#regular-hours")  # a Saturday has no regular hours to start from
    expect(page.locator("#f-hours")).to_have_value("")
    page.fill("#f-hours", "09:00-12:00")
    page.fill("#f-reason_zh", "周六特别开放")
    fits(page, "exception-form")
    screenshot(page, "setup-exception-form")
    page.click("#exception-preview")
    preview_then_confirm(page, screenshot, "exception")
    expect(page.locator("#exceptions")).to_contain_text("周六特别开放")
    context.close()

    calendar = page_json(browser, f"{live_server}/api/v1/offices/jinjiang/calendar"
                                  f"?from={saturday}&to={saturday + dt.timedelta(days=6)}")
    days = {day["date"]: day for day in calendar["days"]}
    opened = days[saturday.isoformat()]
    assert opened["open"] and opened["hours"] == {"marriage": ["09:00-12:00"]} and opened["exception"]
    assert days[(saturday + dt.timedelta(days=1)).isoformat()]["hours"] == {"marriage": []}
    weekdays = [day for day in calendar["days"] if dt.date.fromisoformat(day["date"]).weekday() < 5
                and not day["holiday"]]
    assert weekdays and all(day["hours"] == {"marriage": ["09:00-12:00", "13:30-17:00"]} for day in weekdays)
    slots = page_json(browser, f"{live_server}/api/v1/availability?office=jinjiang&service=marriage"
                               f"&from={saturday}&to={saturday}")
    starts = [slot["start"][11:16] for slot in slots["slots"]]
    assert starts == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


def page_json(browser, url: str) -> dict:
    context = browser.new_context()
    response = context.request.get(url)
    assert response.status == 200, (url, response.text())
    body = response.json()
    context.close()
    return body


@pytest.mark.parametrize("lang", ["zh", "zh-Hant", "en"])
def test_every_setup_page_fits_360_and_1280_px(app, live_server, administrator, browser, screenshot, lang):
    with app.app_context():
        make_office2("registry-a")
    pages = ["admin/offices", "admin/offices/new", "registry-a/admin/office", "registry-a/admin/services/marriage",
             "registry-a/admin/services/new", "registry-a/admin/exceptions", "admin/holidays/2026",
             "admin/holidays/2031"]
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale=LOCALES[lang])
        page = context.new_page()
        log_in(page, live_server, lang)
        for path in pages:
            response = page.goto(f"{live_server}/staff/{path}")
            assert response.status == 200, path
            fits(page, f"{path} {width}")
            screenshot(page, f"setup-{lang}-{width}-{path.replace('/', '-')}")
        context.close()
