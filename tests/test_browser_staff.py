"""A clerk's morning in a real browser (Debian's Chromium through Playwright), with the hall
display open in a second browser context, a supervisor closing tomorrow, walk-ins at the door,
each in Chinese and in English; and every staff page photographed at 360 and 1280 px."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from booking.extensions import db
from booking.hall import door
from booking.models import AuditEvent, Booking, DoorRefusal, HealthDeclaration, SmsMessage
from booking.sms.compose import preview
from tests.factories import resident_id
from tests.test_staff_support import PASSWORD, book, clear, make_office2, tomorrow_slot

pytestmark = pytest.mark.browser
LOCALES = {"zh": "zh-CN", "en": "en-US"}
WORDS = {  # what each flow expects to read, per language
    "zh": dict(fever="37.8", not_declared="尚未申报", taken="已记录工作人员代填", undo="撤销",
               cleared="全部办事人已通过", preview="将取消 2 个预约（共 4 人）", counter="2号窗口"),
    "en": dict(fever="37.8", not_declared="Not declared yet", taken="Declarations taken by staff",
               undo="no longer a no-show", cleared="every visitor is cleared",
               preview="2 bookings (4 people) will be cancelled", counter="2号窗口"),
}


@pytest.fixture
def morning(app):
    """Office A's running slot with four bookings, and two bookings tomorrow (plain values)."""
    with app.app_context():
        day = make_office2("registry-a")
        day.office.counters = "1号窗口\n2号窗口\n3号窗口"
        db.session.commit()
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


def log_in(page, base, username, lang="zh"):
    page.goto(f"{base}/staff/login?lang={lang}")
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


def answer_everything_no(page, position):
    """The clerk asks each question and records "no" / green / 36.5 for one visitor."""
    for name in ("symptoms", "travel", "contact"):
        radio = page.locator(f"input[name={name}{position}][value=no]")
        if radio.count():
            radio.check()
    if page.locator(f"#health_code{position}").count():
        page.select_option(f"#health_code{position}", "green")
    if page.locator(f"#temperature{position}").count():
        page.fill(f"#temperature{position}", "36.5")


def manage_path(app, reference):
    with app.app_context():
        body = preview(db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "cancelled_by_office")
                                         .join(Booking, SmsMessage.booking_id == Booking.id)
                                         .where(Booking.reference == reference)))
    return re.search(r"/m/[A-Z0-9]+/[A-Za-z0-9_-]+", body).group(0)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_clerks_morning_at_the_door_and_the_counters(app, live_server, morning, browser, screenshot, lang):
    words = WORDS[lang]
    clerk = browser.new_context(viewport={"width": 360, "height": 800}, locale=LOCALES[lang])
    page = clerk.new_page()
    log_in(page, live_server, "clerk-registry-a", lang)
    hall = browser.new_context(viewport={"width": 1280, "height": 720}, locale=LOCALES[lang])
    display = hall.new_page()
    display.goto(f"{live_server}/display/registry-a")
    expect(display.locator("h2").first).to_contain_text("正在叫号")

    # A cleared booking is checked in and gets a ticket.
    check_in(page, morning.cleared, ["36.5", "36.6"])
    expect(page.locator(".flash-ok")).to_contain_text("J001")
    assert status(app, morning.cleared) == "checked_in"

    # Not declared is not failed: the card says so, and the refusal names it.
    card = find(page, morning.uncleared)
    expect(card.locator(".badge-wait")).to_contain_text(words["not_declared"])
    expect(card.locator(".badge-bad")).to_have_count(0)
    check_in(page, morning.uncleared, ["36.5", "36.6"])
    expect(page.locator(".flash-error")).to_contain_text(words["not_declared"].split()[0].lower()
                                                         if lang == "en" else "未申报")
    # The clerk takes the declaration for the visitors without a smartphone, then checks them in.
    find(page, morning.uncleared).locator("a[href$='/declare']").click()
    assert page.locator("#declare-form input[type=radio]:checked").count() == 0  # nothing preselected
    screenshot(page, f"staff-declare-{lang}")
    for position in (0, 1):
        answer_everything_no(page, position)
    page.click("#declare-form button.primary")
    expect(page.locator(".flash-ok")).to_contain_text(words["cleared"])
    with app.app_context():
        taken = db.session.scalars(select(HealthDeclaration.taken_by_id)).all()
        audit_detail = db.session.scalars(select(AuditEvent.detail)
                                          .where(AuditEvent.action == "health_declared")).all()
    assert len([t for t in taken if t]) == 2 and all('"taken_by_staff": true' in d for d in audit_detail[-2:])
    check_in(page, morning.uncleared, ["36.5", "36.6"])
    expect(page.locator(".flash-ok")).to_contain_text("J002")

    check_in(page, morning.feverish, ["37.8", "36.6"])
    expect(page.locator(".flash-error")).to_contain_text(words["fever"])
    with app.app_context():
        assert sorted(db.session.scalars(select(DoorRefusal.reason))) == ["fever", "not_cleared"]

    # Ticket J001 to counter 2号窗口, chosen from the office's list, shown once on the display.
    page.select_option("#counter", "2号窗口")
    page.click("form[action$='/call-next'] button[type=submit]")
    expect(page.locator(".flash-ok")).to_contain_text("J001")
    expect(display.locator("#calling li").first).to_contain_text("J001", timeout=2000)
    expect(display.locator("#calling li .counter").first).to_have_text("2号窗口")
    screenshot(display, f"hall-display-{lang}")

    # Complete the visit; the no-show is asked first, and can be undone.
    find(page, morning.cleared).locator("form[action$='/complete'] button").click()
    expect(page.locator(".flash-ok")).to_be_visible()
    assert status(app, morning.cleared) == "completed"
    find(page, morning.absent).locator("a[href*='/no-show']").click()
    expect(page.locator("h1")).to_contain_text(morning.absent)
    assert status(app, morning.absent) == "booked"  # asking changed nothing
    screenshot(page, f"staff-no-show-{lang}")
    page.click("#confirm-no-show")
    expect(page.locator(".flash-ok")).to_be_visible()
    assert status(app, morning.absent) == "no_show"
    find(page, morning.absent).locator("form[action$='/undo-no-show'] button").click()
    expect(page.locator(".flash-ok")).to_contain_text(words["undo"])
    assert status(app, morning.absent) == "booked"
    for context in (clerk, hall):
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_supervisor_previews_then_confirms_a_closure(app, live_server, morning, browser, screenshot, lang):
    boss = browser.new_context(viewport={"width": 360, "height": 800}, locale=LOCALES[lang])
    sup = boss.new_page()
    log_in(sup, live_server, "super-registry-a", lang)
    sup.click("nav.tabs a[href$='/closures']")
    sup.fill("#reason", "因场地维修。")
    sup.fill("#reason_en", "the hall is being repaired")
    sup.click("#closure-form button[type=submit]")
    expect(sup.locator("#closure-preview")).to_contain_text(WORDS[lang]["preview"])
    screenshot(sup, f"staff-closure-preview-{lang}")
    for reference in morning.tomorrow:  # the preview changed nothing
        assert status(app, reference) == "booked"
    sup.click("#confirm-closure")
    expect(sup.locator(".flash-ok")).to_contain_text("2")
    with app.app_context():
        texts = [(m.phone, m.lang, preview(m)) for m in db.session.scalars(
            select(SmsMessage).where(SmsMessage.kind == "cancelled_by_office"))]
    assert sorted(phone for phone, _, _ in texts) == sorted(morning.tomorrow.values())
    bodies = {text_lang: body for _, text_lang, body in texts}
    # The reason reads right although staff began it with 因 and ended it with 。
    assert "原因：场地维修。" in bodies["zh"] and "因因" not in bodies["zh"] and "。。" not in bodies["zh"]
    assert "cancelled: the hall is being repaired." in bodies["en"] and "场地" not in bodies["en"]
    for reference in morning.tomorrow:
        assert status(app, reference) == "cancelled"
    # The booking's own page, which the text links to, gives the full reason in the reader's language.
    citizen = boss.new_page()
    english = next(ref for ref, _ in morning.tomorrow.items() if ref in bodies["en"])
    citizen.goto(f"{live_server}{manage_path(app, english)}?lang={lang}")
    reason = "因场地维修。" if lang == "zh" else "the hall is being repaired"
    expect(citizen.locator("#cancel-reason")).to_contain_text(reason)
    screenshot(citizen, f"citizen-cancelled-by-office-{lang}")
    boss.close()


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


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_clerk_enters_walk_ins_through_the_form(app, live_server, morning, browser, screenshot, lang):
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale=LOCALES[lang])
    page = context.new_page()
    log_in(page, live_server, "clerk-registry-a", lang)
    page.click("nav.tabs a[href$='/walk-in']")
    page.select_option("#service", "marriage")
    page.click("#walk-in-service button")
    # Marriage: both visitors are needed; no answer is chosen for the clerk.
    assert page.locator("#name1").get_attribute("required") is not None
    assert page.locator("#walk-in-form input[type=radio]:checked").count() == 0
    assert page.locator("#health_code0").input_value() == ""
    with app.app_context():
        texts_before = db.session.scalar(select(func.count()).select_from(SmsMessage))

    def fill(fever: bool):
        page.fill("#phone", "13912345678")
        for i, n in enumerate((50, 51)):
            page.fill(f"#name{i}", f"访客{i}")
            page.fill(f"#id_number{i}", resident_id(n))
            answer_everything_no(page, i)
            page.fill(f"#temperature{i}", "37.9" if fever and i == 0 else "36.5")

    # A walk-in with a fever is refused: no booking, no text, the refusal recorded.
    fill(fever=True)
    page.click("#walk-in-form button.primary")
    expect(page.locator(".flash-error")).to_contain_text("37.9")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)
                                 .where(Booking.source == "walk_in")) == 0
        assert db.session.scalar(select(func.count()).select_from(SmsMessage)) == texts_before
        refusal = db.session.scalar(select(DoorRefusal).where(DoorRefusal.booking_id.is_(None)))
    assert refusal.reason == "fever"
    # Admitted: checked in with a ticket, texted once, with no reply asked for.
    fill(fever=False)
    screenshot(page, f"staff-walk-in-{lang}")
    page.click("#walk-in-form button.primary")
    expect(page.locator(".flash-ok")).to_contain_text("J001")
    with app.app_context():
        walk_in = db.session.scalar(select(Booking).where(Booking.source == "walk_in"))
        texts = db.session.scalars(select(SmsMessage).where(SmsMessage.booking_id == walk_in.id)).all()
        first_text = preview(texts[0]) if texts else ""
    assert walk_in.status == "checked_in" and walk_in.ticket == "J001"
    assert [t.kind for t in texts] == ["walk_in"] and not re.search("回复|[Rr]eply", first_text)
    assert texts[0].lang == lang
    context.close()


PAGES = ["queue", "scan", "walk-in?service=marriage", "capacity", "closures", "reports", "audit", "waiting",
         "bookings/{ref}/declare", "bookings/{ref}/no-show", "no-such-page-here"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_staff_page_fits_360_and_1280_px(app, live_server, morning, browser, screenshot, lang):
    """Each page photographed at both widths (test-artifacts/screenshots) and none wider than
    the screen: the tab bar and every form fit a phone."""
    with app.app_context():  # two parties in the hall, so the report's chart has a bar
        for reference in (morning.cleared, morning.feverish):
            booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
            door.check_in(booking, [36.5, 36.6], None)
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale=LOCALES[lang])
        page = context.new_page()
        log_in(page, live_server, "super-registry-a", lang)
        for path in PAGES:
            response = page.goto(f"{live_server}/staff/registry-a/{path.format(ref=morning.uncleared)}")
            assert response.status == (404 if path.startswith("no-such") else 200), path
            name = path.split("?")[0].replace("/", "-").replace("{ref}", "x").replace(morning.uncleared, "x")
            screenshot(page, f"page-{lang}-{width}-{name}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, width, overflow)
        tabs = page.locator("nav.tabs a")
        for i in range(tabs.count()):  # every tab on screen, none cut off
            box = tabs.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (i, box)
        page.goto(f"{live_server}/display/registry-a")
        screenshot(page, f"page-{lang}-{width}-display")
        context.close()
