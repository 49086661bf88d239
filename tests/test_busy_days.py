"""Busy days ahead and the popular-day plan (docs/contract.md, "Busy days ahead"; issue 28 item 1).

A registry whose 5·20 of 2026 had four times a usual Wednesday's bookings; its 5·20 of 2027 is
planned under a moving clock: the cap, the telephone reserve, the hold-back, the proof of work
and the extra hours apply as one, reach slots made later and a level change, and undo as one.
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import altcha
import pytest
from sqlalchemy import func, select

from booking import accounts, bookings, challenge, scheduling
from booking.busy import days as busy_days
from booking.busy import plans
from booking.extensions import db
from booking.models import AuditEvent, Booking, CapacityReview, HoursException, PopularDayPlan, Slot, SmsMessage
from booking.offices import admin as office_admin
from booking.offices import setup as office_setup
from booking.offices import slots
from booking.verification import start_verification
from booking.waiting import holds

from .factories import SHANGHAI, last_code, make_office, make_service, visitor

MAY20 = dt.date(2027, 5, 20)  # a Thursday
TODAY = dt.date(2027, 5, 15)
WEEKDAYS = ((range(5), dt.time(9, 0), dt.time(12, 0)), (range(5), dt.time(13, 0), dt.time(17, 0)))
PASSWORD = "a long password 1"
PLAN = {"services": ["marriage"], "capacity_percent": "50", "assisted_reserve": "1", "holdback_minutes": "30",
        "proof_of_work": "yes", "extra_hours": "08:00-12:00，13:00–18:00", "reason_zh": "5·20 特别安排",
        "reason_en": "May 20 arrangements"}

_people = iter(range(1, 100_000))


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def book(slot: Slot, now: dt.datetime | None = None, work: str | None = None) -> Booking:
    """A couple's online booking of `slot`, made the day before (or at `now`)."""
    phone = f"+86137{next(_people):08d}"
    now = now or slot.starts_at - dt.timedelta(days=1)
    verification = start_verification(phone, now=now)
    return bookings.book(slot_id=slot.id, phone=phone, visitors=[visitor(next(_people)) for _ in range(2)],
                         lang="zh", verification=(verification, last_code(phone)), work=work, now=now).booking


def solved() -> str:
    """A proof of work, as the page's widget computes it (cheap: the protocol is under test)."""
    puzzle = altcha.v2.Challenge.from_dict(challenge.new_challenge())
    return altcha.Payload(puzzle, altcha.solve_challenge(puzzle)).to_base64()


def day_slots(service, day: dt.date) -> list[Slot]:
    db.session.expire_all()
    return list(db.session.scalars(select(Slot).where(
        Slot.service_id == service.id, Slot.status != "removed", Slot.starts_at >= at(day, 0),
        Slot.starts_at < at(day + dt.timedelta(days=1), 0)).order_by(Slot.starts_at)))


@pytest.fixture
def registry(any_app):
    """A registry (weekdays 09:00-12:00 and 13:00-17:00, 30-minute slots of 4 couples) with a
    cemetery service beside it; last year's 5·20 had 4 couples, each of the four Wednesdays before
    it 1; this year's 5·20 has its slots, three couples at 09:00."""
    any_app.config["CHALLENGE_COST"] = 200
    with any_app.app_context():
        office = make_office("registry-b")
        marriage = make_service(office, opening=WEEKDAYS, slot_max_bookings=4, slot_max_people=8)
        make_service(office, code="tomb", kind="tomb_sweeping", name_zh="代为祭扫", name_en="Tomb sweeping",
                     opening=WEEKDAYS)
        db.session.commit()
        last_year = dt.date(2026, 5, 20)
        for day, couples in [(last_year, 4)] + [(last_year - dt.timedelta(weeks=n), 1) for n in range(1, 5)]:
            scheduling.generate_slots(marriage, day, day)
            db.session.commit()
            for n in range(couples):
                book(day_slots(marriage, day)[n % 3])
        slots.generate_ahead(at(TODAY))  # as the worker keeps them
        db.session.commit()
        nine = day_slots(marriage, MAY20)[0]
        three = [book(nine) for _ in range(3)]
        supervisor = accounts.create_staff("super-b", PASSWORD, "supervisor", office.code)
        challenge.forget_rules()
        yield {"office": office, "marriage": marriage, "three": three, "supervisor": supervisor}
        challenge.forget_rules()
        db.session.remove()


def test_busy_days_list_the_notable_days_with_last_years_bookings_and_todays_settings(registry):
    office, marriage = registry["office"], registry["marriage"]
    found = {item.day: item for item in busy_days.busy_days([office], TODAY, ahead=30)}
    assert list(found) == [MAY20, dt.date(2027, 5, 21), dt.date(2027, 6, 6)], "5·20, 5·21 and 6·6 within 30 days"
    may20 = found[MAY20]
    assert [n.code for n in may20.notable] == ["may20"]
    assert [s.code for s in may20.services] == ["marriage"], "5·20 brings no crowd to tomb sweeping"
    assert (may20.year_before, may20.bookings_then, may20.people_then) == (dt.date(2026, 5, 20), 4, 8)
    assert may20.usual_then == 1 and may20.times_usual == 4
    assert found[dt.date(2027, 5, 21)].bookings_then is None, "no slots on 2026-05-21: not known"
    now = may20.settings.of(marriage)
    assert (now.slots, now.capacity, now.assisted_reserve, now.places, now.booked, now.holdback) == (
        14, (4, 8), 0, 56, 3, 0)
    assert may20.settings.proof_of_work == "auto" and may20.settings.plan is None
    assert found[dt.date(2027, 6, 6)].settings.of(marriage).slots == 0, "a Sunday: closed"


def test_a_plan_applies_as_one_and_reaches_the_slots_the_waiting_list_and_the_challenge(registry):
    office, marriage, supervisor = registry["office"], registry["marriage"], registry["supervisor"]
    wanted = plans.read_input(office, MAY20, PLAN, TODAY)
    assert wanted.extra_hours == ("08:00-12:00", "13:00-18:00")
    typed = plans.read_input(office, MAY20, {**PLAN, "extra_hours": "08：00－12:00，13:00至18:00"}, TODAY)
    assert typed.extra_hours == wanted.extra_hours, "as an input method types them"
    outcome = plans.apply_plan(office, wanted, supervisor, now=at(TODAY))

    assert (outcome.slots_added, outcome.slots_removed) == (4, 0), "08:00, 08:30, 17:00 and 17:30"
    assert [review.booking_id for review in outcome.listed] == [registry["three"][2].id], "the third is above 50 %"
    slots = day_slots(marriage, MAY20)
    assert len(slots) == 18
    nine = next(s for s in slots if s.starts_at == at(MAY20))
    assert {(s.max_bookings, s.cut_bookings, s.assisted_reserve) for s in slots if s is not nine} == {(2, None, 1)}
    assert (nine.max_bookings, nine.cut_bookings, nine.max_people) == (3, 2, 6), "booked above the cap: kept, cut"
    online = scheduling.availability(marriage, MAY20, MAY20, now=at(MAY20 - dt.timedelta(days=2)))
    assert {a.remaining_bookings for a in online if a.slot.starts_at != nine.starts_at} == {1}, "2 less 1 reserved"
    assert challenge.required(office.id, MAY20) and not challenge.required(office.id, MAY20 - dt.timedelta(days=1))
    with pytest.raises(challenge.ChallengeFailed):
        book(slots[0], now=at(MAY20 - dt.timedelta(days=1)))
    assert book(slots[0], now=at(MAY20 - dt.timedelta(days=1)), work=solved()).status == "booked"
    assert holds.holdback_minutes(marriage, MAY20) == 30
    assert holds.holdback_minutes(marriage, MAY20 + dt.timedelta(days=1)) == 0
    exception = db.session.scalar(select(HoursException).where(HoursException.office_id == office.id))
    assert (exception.first_day, exception.periods, exception.reason_zh_hant) == (
        MAY20, ["08:00-12:00", "13:00-18:00"], "5·20 特別安排")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "popular_day_plan"))
    assert event is not None and event.staff_user_id == supervisor.id
    after = busy_days.day_settings(office, MAY20)
    assert after.plan is not None and after.proof_of_work == "on"
    planned = after.of(marriage)
    assert (planned.capacity, planned.assisted_reserve, planned.slots) == ((2, 4), 1, 18)


def test_a_plan_reaches_slots_made_later_and_outlives_a_level_change(registry):
    office, marriage, supervisor = registry["office"], registry["marriage"], registry["supervisor"]
    later = dt.date(2027, 6, 7)  # beyond the booking window: no slots yet
    plans.apply_plan(office, plans.read_input(office, later, {**PLAN, "extra_hours": ""}, TODAY), supervisor,
                     now=at(TODAY))
    assert day_slots(marriage, later) == []
    scheduling.generate_slots(marriage, later, later)
    db.session.commit()
    assert {(s.max_bookings, s.max_people, s.assisted_reserve) for s in day_slots(marriage, later)} == {(2, 4, 1)}

    office_admin.set_level(office, "heightened", supervisor, now=at(TODAY))
    assert {s.max_bookings for s in day_slots(marriage, later)} == {1}, "half of the heightened level's 2"
    assert {s.max_bookings for s in day_slots(marriage, later + dt.timedelta(days=1))} == set()
    plans.undo_plan(office, later, supervisor, now=at(TODAY))
    assert {(s.max_bookings, s.assisted_reserve) for s in day_slots(marriage, later)} == {(2, None)}


def test_undo_restores_every_setting_as_one(registry):
    office, marriage, supervisor = registry["office"], registry["marriage"], registry["supervisor"]
    before = [(s.starts_at, s.max_bookings, s.max_people, s.cut_bookings, s.assisted_reserve)
              for s in day_slots(marriage, MAY20)]
    plans.apply_plan(office, plans.read_input(office, MAY20, PLAN, TODAY), supervisor, now=at(TODAY))
    challenge.forget_rules()
    outcome = plans.undo_plan(office, MAY20, supervisor, now=at(TODAY, 10))

    assert (outcome.slots_removed, outcome.bookings_cancelled) == (4, 0)
    assert [(s.starts_at, s.max_bookings, s.max_people, s.cut_bookings, s.assisted_reserve)
            for s in day_slots(marriage, MAY20)] == before
    assert not challenge.required(office.id, MAY20)
    assert holds.holdback_minutes(marriage, MAY20) == 0
    assert db.session.scalar(select(func.count(HoursException.id))) == 0
    plan = db.session.scalar(select(PopularDayPlan))
    assert plan.undone_at is not None and plan.undone_by_id == supervisor.id
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "popular_day_undone"))
    with pytest.raises(plans.NotInForce):
        plans.undo_plan(office, MAY20, supervisor, now=at(TODAY, 11))


def test_a_dry_run_shows_the_outcome_and_changes_nothing(registry):
    office, marriage, supervisor = registry["office"], registry["marriage"], registry["supervisor"]
    outcome = plans.apply_plan(office, plans.read_input(office, MAY20, PLAN, TODAY), supervisor, dry_run=True,
                               now=at(TODAY))
    assert outcome.before.of(marriage).capacity == (4, 8) and outcome.after.of(marriage).capacity == (2, 4)
    assert outcome.after.proof_of_work == "on" and outcome.after.of(marriage).holdback == 30
    assert outcome.slots_added == 4 and len(outcome.listed) == 1
    assert db.session.scalar(select(func.count(PopularDayPlan.id))) == 0
    assert db.session.scalar(select(func.count(HoursException.id))) == 0
    assert db.session.scalar(select(func.count(CapacityReview.id))) == 0
    assert {s.max_bookings for s in day_slots(marriage, MAY20)} == {4} and len(day_slots(marriage, MAY20)) == 14


def test_undoing_hours_that_hold_bookings_is_refused_unless_asked_and_then_texts_them(registry):
    office, marriage, supervisor = registry["office"], registry["marriage"], registry["supervisor"]
    plans.apply_plan(office, plans.read_input(office, MAY20, PLAN, TODAY), supervisor, now=at(TODAY))
    early = book(day_slots(marriage, MAY20)[0], now=at(MAY20 - dt.timedelta(days=2)), work=solved())  # 08:00
    texts = db.session.scalar(select(func.count(SmsMessage.id)))
    with pytest.raises(office_setup.HoursTaken):
        plans.undo_plan(office, MAY20, supervisor, now=at(TODAY, 10))
    db.session.expire_all()
    assert plans.in_force(office, MAY20) is not None and early.status == "booked", "nothing changed"
    preview = plans.undo_plan(office, MAY20, supervisor, dry_run=True, now=at(TODAY, 10))
    assert preview.references == [early.reference]
    plans.undo_plan(office, MAY20, supervisor, cancel_bookings=True, now=at(TODAY, 10))
    db.session.expire_all()
    assert early.status == "cancelled" and plans.in_force(office, MAY20) is None
    assert db.session.scalar(select(func.count(SmsMessage.id))) == texts + 1, "the citizen is texted"


def test_applying_again_replaces_the_plan_in_force(registry):
    office, marriage, supervisor = registry["office"], registry["marriage"], registry["supervisor"]
    plans.apply_plan(office, plans.read_input(office, MAY20, PLAN, TODAY), supervisor, now=at(TODAY))
    plans.apply_plan(office, plans.read_input(office, MAY20, {**PLAN, "capacity_percent": "80", "extra_hours": ""},
                                              TODAY), supervisor, now=at(TODAY, 10))
    assert db.session.scalar(select(func.count(PopularDayPlan.id)).where(PopularDayPlan.undone_at.is_(None))) == 1
    slots = day_slots(marriage, MAY20)
    assert len(slots) == 14 and {s.max_bookings for s in slots if s.starts_at != at(MAY20)} == {3}
    assert db.session.scalar(select(func.count(HoursException.id))) == 0


@pytest.mark.parametrize(("change", "error"), [
    ({"capacity_percent": "0"}, plans.InvalidPercent), ({"capacity_percent": "101"}, plans.InvalidPercent),
    ({"capacity_percent": "½"}, plans.InvalidPercent), ({"holdback_minutes": "-1"}, plans.InvalidHoldback),
    ({"assisted_reserve": "2"}, plans.InvalidReserve), ({"extra_hours": "08:00-25:00"}, plans.InvalidHours),
    ({"extra_hours": "08:00-12:00 11:00-13:00"}, plans.InvalidHours), ({"services": ["nope"]}, plans.NoServices),
])
def test_a_bad_value_is_refused_by_name(sqlite_app, change, error):
    with sqlite_app.app_context():
        office = make_office("registry-v")
        make_service(office, opening=WEEKDAYS, slot_max_bookings=4, slot_max_people=8)
        db.session.commit()
        with pytest.raises(error) as refused:
            plans.read_input(office, MAY20, {**PLAN, **change}, TODAY)
        assert refused.value.field in PLAN and refused.value.message("zh")
        if error is plans.InvalidReserve:  # names the service and its limit, not the largest reserve
            assert refused.value.message("zh") == (
                "电话和窗口预留须为整数，且须少于“结婚登记”每个时段的预约数（2），给网上预约留出名额。")
        with pytest.raises(plans.InvalidDay):
            plans.read_input(office, TODAY, PLAN, TODAY)
