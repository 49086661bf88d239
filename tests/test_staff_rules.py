"""Administrators edit every office's service settings and health rules (new versions), through
forms with CSRF, field-level errors in Chinese and English, and an audit event for each change."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from booking import accounts, health
from booking.extensions import db
from booking.models import AuditEvent, HealthRules, Service, Slot, StaffUser
from tests.factories import make_office, make_service, make_slot
from tests.health_factories import answers, book

PASSWORD = "correct horse battery"
H = dt.timedelta(hours=1)
SETTINGS = "/staff/registry/admin/service?service=marriage"
RULES = "/staff/registry/admin/rules?service=marriage"


@pytest.fixture
def world(app):
    """One office with a marriage service and a slot in two days; an administrator. Commits."""
    with app.app_context():
        office = make_office("registry")
        make_slot(make_service(office), days_ahead=2)
        db.session.commit()
        accounts.create_staff("admin", PASSWORD, "admin", None)
    return app


def login(app, username: str = "admin", lang: str = "en"):
    """A client logged in as the user; returns it and a form token of its session."""
    client = app.test_client()
    page = client.get(f"/staff/login?lang={lang}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/staff/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302
    return client, form_token(client, SETTINGS if username == "admin" else "/staff/login")


def form_token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


GOOD = {"party_size_min": "2", "party_size_max": "2", "slot_max_bookings": "8", "slot_max_people": "16",
        "booking_opens_days": "14", "booking_opens_at": "09:30", "booking_closes_hours": "4",
        "requires_confirmation": "y", "bring_zh": "户口簿、身份证", "bring_en": "Household register, ID card",
        "suspension_note_zh": "", "suspension_note_en": ""}


def service_row(app) -> dict:
    with app.app_context():
        s = db.session.scalar(select(Service))
        return {c.name: getattr(s, c.name) for c in Service.__table__.columns}


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_the_admin_list_shows_every_office_and_its_services(world):
    with world.app_context():
        make_service(make_office("funeral", name_en="Funeral Home"), code="farewell", kind="farewell",
                     name_en="Farewell ceremony")
        db.session.commit()
    client, _ = login(world)
    page = client.get("/staff/admin/services?lang=en").get_data(as_text=True)
    assert 'data-service="registry/marriage"' in page and 'data-service="funeral/farewell"' in page
    assert "/staff/funeral/admin/rules?service=farewell" in page
    assert "/staff/admin/services" in client.get("/staff/admin/accounts").get_data(as_text=True)


def test_an_admin_edits_a_service_and_the_change_is_audited(world):
    client, token = login(world)
    answer = client.post(SETTINGS, data={**GOOD, "csrf_token": token})
    assert answer.status_code == 302
    row = service_row(world)
    assert (row["slot_max_bookings"], row["slot_max_people"], row["booking_opens_days"]) == (8, 16, 14)
    assert row["booking_opens_at"] == dt.time(9, 30) and row["booking_closes_hours"] == 4
    assert row["requires_confirmation"] and row["bring_en"] == "Household register, ID card"
    with world.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "service_settings_changed"))
        admin = db.session.scalar(select(StaffUser).where(StaffUser.username == "admin"))
        assert (event.actor, event.staff_user_id, event.office_id) == ("staff", admin.id, row["office_id"])
        assert json.loads(event.detail)["changes"]["slot_max_bookings"] == [10, 8]
    assert "saved" in client.get(answer.headers["Location"] + "&lang=en").get_data(as_text=True)


def test_suspending_needs_a_reason_in_both_languages(world):
    client, token = login(world)
    answer = client.post(SETTINGS + "&lang=en", data={**GOOD, "suspended": "y", "suspension_note_zh": "暂停",
                                                      "csrf_token": token})
    assert answer.status_code == 422 and "Say why, for citizens reading English." in answer.get_data(as_text=True)
    assert not service_row(world)["suspended"]
    data = {**GOOD, "suspended": "y", "suspension_note_zh": "系统维护", "suspension_note_en": "Maintenance"}
    assert client.post(SETTINGS, data={**data, "csrf_token": token}).status_code == 302
    row = service_row(world)
    assert row["suspended"] and row["suspension_note_en"] == "Maintenance"


def test_a_party_larger_than_the_api_takes_is_refused(world):
    client, token = login(world)
    answer = client.post(SETTINGS + "&lang=en", data={**GOOD, "party_size_max": "11", "csrf_token": token})
    assert answer.status_code == 422 and "Enter a value from 1 to 10." in answer.get_data(as_text=True)
    assert service_row(world)["party_size_max"] == 2


@pytest.mark.parametrize("changes, field, en, zh", [
    ({"party_size_min": "3", "party_size_max": "2"}, "party_size_max",
     "Must not be below the smallest party size.", "不能小于最小人数。"),
    ({"booking_opens_days": "-1"}, "booking_opens_days", "Enter a value from 0 to 90.", "请输入 0 到 90 之间的数值。"),
    ({"slot_max_people": "99999999999999999999"}, "slot_max_people", "Enter a value from 1 to 2000.",
     "请输入 1 到 2000 之间的数值。"),
    ({"booking_closes_hours": "two"}, "booking_closes_hours", "Enter a whole number.", "请输入整数。"),
    ({"booking_opens_at": "25:99"}, "booking_opens_at", "Enter a time such as 08:00.", "请输入时间，例如 08:00。"),
    ({"bring_en": "x" * 2001}, "bring_en", "At most 2000 characters.", "最多 2000 个字符。"),
])
def test_bad_service_values_show_beside_their_field_and_change_nothing(world, changes, field, en, zh):
    client, token = login(world)
    before = service_row(world)
    for lang, text in (("en", en), ("zh", zh)):
        answer = client.post(f"{SETTINGS}&lang={lang}", data={**GOOD, **changes, "csrf_token": token})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422
        assert re.search(rf'id="{field}-error"[^>]*>{re.escape(text)}<', page), (lang, text)
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', page)
    assert service_row(world) == before
    assert audit_count(world, "service_settings_changed") == 0


def test_a_rules_edit_adds_a_version_that_judges_later_declarations(world):
    client, token = login(world)
    page = client.get(RULES + "&lang=en").get_data(as_text=True)
    assert "In force: version 1" in page
    form = {"window_opens_hours": "24", "lookback_days": "14", "temperature_limit_c": "37.0", "nat_max_hours": "48",
            "ask_symptoms": "y", "ask_risk_area_travel": "y", "ask_case_contact": "y", "ask_health_code": "y",
            "ask_temperature": "y", "accept_green": "y", "accept_yellow": "y", "csrf_token": token}
    answer = client.post(RULES, data=form)
    assert answer.status_code == 302
    history = client.get(RULES + "&lang=en").get_data(as_text=True)
    assert "In force: version 2" in history and 'data-version="2"' in history and 'data-version="1"' in history
    with world.app_context():
        service = db.session.scalar(select(Service))
        rules = health.current_rules(service)
        assert (rules.version, rules.temperature_limit_c, rules.accepted_health_codes) == (2, 37.0, "green,yellow")
        assert rules.created_by_id == db.session.scalar(select(StaffUser.id).where(StaffUser.username == "admin"))
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "health_rules_changed"))
        assert (event.actor, event.office_id) == ("staff", service.office_id)
        slot = db.session.scalar(select(Slot))
        booking, _ = book(slot)
        done = health.declare(booking, [answers(0, temperature_c=37.1), answers(1, health_code="yellow")],
                              now=slot.starts_at - H)
        assert [(d.passed, d.rules_version) for d in done.declarations] == [(False, 2), (True, 2)]


@pytest.mark.parametrize("changes, field, en", [
    ({"temperature_limit_c": "40"}, "temperature_limit_c", "Enter a value from 36.0 to 39.0."),
    ({"temperature_limit_c": "nan"}, "temperature_limit_c", "Enter a number such as 37.3."),
    ({"lookback_days": "-3"}, "lookback_days", "Enter a value from 1 to 60."),
    ({"nat_max_hours": "1e400"}, "nat_max_hours", "Enter a whole number."),
    ({"accept_green": ""}, "accept_red", "Accept at least one health-code colour."),
])
def test_bad_rule_values_are_refused_and_add_no_version(world, changes, field, en):
    client, token = login(world)
    form = {"window_opens_hours": "24", "lookback_days": "14", "temperature_limit_c": "37.3", "nat_max_hours": "48",
            "accept_green": "y", "csrf_token": token, **changes}
    answer = client.post(RULES + "&lang=en", data=form)
    assert answer.status_code == 422 and en in answer.get_data(as_text=True)
    with world.app_context():
        # Showing the page reads only: no version is stored until an edit or a declaration.
        assert db.session.scalar(select(func.count()).select_from(HealthRules)) == 0
    assert audit_count(world, "health_rules_changed") == 0


@pytest.mark.parametrize("role", ["clerk", "supervisor"])
def test_clerks_and_supervisors_get_403_on_every_admin_page(world, role):
    with world.app_context():
        accounts.create_staff(role, PASSWORD, role, "registry")
    client, token = login(world, role)
    before = service_row(world)
    for url in ("/staff/admin/services", SETTINGS, RULES):
        assert client.get(url).status_code == 403
    assert client.post(SETTINGS, data={**GOOD, "csrf_token": token}).status_code == 403
    assert client.post(RULES, data={"temperature_limit_c": "36.5", "csrf_token": token}).status_code == 403
    assert service_row(world) == before
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(HealthRules)) <= 1


def test_anonymous_visitors_are_sent_to_the_login(world):
    client = world.test_client()
    for url in ("/staff/admin/services", SETTINGS, RULES):
        answer = client.get(url)
        assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(world):
    client, _ = login(world)
    before = service_row(world)
    assert client.post(SETTINGS, data=GOOD).status_code == 400
    assert client.post(RULES, data={"temperature_limit_c": "36.5"}).status_code == 400
    assert service_row(world) == before


def test_the_language_link_keeps_the_service_open(world):
    client, _ = login(world)
    client.get(RULES)
    page = client.get("/staff/registry/admin/rules?lang=en").get_data(as_text=True)
    assert "Health rules: Marriage registration" in page
    assert 'action="/staff/registry/admin/rules?service=marriage"' in page


def test_an_unknown_service_is_404(world):
    client, _ = login(world)
    assert client.get("/staff/registry/admin/service?service=nope").status_code == 404
    assert client.get("/staff/nowhere/admin/rules?service=marriage").status_code == 404


def test_in_a_browser_an_admin_sees_a_field_error_then_saves_a_new_rules_version(world, live_server, page, screenshot):
    page.goto(f"{live_server}/staff/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/(?!login)"))
    page.goto(f"{live_server}/staff/admin/services")
    screenshot(page, "staff-admin-services")
    page.click("a[href$='/admin/service?service=marriage']")
    page.fill("#party_size_min", "3")
    page.click("button.primary")
    assert page.locator("#party_size_max-error").inner_text() == "不能小于最小人数。"
    assert page.locator("#party_size_max").get_attribute("aria-invalid") == "true"
    screenshot(page, "staff-admin-service-error")
    page.goto(f"{live_server}{RULES}")
    page.fill("#temperature_limit_c", "37.0")
    page.click("button.primary")
    assert page.locator("tr[data-version='2']").count() == 1
    assert "第 2 版规则已生效。" in page.locator(".flash-ok").inner_text()
    screenshot(page, "staff-admin-rules")


def test_the_per_person_limit_is_shown_and_changed_on_the_service_settings_page(world):
    client, token = login(world, lang="zh")
    page = client.get(SETTINGS + "&lang=zh").get_data(as_text=True)
    assert "每人预约限制" in page and "每人同时只能有一个有效预约（不论日期）" in page
    assert re.search(r'<input checked[^>]*value="service"|<input[^>]*value="service"[^>]*checked', page)
    assert client.post(SETTINGS, data={**GOOD, "person_limit": "day", "csrf_token": token}).status_code == 302
    assert service_row(world)["person_limit"] == "day"
    refused = client.post(SETTINGS + "&lang=en", data={**GOOD, "person_limit": "week", "csrf_token": token})
    assert refused.status_code == 422 and service_row(world)["person_limit"] == "day"


def test_the_settings_name_the_time_zone_in_words(world):
    client, _ = login(world, lang="zh")
    assert "北京时间" in client.get(SETTINGS).get_data(as_text=True)
    english = client.get(SETTINGS + "&lang=en").get_data(as_text=True)
    assert "Beijing time" in english and "Asia/Shanghai" not in english


def test_a_capacity_change_on_the_settings_page_reaches_the_slots_already_made(world):
    """Issue 24: the 13 slots x 14 days already generated followed nothing; now every future slot
    takes the new capacity at once (a lower one through the capacity review, as a level does)."""
    client, token = login(world)
    assert client.post(SETTINGS, data={**GOOD, "slot_max_bookings": "3", "slot_max_people": "6",
                                       "csrf_token": token}).status_code == 302
    with world.app_context():
        assert {(s.max_bookings, s.max_people) for s in db.session.scalars(select(Slot))} == {(3, 6)}


def test_traditional_chinese_is_drafted_beside_what_to_bring_and_stays_editable(world):
    client, token = login(world)
    client.post(SETTINGS, data={**GOOD, "bring_zh": "户口簿、身份证", "csrf_token": token})
    assert service_row(world)["bring_zh_hant"] == "戶口簿、身份證"
    client.post(SETTINGS, data={**GOOD, "bring_zh_hant": "戶口名簿、身分證", "csrf_token": token})
    assert service_row(world)["bring_zh_hant"] == "戶口名簿、身分證"
    with world.app_context():
        assert db.session.scalar(select(Service)).bring("zh-Hant") == "戶口名簿、身分證"
