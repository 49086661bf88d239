"""Slots come from the opening hours in the office's own time zone, stored in UTC."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from booking import scheduling
from booking.extensions import db
from booking.models import Closure, Slot
from booking.offices import slots
from booking.uow import unit_of_work

from .factories import make_office, make_service

FIRST = dt.date(2026, 12, 1)
LAST = dt.date(2026, 12, 14)


def slots_of(service) -> list[Slot]:
    return db.session.scalars(select(Slot).where(Slot.service_id == service.id)
                              .order_by(Slot.starts_at)).all()


def test_shanghai_office_open_0830_to_1700_gets_exactly_those_local_times(any_app):
    with any_app.app_context():
        service = make_service(make_office(), slot_minutes=30)
        created = scheduling.generate_slots(service, FIRST, LAST)
        db.session.commit()
        tz = ZoneInfo("Asia/Shanghai")
        expected = [dt.datetime.combine(day, dt.time(8, 30), tzinfo=tz) + dt.timedelta(minutes=30 * i)
                    for day in scheduling.days(FIRST, LAST) for i in range(17)]
        slots = slots_of(service)
        assert created == len(slots) == 14 * 17
        assert [s.starts_at for s in slots] == expected
        assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=30) for s in slots)
        assert slots[-1].ends_at.astimezone(tz).time() == dt.time(17, 0)
        # Stored in UTC: 08:30 in Shanghai is 00:30 UTC on the same date.
        raw = db.session.execute(text("SELECT starts_at FROM slot ORDER BY starts_at LIMIT 1")).scalar()
        raw = dt.datetime.fromisoformat(str(raw))
        assert (raw.replace(tzinfo=None), raw.tzinfo) == (dt.datetime(2026, 12, 1, 0, 30), None)


def test_local_date_is_kept_where_the_utc_date_differs(any_app):
    """Auckland's 08:30 on 1 December is 19:30 UTC on 30 November."""
    with any_app.app_context():
        office = make_office(code="akl", timezone="Pacific/Auckland")
        service = make_service(office, opening=(([0], dt.time(8, 30), dt.time(9, 30)),))  # Mondays
        scheduling.generate_slots(service, dt.date(2026, 11, 30), dt.date(2026, 12, 6))
        db.session.commit()
        starts = [s.starts_at for s in slots_of(service)]
        assert [s.astimezone(office.tz).isoformat() for s in starts] == [
            "2026-11-30T08:30:00+13:00", "2026-11-30T09:00:00+13:00"]
        assert starts[0] == dt.datetime(2026, 11, 29, 19, 30, tzinfo=dt.UTC)


def test_daylight_saving_change_keeps_local_opening_times(any_app):
    """New York leaves daylight saving on 1 November 2026: local times stay, UTC shifts."""
    with any_app.app_context():
        office = make_office(code="nyc", timezone="America/New_York")
        service = make_service(office, opening=((range(7), dt.time(9), dt.time(10)),), slot_minutes=60)
        scheduling.generate_slots(service, dt.date(2026, 10, 31), dt.date(2026, 11, 2))
        db.session.commit()
        slots = slots_of(service)
        assert [s.starts_at.astimezone(office.tz).hour for s in slots] == [9, 9, 9]
        assert [s.starts_at.hour for s in slots] == [13, 14, 14]


def test_generating_twice_creates_nothing_new(any_app):
    with any_app.app_context():
        service = make_service(make_office())
        first = scheduling.generate_slots(service, FIRST, LAST)
        db.session.commit()
        again = scheduling.generate_slots(service, FIRST - dt.timedelta(days=2), LAST)
        db.session.commit()
        assert first > 0 and again == 2 * 17  # only the two new days
        assert len(slots_of(service)) == first + again


def test_closed_days_get_no_slots(any_app):
    with any_app.app_context():
        office = make_office()
        marriage = make_service(office)
        divorce = make_service(office, code="divorce", kind="divorce")
        db.session.add_all([
            Closure(office_id=office.id, first_day=dt.date(2026, 12, 3), last_day=dt.date(2026, 12, 4),
                    reason="疫情防控，暂停办理"),
            Closure(office_id=office.id, service_id=divorce.id, first_day=dt.date(2026, 12, 10),
                    last_day=dt.date(2026, 12, 10), reason="系统维护"),
        ])
        db.session.flush()
        scheduling.generate_all(FIRST, LAST)
        db.session.commit()

        def days_with_slots(service):
            return {scheduling.local_day(office, s.starts_at) for s in slots_of(service)}

        all_days = set(scheduling.days(FIRST, LAST))
        assert days_with_slots(marriage) == all_days - {dt.date(2026, 12, 3), dt.date(2026, 12, 4)}
        assert days_with_slots(divorce) == all_days - {dt.date(2026, 12, 3), dt.date(2026, 12, 4),
                                                       dt.date(2026, 12, 10)}


def test_opening_hours_only_on_their_weekdays(any_app):
    with any_app.app_context():
        service = make_service(make_office(), opening=((range(5), dt.time(9), dt.time(12)),
                                                       (range(5), dt.time(13, 30), dt.time(17))))
        scheduling.generate_slots(service, FIRST, LAST)
        db.session.commit()
        local = [s.starts_at.astimezone(service.office.tz) for s in slots_of(service)]
        assert {t.weekday() for t in local} == {0, 1, 2, 3, 4}
        assert not any(dt.time(12) <= t.time() < dt.time(13, 30) for t in local)
        assert len(local) == 10 * (6 + 7)


def test_two_workers_generating_at_once_make_each_slot_once(pg_app):
    """SMS workers and cron fill the booking windows at the same time: the second insert of a
    start waits for the first and skips it, instead of failing the whole run."""
    with pg_app.app_context():
        make_service(make_office(holidays="none"), booking_opens_days=10)
        db.session.commit()
    barrier, made, errors = threading.Barrier(2), [], []

    def generate():
        with pg_app.app_context():
            try:
                with unit_of_work():
                    barrier.wait(5)
                    made.append(slots.generate_ahead(scheduling.utcnow()))
            except Exception as error:  # noqa: BLE001  (the test reports it)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=generate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with pg_app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Slot))
        assert sum(made) == count == 11 * 17
