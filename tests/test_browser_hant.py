"""A citizen from Hong Kong on a 360 px phone whose browser asks for zh-HK, in Debian's Chromium:
every page comes in Traditional Chinese without choosing anything; books a marriage
registration (the code and the confirmation arrive as Traditional texts), opens the SMS link,
sees the health declaration, and cancels. Nothing overflows 360 px, no serious accessibility
problem (axe-core); each page is screenshotted to test-artifacts/screenshots/citizen-zh-Hant-*."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from booking.demo import load_demo
from booking.extensions import db
from booking.models import Booking, SmsMessage
from booking.sms.compose import preview
from tests.factories import visitor

PHONE = "13812345679"
WIDTH = 360
AXE = Axe()
SIMPLIFIED_ONLY = re.compile("[预约选择时间办业务验证码请确认发链这个们为]")  # none of them Traditional


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo()
    return app


@pytest.fixture
def hk_page(browser, browser_context_args):
    context = browser.new_context(**{**browser_context_args, "locale": "zh-HK", "bypass_csp": True,
                                     "viewport": {"width": WIDTH, "height": 740}})
    try:
        yield context.new_page()
    finally:
        context.close()


def outbox(app, kind: str) -> str:
    with app.app_context():
        return preview(db.session.scalars(select(SmsMessage).where(SmsMessage.kind == kind)
                                          .order_by(SmsMessage.id.desc())).first())


def check(page, screenshot, name: str) -> None:
    """Traditional throughout, fits 360 px, no serious accessibility problem; screenshotted."""
    screenshot(page, f"citizen-zh-Hant-{name}")
    assert page.locator("html").get_attribute("lang") == "zh-Hant", name
    text = page.locator("main").inner_text()
    assert not SIMPLIFIED_ONLY.search(text.replace("简体中文", "")), (name, SIMPLIFIED_ONLY.findall(text))
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, f"{name} overflows 360 px"
    violations = [v for v in AXE.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert not violations, (name, [(v["id"], v["nodes"][0]["html"]) for v in violations])


@pytest.mark.browser
def test_citizen_books_in_traditional_chinese_on_a_360px_phone(demo, live_server, hk_page, screenshot):
    page, base = hk_page, live_server
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "選擇辦理地點和業務"
    assert page.get_by_role("link", name="简体中文").count() == 1
    check(page, screenshot, "1-home")

    page.locator("a.button", has_text="選擇日期").first.click()
    page.wait_for_url(re.compile(r"/book/jingan-registry/marriage$"))
    check(page, screenshot, "2-days")
    page.locator("a.day-open").first.click()
    check(page, screenshot, "3-slots")
    page.locator("a.slot-open").first.click()
    assert page.locator("h1").inner_text() == "填寫辦事人資料"
    assert page.input_value("#lang") == "zh-Hant"  # the texts follow the page language
    for i, n in enumerate((21, 22)):
        person = visitor(n)
        page.fill(f"#visitors-{i}-name", person["name"])
        page.fill(f"#visitors-{i}-id_number", person["id_number"])
    page.fill("#phone", PHONE)
    check(page, screenshot, "4-form")
    page.get_by_role("button", name="發送驗證碼").click()
    assert "我們已向" in page.locator(".notice-ok").inner_text()
    sms = outbox(demo, "verification_code")
    assert sms.startswith("【民政預約】驗證碼")
    page.fill("#code", "000000" if "000000" not in sms else "111111")
    page.get_by_role("button", name="提交預約").click()
    assert "驗證碼不正確或已過期。" in page.locator("#err-code").inner_text()
    check(page, screenshot, "5-form-error")

    page.fill("#code", re.search(r"\d{6}", sms).group())
    page.get_by_role("button", name="提交預約").click()
    page.wait_for_url(re.compile(r"/booked$"))
    assert "預約成功" in page.locator("h1").inner_text()
    reference = page.locator(".reference").inner_text()
    check(page, screenshot, "6-booked")
    with demo.app_context():
        assert db.session.scalars(select(Booking.lang).where(Booking.reference == reference)).one() == "zh-Hant"

    booked = outbox(demo, "booked")
    assert booked.startswith("【民政預約】已預約") and reference in booked
    link = re.search(r"https?://\S+/m/\S+", booked).group()
    page.goto(base + re.sub(r"^https?://[^/]+", "", link))
    assert page.locator("h1").inner_text() == "我的預約"
    check(page, screenshot, "7-manage")

    page.get_by_role("link", name="填寫健康申報").click()
    check(page, screenshot, "8-health")
    page.get_by_role("link", name=re.compile("為.+填寫申報")).first.click()
    assert page.locator("h1").inner_text().startswith("健康申報")
    check(page, screenshot, "8-health-form")
    page.goto(base + re.sub(r"^https?://[^/]+", "", link))
    page.get_by_role("link", name="取消預約").click()
    check(page, screenshot, "9-cancel-confirm")
    page.get_by_role("button", name="確定取消").click()
    assert "本預約已取消。" in page.locator(".notice-warn").inner_text()
    check(page, screenshot, "10-cancelled")
    assert outbox(demo, "cancelled").startswith("【民政預約】預約")

    # The switch: the header holds the two other languages, in English too, within 360 px.
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(base + "/")
    assert page.get_by_role("link", name="繁體中文").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    screenshot(page, "citizen-zh-Hant-11-switched-to-english")
