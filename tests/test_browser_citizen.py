"""A citizen on a 390x844 phone, in Chinese and in English, in Debian's Chromium: books a
marriage registration (reading the code from the test SMS backend, the outbox), sees the
confirmation, opens the SMS link, reschedules, cancels. Every page passes axe-core with no
serious or critical violation; each step is screenshotted to test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from booking.demo import load_demo
from booking.extensions import db
from booking.models import Booking, Service, Slot, SmsMessage
from booking.sms.compose import preview
from tests.factories import visitor

PHONE = "13812345678"
WORDS = {
    "zh": dict(home="选择办理地点和业务", choose_day="选择日期", form="填写办事人信息", send="发送验证码",
               sent="我们已向", submit="提交预约", bad_code="验证码不正确或已过期。", booked="预约成功",
               manage="我的预约", reschedule="改期", moved="预约已改期", cancel="取消预约",
               really="确定取消", cancelled="本预约已取消。", not_found="页面不存在"),
    "en": dict(home="Choose an office and a service", choose_day="Choose a day", form="Your details",
               send="Send code", sent="We sent a 6-digit code", submit="Book this time",
               bad_code="The code is wrong or has expired.", booked="You are booked", manage="Your booking",
               reschedule="Change the time", moved="Your booking is moved.", cancel="Cancel booking",
               really="Yes, cancel the booking", cancelled="This booking is cancelled.",
               not_found="Page not found"),
}
AXE = Axe()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """The project's phone (390x844, zh-CN); CSP bypassed so that axe-core can be injected."""
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo()
    return app


def outbox(app, kind: str) -> str:
    """The newest text of a kind, as the test SMS backend (the outbox table) holds it."""
    with app.app_context():
        return preview(db.session.scalars(select(SmsMessage).where(SmsMessage.kind == kind)
                                          .order_by(SmsMessage.id.desc())).first())


def check(page, screenshot, name: str) -> None:
    """Screenshot the step, prove it fits a phone and has no serious accessibility problem."""
    screenshot(page, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} overflows the phone"
    violations = [v for v in AXE.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not violations, (name, [(v["id"], v["nodes"][0]["html"]) for v in violations])


def citizen_flow(page, base: str, app, lang: str, screenshot) -> None:
    w = WORDS[lang]
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == w["home"]
    check(page, screenshot, f"citizen-{lang}-1-home")

    page.locator("a.button", has_text=w["choose_day"]).first.click()
    page.wait_for_url(re.compile(r"/book/jingan-registry/marriage$"))
    check(page, screenshot, f"citizen-{lang}-2-days")

    page.locator("a.day-open").first.click()
    check(page, screenshot, f"citizen-{lang}-3-slots")

    page.locator("a.slot-open").first.click()
    assert page.locator("h1").inner_text() == w["form"]
    for i, n in enumerate((11, 12)):
        person = visitor(n)
        page.fill(f"#visitors-{i}-name", person["name"])
        page.fill(f"#visitors-{i}-id_number", person["id_number"])
    page.fill("#phone", PHONE)
    page.select_option("#lang", lang)
    check(page, screenshot, f"citizen-{lang}-4-form")
    page.get_by_role("button", name=w["send"]).click()
    assert w["sent"] in page.locator(".notice-ok").inner_text()
    assert page.input_value("#visitors-1-id_number") == visitor(12)["id_number"]  # all kept
    code = re.search(r"\d{6}", outbox(app, "verification_code")).group()

    page.fill("#code", "000000" if code != "000000" else "111111")
    page.get_by_role("button", name=w["submit"]).click()
    assert w["bad_code"] in page.locator("#err-code").inner_text()
    check(page, screenshot, f"citizen-{lang}-5-form-error")

    page.fill("#code", code)
    page.get_by_role("button", name=w["submit"]).click()
    page.wait_for_url(re.compile(r"/booked$"))
    assert w["booked"] in page.locator("h1").inner_text()
    reference = page.locator(".reference").inner_text()
    assert page.locator(".qr svg").count() == 1
    check(page, screenshot, f"citizen-{lang}-6-booked")

    sms = outbox(app, "booked")
    assert reference in sms
    link = re.search(r"https?://\S+/m/\S+", sms).group()
    page.goto(base + re.sub(r"^https?://[^/]+", "", link))  # the SMS link, on this test server
    assert page.locator("h1").inner_text() == w["manage"]
    check(page, screenshot, f"citizen-{lang}-7-manage")

    old_time = page.locator(".facts div").nth(1).inner_text()
    page.get_by_role("link", name=w["reschedule"]).click()
    page.locator("a.day-open").nth(1).click()
    check(page, screenshot, f"citizen-{lang}-8-reschedule")
    page.locator("button.slot-open").last.click()
    assert w["moved"] in page.locator(".notice-ok").inner_text()
    assert page.locator(".facts div").nth(1).inner_text() != old_time
    check(page, screenshot, f"citizen-{lang}-9-rescheduled")

    page.get_by_role("link", name=w["cancel"]).click()
    check(page, screenshot, f"citizen-{lang}-10-cancel-confirm")
    page.get_by_role("button", name=w["really"]).click()
    assert w["cancelled"] in page.locator(".notice-warn").inner_text()
    check(page, screenshot, f"citizen-{lang}-11-cancelled")
    with app.app_context():
        assert db.session.scalars(select(Booking.status).where(Booking.reference == reference)).one() == "cancelled"

    page.goto(base + f"/m/{reference}/not-the-token")
    assert page.locator("h1").inner_text() == w["not_found"]
    check(page, screenshot, f"citizen-{lang}-12-not-found")


@pytest.mark.browser
def test_citizen_books_reschedules_and_cancels_in_chinese(demo, live_server, page, screenshot):
    citizen_flow(page, live_server, demo, "zh", screenshot)
    # The narrowest phones in use: 360 px, nothing may overflow sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    with demo.app_context():
        tomb = db.session.scalars(select(Slot.id).join(Service).where(Service.code == "tomb-sweeping")).first()
    for path in ("/", "/book/binhai-cemetery/tomb-sweeping", f"/book/slot/{tomb}?people=5"):
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    screenshot(page, "citizen-zh-13-form-360px")


@pytest.mark.browser
def test_citizen_books_reschedules_and_cancels_in_english(demo, live_server, browser, browser_context_args,
                                                          screenshot):
    context = browser.new_context(**{**browser_context_args, "locale": "en-US"})
    try:
        citizen_flow(context.new_page(), live_server, demo, "en", screenshot)
    finally:
        context.close()


@pytest.mark.parametrize("start,switch", [("zh", "English"), ("en", "简体中文"), ("zh", "繁體中文")])
def test_switching_the_language_keeps_what_was_typed(demo, live_server, page, start, switch):
    page.goto(f"{live_server}/?lang={start}")
    page.locator("a.button").first.click()
    page.locator("a.day-open").first.click()
    page.locator("a.slot-open").first.click()
    person = visitor(21)
    page.fill("#visitors-0-name", person["name"])
    page.fill("#visitors-0-id_number", person["id_number"])
    page.fill("#phone", PHONE)
    page.locator("header a[hreflang]", has_text=switch).click()
    page.wait_for_url(re.compile(r"lang="))
    assert page.input_value("#visitors-0-name") == person["name"]
    assert page.input_value("#visitors-0-id_number") == person["id_number"]
    assert page.input_value("#phone") == PHONE
    page.reload()  # and a reload loses nothing either (kept in this tab until booked)
    assert page.input_value("#visitors-0-id_number") == person["id_number"]


def fill_and_book(page, base: str, app, visitors=(11, 12)) -> str:
    """From the home page to the booked page in Chinese, with a code sent first; the reference."""
    page.goto(base + "/")
    page.locator("a.button", has_text=WORDS["zh"]["choose_day"]).first.click()
    page.locator("a.day-open").first.click()
    page.locator("a.slot-open").first.click()
    for i, n in enumerate(visitors):
        page.fill(f"#visitors-{i}-name", visitor(n)["name"])
        page.fill(f"#visitors-{i}-id_number", visitor(n)["id_number"])
    page.fill("#phone", PHONE)
    page.get_by_role("button", name=WORDS["zh"]["send"]).click()
    page.fill("#code", re.search(r"\d{6}", outbox(app, "verification_code")).group())
    page.get_by_role("button", name=WORDS["zh"]["submit"]).click()
    page.wait_for_url(re.compile(r"/booked$"))
    return page.locator(".reference").inner_text()


@pytest.mark.browser
def test_back_after_booking_shows_the_booking_and_books_nothing_again(demo, live_server, page):
    reference = fill_and_book(page, live_server, demo)
    page.go_back()
    page.wait_for_url(re.compile(r"/booked$"))
    assert page.locator(".reference").inner_text() == reference
    page.reload()
    assert page.locator(".reference").inner_text() == reference
    with demo.app_context():
        assert db.session.scalar(select(db.func.count(Booking.id)).where(Booking.phone.like("%" + PHONE))) == 1
