"""The booking path's copy of services, offices and closures (booking.reference) is never older
than the database's reference version: whatever changes those tables (the app, an operator's
SQL) moves the version by a trigger, and the next booking in any process sees the change."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from booking import bookings
from booking.errors import OfficeClosed, ServiceSuspended
from booking.extensions import db
from booking.models import REFERENCE_TABLES
from tests.factories import make_office, make_service, make_slot, verified, visitor
from tests.test_query_counts import counting


def version() -> int:
    return db.session.execute(text("SELECT version FROM reference_version WHERE id = 1")).scalar()


def book(slot_id: int, n: int):
    phone = f"+86138000001{n:02d}"
    return bookings.book(slot_id=slot_id, phone=phone, visitors=[visitor(2 * n), visitor(2 * n + 1)],
                         verification=verified(phone))


def close_by_sql(office_id: int, day: dt.date) -> None:
    """A whole-office closure for one day, written as an operator would in SQL; committed."""
    db.session.execute(text("INSERT INTO closure (office_id, service_id, first_day, last_day, reason,"
                            " reason_en, created_at) VALUES (:office, NULL, :day, :day, '停电检修', '', :now)"),
                       {"office": office_id, "day": day, "now": dt.datetime(2026, 1, 1)})
    db.session.commit()


def two_slots():
    service = make_service(make_office())
    first, second = make_slot(service, days_ahead=2), make_slot(service, days_ahead=3)
    db.session.commit()
    return service, first, second


@pytest.mark.parametrize("table", REFERENCE_TABLES)
def test_every_change_to_a_reference_table_moves_the_version(any_app, table):
    with any_app.app_context():
        service, slot, _ = two_slots()
        close_by_sql(service.office_id, dt.date(2030, 1, 1))
        column = {"office": "hall_limit", "service": "slot_minutes", "opening_hours": "weekday",
                  "closure": "first_day"}[table]
        before = version()
        db.session.execute(text(f"UPDATE {table} SET {column} = {column}"))  # an operator's SQL
        db.session.commit()
        after = version()
    assert after > before


def test_a_service_suspended_by_sql_refuses_the_next_booking(any_app):
    with any_app.app_context():
        service, first, second = two_slots()
        book(first.id, 0)  # the process now holds the service as it was
        db.session.execute(text("UPDATE service SET suspended = :yes WHERE id = :id"),
                           {"yes": True, "id": service.id})
        db.session.commit()
        with pytest.raises(ServiceSuspended):
            book(second.id, 1)


def test_a_closure_made_after_the_copy_refuses_bookings_on_its_days(any_app):
    with any_app.app_context():
        service, first, second = two_slots()
        book(first.id, 0)
        day = second.starts_at.astimezone(service.office.tz).date()
        close_by_sql(service.office_id, day)  # the slot itself stays open: the closure refuses
        with pytest.raises(OfficeClosed):
            book(second.id, 1)


def test_the_copy_is_reused_while_the_version_stands(any_app):
    with any_app.app_context():
        _, first, second = two_slots()
        book(first.id, 0)
        proof, second_id = verified("+8613800000199"), second.id
    with counting(any_app) as statements, any_app.app_context():
        bookings.book(slot_id=second_id, phone="+8613800000199", visitors=[visitor(80), visitor(81)],
                      verification=proof)
    assert not [s for s in statements if "FROM service" in s or "FROM closure" in s], statements
