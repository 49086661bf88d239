"""A clerk's morning in a real browser (Debian's Chromium through Playwright), with the hall
display open in a second browser context, and a supervisor closing tomorrow."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, DoorRefusal, SmsMessage
from booking.sms.compose import preview
from tests.factories import resident_id
from tests.test_staff_support import PASSWORD, book, clear, make_office2, tomorrow_slot

pytestmark = pytest.mark.browser


@pytest.fixture
def morning(app):
    """Office A's running slot with four bookings, and two bookings tomorrow (plain values)."""
    with app.app_context():
        day = make_office2("registry-a")
        cleared, uncleared, feverish, absent = (book(day.running, [2 * i, 2 * i + 1]) for i in range(4))
        clear(cleared)
        clear(feverish)
        tomorrow = [book(day.tomorrow, [20, 21], lang="zh"), book(day.tomorrow, [22, 23], lang="en")]
        return SimpleNamespace(
            code=day.office.code, cleared=cleared.reference, uncleared=uncleared.reference,
            feverish=feverish.reference, absent=absent.reference,
            tomorrow={b.reference: b.phone for b in tomorrow})


def status(app, reference):
    with app.app_context():
        return db.session.scalar(select(Booking.status).where(Booking.reference == reference))


def log_in(page, base, username):
    page.goto(f"{base}/staff/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/staff/registry-a/queue"))


def find(page, reference):
    page.fill("#q", reference)
    page.click("form.search button[type=submit]")
    card = page.locator(f'article[data-reference="{reference}"]')
    expect(card).to_be_visible()
    return card


def check_in(page, reference, temperatures):
    card = find(page, reference)
    fields = card.locator("input[name=temperature]")
    for i, value in enumerate(temperatures):
        fields.nth(i).fill(value)
    card.locator("form.checkin button[type=submit]").click()


def test_a_clerks_morning_and_a_supervisor_closing_tomorrow(app, live_server, morning, browser, screenshot):
    clerk = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = clerk.new_page()
    log_in(page, live_server, "clerk-registry-a")
    screenshot(page, "staff-queue")

    hall = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    display = hall.new_page()
    display.goto(f"{live_server}/display/registry-a")
    expect(display.locator("h2").first).to_contain_text("正在叫号")

    # A cleared booking is checked in and gets a ticket.
    check_in(page, morning.cleared, ["36.5", "36.6"])
    expect(page.locator(".flash-ok")).to_contain_text("J001")
    assert status(app, morning.cleared) == "checked_in"

    # An uncleared booking and a visitor at 37.8 °C are refused, with the reason shown.
    check_in(page, morning.uncleared, ["36.5", "36.6"])
    expect(page.locator(".flash-error")).to_contain_text("健康申报")
    check_in(page, morning.feverish, ["37.8", "36.6"])
    expect(page.locator(".flash-error")).to_contain_text("37.8")
    screenshot(page, "staff-refused-fever")
    with app.app_context():
        assert sorted(db.session.scalars(select(DoorRefusal.reason))) == ["fever", "not_cleared"]
    assert status(app, morning.uncleared) == "booked" and status(app, morning.feverish) == "booked"

    # Ticket J001 to counter 2, shown on the hall display within two seconds.
    page.fill("#counter", "2")
    page.click("form[action$='/call-next'] button[type=submit]")
    expect(page.locator(".flash-ok")).to_contain_text("J001")
    expect(display.locator("#calling li").first).to_contain_text("J001", timeout=2000)
    expect(display.locator("#calling li").first).to_contain_text("2 号窗口")
    screenshot(display, "hall-display")

    # Complete the visit; mark the booking nobody came for.
    card = find(page, morning.cleared)
    card.locator("form[action$='/complete'] button").click()
    expect(page.locator(".flash-ok")).to_be_visible()
    assert status(app, morning.cleared) == "completed"
    card = find(page, morning.absent)
    card.locator("form[action$='/no-show'] button").click()
    expect(page.locator(".flash-ok")).to_be_visible()
    assert status(app, morning.absent) == "no_show"
    expect(display.locator("#calling li")).to_have_count(0, timeout=2000)

    # A supervisor closes tomorrow: both citizens are texted, each in their own language.
    boss = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    sup = boss.new_page()
    log_in(sup, live_server, "super-registry-a")
    sup.click("nav.tabs a[href$='/closures']")
    sup.fill("#reason", "场地维修")
    screenshot(sup, "staff-closures")
    sup.click("#closure-form button[type=submit]")
    expect(sup.locator(".flash-ok")).to_contain_text("2")
    with app.app_context():
        texts = [(m.phone, m.lang, preview(m)) for m in db.session.scalars(
            select(SmsMessage).where(SmsMessage.kind == "cancelled_by_office"))]
    assert sorted(phone for phone, _, _ in texts) == sorted(morning.tomorrow.values())
    bodies = {lang: body for _, lang, body in texts}
    assert "场地维修" in bodies["zh"] and "已取消" in bodies["zh"]
    assert bodies["en"].startswith("Sorry") and "is cancelled" in bodies["en"]
    for reference in morning.tomorrow:
        assert status(app, reference) == "cancelled"
    for context in (clerk, hall, boss):
        context.close()


@pytest.fixture
def crowded_tomorrow(app):
    """Five bookings tomorrow at office A, and a free slot three hours later."""
    with app.app_context():
        day = make_office2("registry-a")
        later = tomorrow_slot(day.service, starts_at=day.tomorrow.starts_at + dt.timedelta(hours=3),
                              ends_at=day.tomorrow.ends_at + dt.timedelta(hours=3))
        db.session.commit()
        refs = [book(day.tomorrow, [2 * i, 2 * i + 1]).reference for i in range(5)]
        return SimpleNamespace(refs=refs, later=later.id)


def test_a_supervisor_raises_the_level_then_keeps_and_moves_the_listed_bookings(app, live_server, crowded_tomorrow,
                                                                                page, screenshot):
    log_in(page, live_server, "super-registry-a")
    page.click("nav.tabs a[href$='/capacity']")
    page.check("input[name=level][value=emergency]")
    page.click("form[action$='/epidemic-level'] button[type=submit]")
    expect(page.locator(".flash-ok")).to_contain_text("3")  # 10 -> 2 bookings: 3 above the limit
    cards = page.locator("article[data-review]")
    expect(cards).to_have_count(3)
    screenshot(page, "staff-capacity")
    cards.first.locator("form[action$='/keep'] button").click()
    expect(page.locator("article[data-review]")).to_have_count(2)
    page.locator("article[data-review]").first.locator("form[action$='/move'] button").click()
    expect(page.locator(".flash-ok")).to_be_visible()
    expect(page.locator("article[data-review]")).to_have_count(1)
    with app.app_context():
        statuses = db.session.scalars(select(Booking.status)).all()
        moved = db.session.scalar(select(Booking).where(Booking.slot_id == crowded_tomorrow.later))
        kinds = db.session.scalars(select(SmsMessage.kind).where(SmsMessage.booking_id == moved.id)).all()
    assert statuses == ["booked"] * 5 and "rescheduled" in kinds  # nobody removed; the moved one texted
    page.click("nav.tabs a[href$='/reports']")
    expect(page.locator("svg.chart")).to_be_visible()
    screenshot(page, "staff-reports")


def test_a_clerk_enters_a_walk_in_through_the_form(app, live_server, morning, page, screenshot):
    log_in(page, live_server, "clerk-registry-a")
    page.click("nav.tabs a[href$='/walk-in']")
    page.fill("#phone", "13912345678")
    for i, n in enumerate((50, 51)):
        page.fill(f"#name{i}", f"访客{i}")
        page.fill(f"#id_number{i}", resident_id(n))
        page.fill(f"#temperature{i}", "36.5")
    screenshot(page, "staff-walk-in")
    page.click("form button.primary")
    expect(page.locator(".flash-ok")).to_contain_text("J001")
    with app.app_context():
        walk_in = db.session.scalar(select(Booking).where(Booking.source == "walk_in"))
    assert walk_in.status == "checked_in" and walk_in.ticket == "J001"
