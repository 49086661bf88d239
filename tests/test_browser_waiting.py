"""A citizen in Chinese, in Debian's Chromium on a 390x844 phone, with the real Content Security
Policy: finds a popular day full, joins its waiting list (the proof-of-work check solving in the
page, from our own static files), sees the place in line, receives the offer text when a couple
cancels, opens its link and claims the place within the window. Screenshots go to
test-artifacts/screenshots/waiting-*.png."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from sqlalchemy import select

from booking import bookings, challenge
from booking.extensions import db
from booking.models import Booking, RationingSettings, SmsMessage
from booking.sms.compose import preview
from tests.factories import visitor
from tests.waiting_helpers import full_day

PHONE = "13912345678"


def newest_text(app, kind: str) -> str:
    with app.app_context():
        return preview(db.session.scalars(select(SmsMessage).where(SmsMessage.kind == kind)
                                          .order_by(SmsMessage.id.desc())).first())


def wait_for_check(page) -> float:
    """Seconds until the in-page proof-of-work check has put its solution in the form."""
    started = time.monotonic()
    solution = page.locator("input[name=altcha]")
    while time.monotonic() - started < 120:  # a loaded test machine; alone it takes ~1 s
        if solution.count() and solution.first.input_value():
            return time.monotonic() - started
        page.wait_for_timeout(100)
    raise AssertionError("the proof-of-work check did not finish in 120 s")


def test_join_receive_the_offer_and_claim_it_in_chinese(app, live_server, page, screenshot):
    with app.app_context():
        _, slot, day, (taken,) = full_day(claim_minutes=30)
        settings = db.session.get(RationingSettings, slot.office_id)
        settings.challenge, settings.challenge_days = "days", day.isoformat()
        db.session.commit()
        challenge.forget_rules()  # the booking above read the rules (the pipeline checks every post)
        reference = taken.booking.reference
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"{live_server}/book/registry/marriage/{day.isoformat()}?lang=zh")
    page.get_by_role("link", name="登记候补").click()
    page.wait_for_url(re.compile(r"/wait/registry/marriage/"))
    assert page.locator("h1").inner_text() == "登记候补"
    for i, n in enumerate((31, 32)):
        page.fill(f"#visitors-{i}-name", visitor(n)["name"])
        page.fill(f"#visitors-{i}-id_number", visitor(n)["id_number"])
    page.fill("#phone", PHONE)
    first_check = wait_for_check(page)
    screenshot(page, "waiting-1-join-form")
    page.get_by_role("button", name="发送验证码").click()
    page.wait_for_selector("text=我们已向")
    code = re.search(r"\d{6}", newest_text(app, "verification_code")).group()
    page.fill("#code", code)
    wait_for_check(page)
    page.get_by_role("button", name="登记候补").click()
    page.wait_for_url(re.compile(r"/w/[A-Z0-9]+/"))
    assert page.locator(".waiting-position").inner_text() == "您目前排第 1 位。"
    screenshot(page, "waiting-2-in-line")
    assert "排第1位" in newest_text(app, "waiting_joined")

    with app.app_context():  # a couple gives up its place
        bookings.cancel(db.session.scalars(select(Booking).where(Booking.reference == reference)).one())
    offer = newest_text(app, "waiting_offer")
    assert offer.startswith("【民政预约】候补到名额") and "前领取" in offer
    link = re.search(r"https://\S+", offer).group()
    page.goto(live_server + urlsplit(link).path)
    assert "已为您保留一个名额" in page.content() and "逾期将顺延给下一位候补者" in page.content()
    screenshot(page, "waiting-3-offer")
    page.get_by_role("button", name="领取这个名额").click()
    page.wait_for_url(re.compile(r"/m/[A-Z0-9]+/.+/booked"))
    assert page.locator("h1").inner_text() == "预约成功"
    screenshot(page, "waiting-4-claimed")
    print(f"in-page proof-of-work check: {first_check:.1f} s")
    assert not [e for e in errors if "Content Security Policy" in e and "script" in e], errors


def test_the_staff_waiting_list_page_fits_a_360_px_phone(app, live_server, browser, screenshot):
    """The line of a full day, with an offer out and people waiting, read by a clerk on a phone:
    nothing wider than the screen (documentElement.scrollWidth), in Chinese and in English."""
    from booking.accounts import create_staff
    from tests.waiting_helpers import join
    with app.app_context():
        service, _, day, (taken,) = full_day()
        for n in (1, 2, 3):
            join(service, day, n)
        bookings.cancel(taken.booking)
        create_staff("lin", "correct horse battery staple", role="supervisor", office_code="registry")
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/staff/login")
    page.fill("#username", "lin")
    page.fill("#password", "correct horse battery staple")
    page.click("form button[type=submit]")
    for lang in ("zh", "en"):
        page.goto(f"{live_server}/staff/registry/waiting?date={day.isoformat()}&lang={lang}")
        assert page.locator(".waiting-line tbody tr").count() == 3
        screenshot(page, f"staff-waiting-{lang}-360")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (lang, width)
    context.close()
