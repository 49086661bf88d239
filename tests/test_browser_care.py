"""Care mode (长辈版) on a 360 px phone in Chinese, in Debian's Chromium: a whole booking, one
question per screen, with every page measured against the MIIT 2021 elderly-friendly website
specification (《互联网网站适老化通用设计规范》): text of at least 18 CSS px with line height 1.3,
targets of the main flow 60 px high and every other target 44 x 44, text contrast 4.5:1, no
lost input, no ticking timer. Every page passes axe-core; screenshots go to
test-artifacts/screenshots/care-zh-*.png."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select, update

from booking.demo import load_demo
from booking.extensions import db
from booking.models import Booking, PhoneVerification, utcnow
from tests.factories import visitor
from tests.test_browser_citizen import PHONE, outbox

AXE = Axe()
PHONE_360 = {"width": 360, "height": 740}

# Every visible text, target and colour of the page, measured from the computed styles.
MEASURE = """() => {
  const problems = [];
  const shown = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && r.bottom > 0 && s.visibility !== 'hidden'; };
  const rgba = c => { const m = c.match(/[\\d.]+/g).map(Number); return m.length === 3 ? [...m, 1] : m; };
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = el => { for (; el; el = el.parentElement) { const c = rgba(getComputedStyle(el).backgroundColor);
    if (c[3] > 0.5) return c; } return [255, 255, 255, 1]; };
  const name = el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '');
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement, text = walker.currentNode.textContent.trim();
    if (!text || seen.has(el) || el.closest('.visually-hidden, svg, script, style, option') || !shown(el)) continue;
    seen.add(el);
    const s = getComputedStyle(el), size = parseFloat(s.fontSize);
    const line = s.lineHeight === 'normal' ? size * 1.2 : parseFloat(s.lineHeight);
    if (size < 18) problems.push(['font-size', size, name(el), text]);
    if (line / size < 1.3) problems.push(['line-height', line / size, name(el), text]);
    const fg = lum(rgba(s.color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) problems.push(['contrast', ratio, name(el), text]);
  }
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, summary')) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (el.matches('.button, .control, .slot, .day-row') ? r.height < 60 : (r.height < 44 || r.width < 44)) {
      problems.push(['target', [Math.round(r.width), Math.round(r.height)], name(el), el.textContent.trim()]);
    }
  }
  return problems;
}"""


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A 360 px phone in Chinese; CSP bypassed so that axe-core can be injected."""
    return {**browser_context_args, "bypass_csp": True, "viewport": PHONE_360}


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo()
    return app


def check(page, screenshot, name: str) -> None:
    """Screenshot, then: in care mode, fits 360 px, every measure met, axe-core finds nothing."""
    screenshot(page, name)
    assert page.evaluate("document.documentElement.classList.contains('care')"), name
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{name} overflows the phone"
    assert page.evaluate(MEASURE) == [], name
    violations = AXE.run(page).response["violations"]
    assert not violations, (name, [(v["id"], v["impact"], v["nodes"][0]["html"]) for v in violations])


def visible_steps(page) -> list[str]:
    """The headings of the questions on screen, once booking.js has laid them out."""
    page.locator("[data-step-nav]").wait_for()
    return page.locator("[data-step]:visible").evaluate_all(
        "els => els.map(e => e.querySelector('h2, legend').textContent)")


@pytest.mark.browser
def test_a_whole_booking_in_care_mode_at_360_px_in_chinese(demo, live_server, page, screenshot):
    page.goto(live_server + "/")
    page.get_by_role("link", name="字更大、按钮更大：切换到长辈版").click()  # the switch on the home page
    check(page, screenshot, "care-zh-1-home")
    assert page.locator("header .mode-switch").inner_text() == "标准版"

    page.locator("a.button", has_text="选择日期").first.click()  # remembered by the cookie
    page.wait_for_url(re.compile(r"/book/jingan-registry/marriage$"))
    assert page.locator(".cal-grid").count() == 0 and page.locator(".day-list a.day-open").count() > 0
    check(page, screenshot, "care-zh-2-days")

    page.locator("a.day-open").first.click()
    check(page, screenshot, "care-zh-3-slots")
    page.locator("a.slot-open").first.click()
    assert page.locator(".step-line").inner_text() == "第 4 步（共 5 步）：办事人"

    # One question per screen: each visitor, then the phone with its code.
    assert visible_steps(page) == ["办事人 1"]
    check(page, screenshot, "care-zh-4-visitor-1")
    for i, n in enumerate((31, 32)):
        page.fill(f"#visitors-{i}-name", visitor(n)["name"])
        page.fill(f"#visitors-{i}-id_number", visitor(n)["id_number"])
        page.get_by_role("button", name="下一步").click()
    assert visible_steps(page) == ["手机验证"]
    assert page.get_by_role("button", name="提交预约").is_visible()
    page.fill("#phone", PHONE)
    check(page, screenshot, "care-zh-5-phone")

    page.reload()  # nothing typed is lost by a reload
    page.get_by_role("button", name="下一步").click()
    assert page.input_value("#visitors-1-id_number") == visitor(32)["id_number"]
    page.get_by_role("button", name="下一步").click()
    assert page.input_value("#phone") == PHONE
    page.get_by_role("button", name="发送验证码").click()
    assert visible_steps(page) == ["手机验证"]  # back on the code's question
    assert "10 分钟内有效" in page.locator(".notice-ok").inner_text()
    shown = page.inner_text("main")
    page.wait_for_timeout(1500)
    assert page.inner_text("main") == shown  # no countdown ticking on the page
    check(page, screenshot, "care-zh-6-code-sent")

    # The code expires before it is typed: refused beside the code, every answer still there.
    first = re.search(r"\d{6}", outbox(demo, "verification_code")).group()
    with demo.app_context():
        db.session.execute(update(PhoneVerification).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
    page.fill("#code", first)
    page.get_by_role("button", name="提交预约").click()
    assert "验证码不正确或已过期" in page.locator("#err-code").inner_text()
    assert visible_steps(page) == ["手机验证"]
    assert page.input_value("#visitors-0-name") == visitor(31)["name"]
    assert page.input_value("#visitors-1-id_number") == visitor(32)["id_number"]
    check(page, screenshot, "care-zh-7-code-expired")

    page.get_by_role("button", name="重新发送验证码").click()
    page.fill("#code", re.search(r"\d{6}", outbox(demo, "verification_code")).group())
    page.press("#code", "Enter")  # Enter in the code books (not "send another code")
    page.wait_for_url(re.compile(r"/booked$"))
    reference = page.locator(".reference").inner_text()
    check(page, screenshot, "care-zh-8-booked")

    page.go_back()  # Back shows the booking, and books nothing again
    page.wait_for_url(re.compile(r"/booked$"))
    assert page.locator(".reference").inner_text() == reference
    with demo.app_context():
        assert db.session.scalar(select(db.func.count(Booking.id)).where(Booking.phone.like("%" + PHONE))) == 1

    page.get_by_role("link", name="查看或修改预约").click()
    check(page, screenshot, "care-zh-9-manage")
    page.get_by_role("link", name="标准版").click()
    assert not page.evaluate("document.documentElement.classList.contains('care')")
    page.goto(live_server + "/")
    assert page.locator("header .mode-switch").inner_text() == "长辈版"


@pytest.mark.browser
def test_the_measure_finds_what_the_standard_pages_leave_below_the_care_numbers(demo, live_server, page):
    """A control: the same measure on the standard pages finds their smaller text and day cells."""
    page.goto(live_server + "/book/jingan-registry/marriage?mode=standard")
    found = {(kind, where) for kind, _value, where, _text in page.evaluate(MEASURE)}
    assert ("font-size", "span.step-label") in found and ("target", "a.day.day-open") in found
    assert not page.evaluate("document.documentElement.classList.contains('care')")
