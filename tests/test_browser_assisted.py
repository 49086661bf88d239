"""A clerk books for callers in a real browser at 360 px (docs/contract.md): a telephone booking for
a caller with a landline (nobody texted: the slip with the reference, the manage link and the
QR code), a relative's mobile (texted), a person refused for no-shows (the page says why and
until when), and a supervisor lifting that bar with a reason. Screenshots in Chinese and English."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from booking import bookings
from booking.extensions import db
from booking.hall import queue
from booking.models import AuditEvent, Booking, SmsMessage, StaffUser
from tests.factories import resident_id
from tests.test_browser_staff import LOCALES, log_in
from tests.test_staff_support import make_office2, new_phone

pytestmark = pytest.mark.browser


@pytest.fixture
def office(app):
    """Office registry-a (make_office2) with its marriage service keeping one booking a slot for
    assisted bookings, a slot in three days, and a man (resident_id(61)) who missed an
    appointment two days ago: one no-show bars him for 15 days."""
    from booking.verification import start_verification
    from tests.factories import last_code, make_slot

    with app.app_context():
        d = make_office2("registry-a")
        d.service.assisted_reserve, d.service.no_show_limit = 1, 1
        later = make_slot(d.service, days_ahead=3)
        past = make_slot(d.service, days_ahead=-2)
        db.session.commit()
        then, phone = past.starts_at - dt.timedelta(days=1), new_phone()
        missed = bookings.book(slot_id=past.id, phone=phone, lang="zh", now=then,
                               visitors=[{"name": "王芳", "id_type": "resident_id", "id_number": resident_id(61)},
                                         {"name": "李强", "id_type": "resident_id", "id_number": resident_id(62)}],
                               verification=(start_verification(phone, now=then), last_code(phone))).booking
        queue.no_show(missed, d.clerk, now=past.starts_at + dt.timedelta(hours=1))
        day = later.starts_at.astimezone(d.office.tz).date()
        return {"day": day.isoformat(), "slot": later.id}


def fill_couple(page, woman: int = 40, man: int = 41):
    for i, n in enumerate((woman, man)):
        page.fill(f"#name{i}", ["张丽", "陈刚"][i])
        page.fill(f"#id_number{i}", resident_id(n))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_clerk_books_for_callers_and_a_supervisor_lifts_a_bar(app, live_server, office, browser, screenshot, lang):
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale=LOCALES[lang])
    page = context.new_page()
    log_in(page, live_server, "clerk-registry-a", lang)
    page.click("nav.tabs a[href$='/book']")
    page.select_option("#service", "marriage")
    page.fill("#day", office["day"])
    page.click("#book-day button")
    row = page.locator("table.slots tbody tr").first
    expect(row.locator("td").nth(1)).to_have_text("9")  # online: ten less the one kept
    expect(row.locator("td").nth(2)).to_contain_text("10")
    row.locator("a").click()
    # A caller with a landline: booked, nobody texted, the slip to read out or print.
    page.check("input[name=channel][value=phone]")
    page.fill("#phone", "010-62345678")
    fill_couple(page)
    screenshot(page, f"staff-book-for-caller-{lang}")
    page.click("#book-form button.primary")
    reference = page.locator("#reference").inner_text()
    expect(page.locator("#manage-link")).to_have_attribute("href", re.compile(reference))
    assert page.locator(".qr svg").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, f"staff-book-slip-{lang}")
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        assert (booking.source, booking.phone) == ("phone", "")
        assert db.session.scalars(select(SmsMessage).where(SmsMessage.booking_id == booking.id)).all() == []
    # A relative's mobile, at the counter: texted as usual.
    page.goto(f"{live_server}/staff/registry-a/book?service=marriage&day={office['day']}&slot={office['slot']}")
    page.check("input[name=channel][value=counter]")
    page.fill("#phone", "13912345670")
    fill_couple(page, 42, 43)
    page.click("#book-form button.primary")
    expect(page.locator(".flash-ok")).to_contain_text("+86139****5670")
    # The barred man: refused, and the page says why and until when.
    page.goto(f"{live_server}/staff/registry-a/book?service=marriage&day={office['day']}&slot={office['slot']}")
    fill_couple(page, 44, 61)
    page.click("#book-form button.primary")
    expect(page.locator(".flash-error")).to_contain_text("2")  # the second visitor
    expect(page.locator("#barred-why")).to_be_visible()
    screenshot(page, f"staff-book-barred-{lang}")
    context.close()
    # The supervisor lifts his bar with a reason; then he can book.
    boss = browser.new_context(viewport={"width": 360, "height": 800}, locale=LOCALES[lang])
    sup = boss.new_page()
    log_in(sup, live_server, "super-registry-a", lang)
    sup.click("nav.tabs a[href$='/no-show-bars']")
    sup.select_option("#service", "marriage")
    sup.fill("#id_number", resident_id(61))
    sup.click("#bar-lookup button")
    expect(sup.locator("#bar-title")).to_be_visible()
    assert resident_id(61) not in sup.content()
    sup.fill("#reason", "家属住院，已核实")
    screenshot(sup, f"staff-no-show-bar-{lang}")
    sup.click("#bar-lift button")
    expect(sup.locator("#bar-result")).to_be_visible()
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bar_lifted"))
        supervisor = db.session.scalar(select(StaffUser).where(StaffUser.username == "super-registry-a"))
        assert event.staff_user_id == supervisor.id
    sup.goto(f"{live_server}/staff/registry-a/book?service=marriage&day={office['day']}&slot={office['slot']}")
    fill_couple(sup, 44, 61)
    sup.click("#book-form button.primary")
    expect(sup.locator("#reference")).to_be_visible()
    boss.close()
