"""The health-check rules as a table of cases: every question, both sides of every threshold,
the window at its edges in the office's time zone, and a rule change between two declarations."""

import datetime as dt

import pytest

from booking import health
from booking.errors import NotActive
from booking.extensions import db
from booking.health.rules import RulesForbidden, RulesInvalid, default_rules
from booking.models import AuditEvent, HealthDeclaration, HealthRules

from .health_factories import answers, book, funeral_slot, marriage_slot, staff

H = dt.timedelta(hours=1)

# (service, answer changes, passed, code of the judged question, its English reason)
CASES = [
    ("marriage", {}, True, "temperature_below_limit", "36.5 °C is below 37.3 °C"),
    ("marriage", {"temperature_c": 37.2}, True, "temperature_below_limit", "37.2 °C is below 37.3 °C"),
    ("marriage", {"temperature_c": 37.3}, False, "temperature_at_or_above_limit",
     "37.3 °C is at or above 37.3 °C"),
    ("marriage", {"temperature_c": 37.8}, False, "temperature_at_or_above_limit",
     "37.8 °C is at or above 37.3 °C"),
    ("marriage", {"symptoms": False}, True, "no_symptoms",
     "No fever or respiratory symptoms in the last 14 days"),
    ("marriage", {"symptoms": True}, False, "symptoms",
     "Fever or respiratory symptoms in the last 14 days"),
    ("marriage", {"risk_area_travel": False}, True, "no_risk_area_travel",
     "No travel to medium or high risk areas in the last 14 days"),
    ("marriage", {"risk_area_travel": True}, False, "risk_area_travel",
     "Travel to a medium or high risk area in the last 14 days"),
    ("marriage", {"case_contact": False}, True, "no_case_contact",
     "No contact with confirmed or suspected cases in the last 14 days"),
    ("marriage", {"case_contact": True}, False, "case_contact",
     "Contact with a confirmed or suspected case in the last 14 days"),
    ("marriage", {"health_code": "green"}, True, "health_code_accepted", "Health code is green, as required"),
    ("marriage", {"health_code": "yellow"}, False, "health_code_not_accepted",
     "Health code is yellow; it must be green"),
    ("marriage", {"health_code": "red"}, False, "health_code_not_accepted", "Health code is red; it must be green"),
    # Funeral services demand a negative test within 48 h before the visit (10:00 local).
    ("farewell", {"nat_negative_at": "VISIT-48h"}, True, "nat_within_limit",
     "Negative test at {day} 10:00 is within 48 h before the visit"),
    ("farewell", {"nat_negative_at": "VISIT-48h-1m"}, False, "nat_too_old",
     "Negative test at {day} 09:59 is more than 48 h before the visit"),
    ("farewell", {"nat_negative_at": None}, False, "nat_missing",
     "No negative nucleic-acid test within 48 h before the visit"),
]


def _nat(value, slot):
    if value == "VISIT-48h":
        return (slot.starts_at - 48 * H).isoformat()
    if value == "VISIT-48h-1m":
        return (slot.starts_at - 48 * H - dt.timedelta(minutes=1)).isoformat()
    return value


@pytest.mark.parametrize("kind, changes, passed, code, text", CASES,
                         ids=[f"{c[0]}-{c[3]}-{'pass' if c[2] else 'fail'}-{i}" for i, c in enumerate(CASES)])
def test_each_answer_is_judged_with_its_reason(ctx, kind, changes, passed, code, text):
    slot = marriage_slot() if kind == "marriage" else funeral_slot()
    booking, _ = book(slot)
    if "nat_negative_at" in changes:
        changes = {**changes, "nat_negative_at": _nat(changes["nat_negative_at"], slot)}
    else:  # a funeral visit needs a recent test for the other questions to decide alone
        changes = {**changes, "nat_negative_at": (slot.starts_at - 3 * H).isoformat()}
    done = health.declare(booking, [answers(0, **changes)], now=slot.starts_at - H)
    declaration = done.declarations[0]
    assert declaration.passed is passed
    reason = next(r for r in declaration.reasons if r["code"] == code)
    assert reason["passed"] is passed
    day = (slot.starts_at - 2 * 24 * H).astimezone(slot.office.tz).strftime("%d %b")
    tz = slot.office.tz
    assert health.reason_text(reason, "en", tz) == text.format(day=day)
    # every asked question is judged, passing or not
    assert {r["question"] for r in declaration.reasons} >= {"symptoms", "risk_area_travel", "case_contact",
                                                             "health_code", "temperature_c"}


def test_reasons_read_naturally_in_chinese(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    done = health.declare(booking, [answers(0, temperature_c=37.8, health_code="yellow")],
                          now=slot.starts_at - H)
    texts = [health.reason_text(r, "zh", slot.office.tz) for r in done.declarations[0].reasons]
    assert "体温 37.8 °C，达到或超过 37.3 °C" in texts
    assert "健康码为黄码，须为绿码" in texts
    assert "近 14 天无发热或呼吸道症状" in texts


def test_marriage_does_not_ask_for_a_test_and_does_not_keep_one(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    tested = (slot.starts_at - 100 * H).isoformat()
    done = health.declare(booking, [answers(0, nat_negative_at=tested)], now=slot.starts_at - H)
    declaration = done.declarations[0]
    assert declaration.passed and declaration.nat_negative_at is None
    assert "nat_negative_at" not in {r["question"] for r in declaration.reasons}


def test_a_question_switched_off_is_neither_required_nor_stored(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    health.update_rules(slot.service, {"ask_health_code": False}, None)
    raw = answers(0)
    del raw["health_code"]
    declaration = health.declare(booking, [raw], now=slot.starts_at - H).declarations[0]
    assert declaration.passed and declaration.health_code is None


# --- the window, in the office's time zone -----------------------------------------------------

@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "America/New_York", "Europe/London"])
def test_the_window_opens_24_hours_before_the_slot_in_local_time(ctx, timezone):
    slot = marriage_slot(timezone=timezone)  # 10:00 local, two days ahead
    booking, _ = book(slot)
    opens = slot.starts_at - 24 * H
    with pytest.raises(health.DeclarationNotOpen) as refused:
        health.declare(booking, [answers(0)], now=opens - dt.timedelta(seconds=1))
    local = opens.astimezone(slot.office.tz)
    assert refused.value.status == 409
    zone = {"Asia/Shanghai": "Beijing time"}.get(timezone, timezone)  # the zone in people's words
    assert f"{local:%a, %b} {local.day}, {local:%H:%M} ({zone})" in refused.value.message("en")
    if timezone == "Asia/Shanghai":  # no daylight saving: the same wall time the day before
        assert f"{local:%H:%M}" == "10:00"
    zone_zh = {"Asia/Shanghai": "北京时间"}.get(timezone, timezone)
    assert f"（{zone_zh}）开放" in refused.value.message("zh") and "Asia/Shanghai" not in refused.value.message("zh")
    assert health.declare(booking, [answers(0)], now=opens).declarations[0].passed


def test_the_window_closes_when_the_door_closes_that_day(ctx):
    slot = marriage_slot()  # opening hours 08:30-17:00 local
    booking, _ = book(slot)
    closes = dt.datetime.combine(slot.starts_at.astimezone(slot.office.tz).date(), dt.time(17, 0),
                                 tzinfo=slot.office.tz)
    assert health.declare(booking, [answers(0)], now=closes - dt.timedelta(seconds=1)).declarations
    with pytest.raises(health.DeclarationClosed) as closed:
        health.declare(booking, [answers(1)], now=closes)
    assert "17:00" in closed.value.message("en")


def test_the_window_closes_at_check_in(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    booking.status, booking.checked_in_at = "checked_in", slot.starts_at - 10 * 60 * dt.timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(health.DeclarationClosed):
        health.declare(booking, [answers(0)], now=slot.starts_at - 5 * dt.timedelta(minutes=1))


def test_a_cancelled_booking_takes_no_declaration(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    from booking import bookings

    bookings.cancel(booking)
    with pytest.raises(NotActive):
        health.declare(booking, [answers(0)], now=slot.starts_at - H)


def test_the_window_length_is_a_rule_of_the_service(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    health.update_rules(slot.service, {"window_opens_hours": 48}, None)
    assert health.declare(booking, [answers(0)], now=slot.starts_at - 47 * H).declarations


# --- rule changes --------------------------------------------------------------------------------

def test_a_rule_change_applies_to_declarations_made_after_it(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    admin = staff(None, role="admin", name="admin")
    first = health.declare(booking, [answers(0, temperature_c=37.1)], now=slot.starts_at - 3 * H)
    health.update_rules(slot.service, {"temperature_limit_c": 37.0}, admin)
    second = health.declare(booking, [answers(1, temperature_c=37.1)], now=slot.starts_at - 2 * H)
    before, after = first.declarations[0], second.declarations[0]
    assert (before.passed, before.rules_version) == (True, 1)
    assert (after.passed, after.rules_version) == (False, 2)
    assert health.reason_text(next(r for r in after.reasons if r["question"] == "temperature_c"), "en",
                              slot.office.tz) == "37.1 °C is at or above 37.0 °C"
    db.session.expire_all()
    assert db.session.get(HealthDeclaration, before.id).passed  # the old verdict stands
    assert not second.cleared
    versions = db.session.query(HealthRules).filter_by(service_id=slot.service_id).count()
    assert versions == 2


def test_accepting_yellow_codes_is_a_rule_change(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    health.update_rules(slot.service, {"accepted_health_codes": ["green", "yellow"]}, None)
    done = health.declare(booking, [answers(0, health_code="yellow"), answers(1, health_code="red")],
                          now=slot.starts_at - H)
    assert [d.passed for d in done.declarations] == [True, False]
    red = next(r for r in done.declarations[1].reasons if r["question"] == "health_code")
    assert health.reason_text(red, "zh", slot.office.tz) == "健康码为红码，须为绿码或黄码"


def test_only_administrators_change_rules_and_only_to_sensible_values(ctx):
    slot = marriage_slot()
    clerk = staff(slot.office_id)
    with pytest.raises(RulesForbidden):
        health.update_rules(slot.service, {"temperature_limit_c": 37.5}, clerk)
    for bad in ({"temperature_limit_c": 45}, {"window_opens_hours": 0}, {"window_opens_hours": 2.5},
                {"nat_required": "yes"}, {"accepted_health_codes": ["blue"]}, {"colour": "x"}):
        with pytest.raises(RulesInvalid):
            health.update_rules(slot.service, bad, None)
    assert health.current_rules(slot.service).version == 1


def test_defaults_per_kind_of_service(ctx):
    assert default_rules("marriage")["nat_required"] is False
    assert default_rules("divorce")["nat_required"] is False
    for kind in ("farewell", "cremation", "ash_collection", "tomb_sweeping"):
        rules = default_rules(kind)
        assert rules["nat_required"] and rules["nat_max_hours"] == 48
    assert default_rules("marriage")["temperature_limit_c"] == 37.3
    assert default_rules("marriage")["window_opens_hours"] == 24


def test_the_demo_seeds_rules_for_every_service(ctx):
    from booking.demo import load_demo
    from booking.models import Service

    load_demo()
    for service in db.session.query(Service):
        rules = db.session.query(HealthRules).filter_by(service_id=service.id).one()
        assert rules.nat_required == (service.kind not in ("marriage", "divorce"))


# --- status, corrections, telling the office ---------------------------------------------------

def test_a_correction_within_the_window_replaces_the_verdict(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    now = slot.starts_at - 5 * H
    health.declare(booking, [answers(0, temperature_c=37.5), answers(1)], now=now)
    assert [s.state for s in health.visitor_statuses(booking, now)] == ["failed", "cleared"]
    assert not health.is_cleared(booking, now)
    health.declare(booking, [answers(0, temperature_c=36.8)], now=now + H)
    assert [s.state for s in health.visitor_statuses(booking, now + H)] == ["cleared", "cleared"]
    assert health.is_cleared(booking, now + H)
    rows = db.session.query(HealthDeclaration).filter_by(visitor_id=booking.visitors[0].id).all()
    assert len(rows) == 2 and rows[0].superseded_at is not None and rows[1].superseded_at is None


def test_statuses_say_who_has_not_declared(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    assert [s.state for s in health.visitor_statuses(booking)] == ["missing", "missing"]
    assert not health.is_cleared(booking)
    assert health.visitor_statuses(booking)[0].label("zh") == "未申报"


def test_a_reschedule_asks_for_a_new_declaration(ctx):
    from booking import bookings
    from booking.models import Slot

    slot = marriage_slot()
    booking, _ = book(slot)
    health.declare(booking, [answers(0), answers(1)], now=slot.starts_at - H)
    assert health.is_cleared(booking, slot.starts_at - H)
    later = Slot(service_id=slot.service_id, office_id=slot.office_id, starts_at=slot.starts_at + 24 * H,
                 ends_at=slot.ends_at + 24 * H, max_bookings=5, max_people=10)
    db.session.add(later)
    db.session.commit()
    bookings.reschedule(booking, later.id)
    now = slot.starts_at
    assert [s.state for s in health.visitor_statuses(booking, now)] == ["outdated", "outdated"]
    assert not health.is_cleared(booking, now)


def test_a_failed_declaration_tells_the_office_without_the_answers(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    health.declare(booking, [answers(0, temperature_c=38.2, case_contact=True)], now=slot.starts_at - H)
    event = db.session.query(AuditEvent).filter_by(action="health_declaration_failed").one()
    assert event.office_id == slot.office_id and event.booking_id == booking.id
    assert "temperature_at_or_above_limit" in event.detail and "case_contact" in event.detail
    assert "38.2" not in event.detail


def test_nothing_is_written_when_one_declaration_is_invalid(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    with pytest.raises(health.DeclarationInvalid) as invalid:
        health.declare(booking, [answers(0), answers(1, temperature_c=55)], now=slot.starts_at - H)
    assert invalid.value.fields("en") == {
        "declarations.1.temperature_c": "Enter a temperature between 34 and 43 °C."}
    assert db.session.query(HealthDeclaration).count() == 0


# --- the staff view ----------------------------------------------------------------------------

def test_only_staff_of_the_office_see_the_answers_and_every_view_is_audited(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    health.declare(booking, [answers(0, temperature_c=37.6)], now=slot.starts_at - H)
    own = staff(slot.office_id, name="own")
    other_office = marriage_slot(code="other").office_id
    for outsider in (staff(other_office, name="other"), staff(None, role="admin", name="admin")):
        with pytest.raises(health.HealthDataForbidden):
            health.declarations_for_staff(booking, outsider)
    seen = health.declarations_for_staff(booking, own)
    health.declarations_for_staff(booking, own)
    assert seen[0]["answers"]["temperature_c"] == 37.6 and seen[0]["state"] == "failed"
    assert seen[1]["state"] == "missing" and seen[1]["answers"] is None
    assert "37.6 °C is at or above 37.3 °C" in [r["text"] for r in seen[0]["reasons_en"]]
    views = db.session.query(AuditEvent).filter_by(action="health_declarations_viewed").all()
    assert [(v.staff_user_id, v.booking_id) for v in views] == [(own.id, booking.id)] * 2
