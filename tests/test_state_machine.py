"""Random sequences of book, cancel and reschedule keep every slot's counters equal to its rows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from booking import bookings
from booking.errors import BookingError, SlotFull
from booking.extensions import db
from booking.models import ACTIVE_STATUSES, Booking, Slot

from .conftest import _fresh_schema as fresh_schema
from .factories import make_office, make_service, make_slot, verified, visitor


def build_machine(app):
    class BookingMachine(RuleBasedStateMachine):
        """Three small slots of a 1-3 person service; citizens book, cancel and move."""

        def __init__(self):
            super().__init__()
            fresh_schema(app)
            self.ctx = app.app_context()
            self.ctx.push()
            service = make_service(make_office(), code="visit", kind="tomb_sweeping",
                                   party_size_min=1, party_size_max=3,
                                   slot_max_bookings=3, slot_max_people=5)
            self.slot_ids = [make_slot(service, days_ahead=1, at=dt.time(hour)).id
                             for hour in (9, 10, 11)]
            db.session.commit()
            self.people = itertools.count()
            self.active: list[int] = []
            self.refused_full = 0

        def teardown(self):
            db.session.remove()
            self.ctx.pop()

        @rule(slot=st.integers(0, 2), size=st.integers(1, 3))
        def book(self, slot, size):
            n = next(self.people)
            phone = f"+86137{n:08d}"
            try:
                done = bookings.book(slot_id=self.slot_ids[slot], phone=phone,
                                     visitors=[visitor(10 * n + i) for i in range(size)],
                                     verification=verified(phone))
                self.active.append(done.booking.id)
            except SlotFull:
                self.refused_full += 1

        @precondition(lambda self: self.active)
        @rule(data=st.data())
        def cancel(self, data):
            booking_id = data.draw(st.sampled_from(self.active))
            bookings.cancel(db.session.get(Booking, booking_id))
            self.active.remove(booking_id)

        @precondition(lambda self: self.active)
        @rule(data=st.data(), slot=st.integers(0, 2))
        def reschedule(self, data, slot):
            booking = db.session.get(Booking, data.draw(st.sampled_from(self.active)))
            try:
                bookings.reschedule(booking, self.slot_ids[slot])
            except BookingError as error:
                assert error.code in ("slot_full", "same_slot")

        @invariant()
        def counters_equal_rows(self):
            db.session.expire_all()
            for slot in db.session.scalars(select(Slot)):
                rows = db.session.execute(
                    select(func.count(Booking.id), func.coalesce(func.sum(Booking.party_size), 0))
                    .where(Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_STATUSES))).one()
                assert (slot.booked_bookings, slot.booked_people) == tuple(rows)
                assert slot.booked_bookings <= slot.max_bookings
                assert slot.booked_people <= slot.max_people

    return BookingMachine


@pytest.mark.slow
def test_random_book_cancel_reschedule_sequences_keep_counters_equal_to_rows(any_app):
    # Hundreds of bookings and moves by a few phones: the ledger is under test, not the attempt
    # limits (tests/test_limits_channels.py), which would otherwise refuse some steps.
    any_app.config.update(PHONE_ATTEMPT_LIMIT="10000 per minute", PERSON_ATTEMPT_LIMIT="10000 per minute")
    run_state_machine_as_test(
        build_machine(any_app),
        settings=settings(max_examples=15, stateful_step_count=20, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
