"""From the SMS link, in Chinese on a 390x844 phone in Debian's Chromium: declare for two
visitors, one with a fever, see the free reschedule offer; the door then refuses the booking
with not_cleared. Every page fits the phone and passes axe-core (no serious or critical issue);
screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from booking import health
from booking.extensions import db
from booking.hall import door
from booking.models import Booking, utcnow

from .health_factories import book, marriage_slot

AXE = Axe()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """The project's phone (390x844, zh-CN); CSP bypassed so that axe-core can be injected."""
    return {**browser_context_args, "bypass_csp": True}


def check(page, screenshot, name: str) -> None:
    screenshot(page, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} overflows the phone"
    violations = [v for v in AXE.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not violations, (name, [(v["id"], v["nodes"][0]["html"]) for v in violations])


def answer(page, question: str, choice: str) -> None:
    page.locator("fieldset", has_text=question).locator("label", has_text=choice).click()


def declare(page, temperature: str) -> None:
    answer(page, "发热", "否")
    answer(page, "中、高风险地区", "否")
    answer(page, "确诊或疑似病例", "否")
    answer(page, "健康码", "绿码")
    page.get_by_label("您现在的体温（°C）").fill(temperature)
    page.get_by_label("本人承诺以上信息真实").check()


@pytest.mark.browser
def test_two_visitors_declare_in_chinese_one_fails_and_the_door_refuses(app, live_server, page, screenshot):
    with app.app_context():
        slot = marriage_slot(days_ahead=0, at=dt.time(0, 0))
        start = utcnow() + dt.timedelta(hours=3)
        slot.starts_at, slot.ends_at = start, start + dt.timedelta(minutes=30)
        db.session.commit()
        booking, token = book(slot)
        reference = booking.reference
        names = [v.name for v in booking.visitors]
        sms_link = f"/bookings/{reference}/health?token={token}"

    page.goto(live_server + sms_link)
    assert page.locator("h1").inner_text() == "健康申报"
    assert page.locator(".hd-badge", has_text="未申报").count() == 2
    check(page, screenshot, "health-zh-1-overview")

    page.get_by_role("link", name=f"为{names[0]}填写申报").click()
    assert page.locator("h1").inner_text() == f"健康申报：{names[0]}"
    declare(page, "36.5")
    check(page, screenshot, "health-zh-2-form")
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_url(re.compile(r"/health\?token=.*#visitor-0$"))
    first = page.locator("#visitor-0")
    assert "已通过" in first.locator(".hd-badge").inner_text()
    assert "体温 36.5 °C，低于 37.3 °C" in first.inner_text()

    page.get_by_role("link", name=f"为{names[1]}填写申报").click()
    page.get_by_role("button", name="提交申报").click()  # nothing answered: told what is missing
    assert page.locator(".hd-error").count() >= 5
    check(page, screenshot, "health-zh-3-form-errors")
    declare(page, "37.8")
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_url(re.compile(r"#visitor-1$"))
    second = page.locator("#visitor-1")
    assert "未通过" in second.locator(".hd-badge").inner_text()
    assert "体温 37.8 °C，达到或超过 37.3 °C" in second.inner_text()
    offer = page.locator(".hd-offer")
    assert "可免费改约" in offer.inner_text()
    move = offer.get_by_role("link", name="免费改约到以后的日期")
    assert move.get_attribute("href") == f"/m/{reference}/{token}/reschedule"  # straight to the move
    check(page, screenshot, "health-zh-4-failed-offer")

    move.click()  # the offer leads to the booking's own reschedule page
    page.wait_for_url(re.compile(rf"/m/{reference}/"))
    assert page.locator("h1").count() == 1

    with app.app_context():
        booking = db.session.query(Booking).filter_by(reference=reference).one()
        assert [s.state for s in health.visitor_statuses(booking)] == ["cleared", "failed"]
        with pytest.raises(door.DoorRefused) as refused:
            door.check_in(booking, [36.5, 36.6], None, now=booking.slot.starts_at - dt.timedelta(minutes=10))
        assert refused.value.code == "not_cleared" and names[1] in refused.value.message("zh")


@pytest.mark.browser
def test_the_pages_in_english(app, live_server, page, screenshot):
    with app.app_context():
        slot = marriage_slot(days_ahead=0, at=dt.time(0, 0))
        start = utcnow() + dt.timedelta(hours=3)
        slot.starts_at, slot.ends_at = start, start + dt.timedelta(minutes=30)
        db.session.commit()
        booking, token = book(slot)
        reference = booking.reference
    page.goto(live_server + f"/bookings/{reference}/health?token={token}&lang=en")
    assert page.locator("h1").inner_text() == "Health declaration"
    check(page, screenshot, "health-en-1-overview")
    page.locator(".hd-visitor").first.get_by_role("link").click()
    assert "Fever or respiratory" in page.content() or "fever" in page.content()
    check(page, screenshot, "health-en-2-form")
