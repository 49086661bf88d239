"""The waiting list in the domain: join a full day, the first in line is offered a freed
place, claims it within the window or loses it to the next; the hold-back keeps a freed place
from the public for a while. The slot's ledger holds after every step, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking import bookings, retention, scheduling
from booking.errors import IdentityAlreadyBooked, SlotFull
from booking.extensions import db
from booking.models import SmsMessage, WaitingEntry, WaitingHold, utcnow
from booking.sms.compose import preview
from booking.waiting import entries, holds

from .factories import make_office, make_service, make_slot, verified, visitor
from .waiting_helpers import assert_ledger, book, full_day, join


def texts_to(phone: str, kind: str) -> list[str]:
    return [preview(message) for message in db.session.scalars(select(SmsMessage).where(
        SmsMessage.phone == phone, SmsMessage.kind == kind).order_by(SmsMessage.id))]


def test_joining_a_day_with_places_answers_not_full(any_app):
    with any_app.app_context():
        service = make_service(make_office())
        slot = make_slot(service)
        db.session.commit()
        day = slot.starts_at.astimezone(service.office.tz).date()
        with pytest.raises(entries.NotFull) as caught:
            join(service, day, 1)
        assert caught.value.status == 409
        assert "空余名额" in caught.value.message("zh")


def test_parties_join_in_order_and_see_their_position(any_app):
    with any_app.app_context():
        service, slot, day, _ = full_day()
        first, second = join(service, day, 1), join(service, day, 2)
        assert (entries.position(first.entry), entries.position(second.entry)) == (1, 2)
        assert "排第2位" in texts_to(second.entry.phone, "waiting_joined")[0]
        with pytest.raises(entries.AlreadyWaiting):  # the same couple again, another phone
            entries.join_list(service, day, phone="+8613500000001", visitors=[visitor(2), visitor(3)],
                         verification=verified("+8613500000001"))
        assert_ledger(slot.id)


def test_a_cancelled_place_is_held_offered_and_claimed_by_the_first_in_line(any_app):
    with any_app.app_context():
        service, slot, day, (taken,) = full_day()
        first, second = join(service, day, 1), join(service, day, 2)
        bookings.cancel(taken.booking)
        assert_ledger(slot.id)
        db.session.refresh(first.entry)
        assert first.entry.status == "offered" and entries.position(second.entry) == 1
        offer = texts_to(first.entry.phone, "waiting_offer")[0]
        assert holds.claim_url(first.entry) in offer and "领取" in offer
        with pytest.raises(SlotFull):  # the public cannot take the held place
            book(slot.id, 50)
        done = entries.claim_offer(first.entry)
        assert done.booking.slot_id == slot.id and done.booking.status == "booked"
        assert first.entry.status == "claimed" and first.entry.booking_id == done.booking.id
        assert_ledger(slot.id)
        with pytest.raises(entries.NoOffer):
            entries.claim_offer(first.entry)  # a second claim books nothing
        assert_ledger(slot.id)


def test_a_claim_after_its_window_fails_and_the_next_in_line_is_offered(any_app):
    with any_app.app_context():
        service, slot, day, (taken,) = full_day(claim_minutes=30)
        first, second = join(service, day, 1), join(service, day, 2)
        now = utcnow()
        bookings.cancel(taken.booking)
        later = now + dt.timedelta(minutes=31)
        with pytest.raises(entries.OfferExpired):
            entries.claim_offer(first.entry, now=later)
        assert holds.run_due(later) == (1, 0)
        db.session.refresh(first.entry)
        db.session.refresh(second.entry)
        assert (first.entry.status, second.entry.status) == ("expired", "offered")
        assert_ledger(slot.id)
        with pytest.raises(entries.NoOffer):
            entries.claim_offer(first.entry, now=later)
        entries.claim_offer(second.entry, now=later + dt.timedelta(minutes=1))
        assert_ledger(slot.id)


def test_a_place_nobody_claims_returns_to_the_public_after_the_hold_back(any_app):
    with any_app.app_context():
        service, slot, day, (taken,) = full_day(holdback_minutes=30, claim_minutes=10)
        first = join(service, day, 1)
        now = utcnow()
        bookings.cancel(taken.booking)
        entries.leave_list(first.entry)  # the offer passes on: nobody else waits
        assert_ledger(slot.id)
        assert holds.run_due(now + dt.timedelta(minutes=29)) == (0, 0)
        with pytest.raises(SlotFull):
            book(slot.id, 50)
        assert holds.run_due(now + dt.timedelta(minutes=31)) == (0, 1)
        assert_ledger(slot.id)
        book(slot.id, 50)
        assert_ledger(slot.id)


def test_someone_joining_during_the_hold_back_is_offered_the_held_place(any_app):
    with any_app.app_context():
        service, slot, day, (taken,) = full_day(holdback_minutes=30)
        bookings.cancel(taken.booking)
        hold = db.session.scalars(select(WaitingHold)).one()
        assert hold.status == "held"
        joined = join(service, day, 1)
        assert joined.entry.status == "offered"
        entries.claim_offer(joined.entry)
        assert_ledger(slot.id)


def test_without_hold_back_or_waiters_a_cancelled_place_is_public_at_once(any_app):
    with any_app.app_context():
        _, slot, _, (taken,) = full_day(holdback_minutes=0)
        bookings.cancel(taken.booking)
        assert db.session.scalars(select(WaitingHold)).all() == []
        book(slot.id, 50)
        assert_ledger(slot.id)


def test_a_claim_refused_by_a_booking_rule_keeps_the_offer(any_app):
    with any_app.app_context():
        service, slot, day, (taken, _) = full_day(places=2)
        first = join(service, day, 1)
        bookings.cancel(taken.booking)
        other = make_slot(service, at=dt.time(11, 0))
        db.session.commit()
        bookings.book(slot_id=other.id, phone="+8613500000009", visitors=[visitor(2), visitor(3)],
                      verification=verified("+8613500000009"))  # the same couple, elsewhere
        with pytest.raises(IdentityAlreadyBooked):
            entries.claim_offer(first.entry)
        db.session.refresh(first.entry)
        assert first.entry.status == "offered"
        assert_ledger(slot.id)


def test_the_list_of_a_day_gone_by_ends(any_app):
    with any_app.app_context():
        service, slot, day, _ = full_day()
        joined = join(service, day, 1)
        holds.run_due(utcnow() + dt.timedelta(days=5))
        db.session.refresh(joined.entry)
        assert joined.entry.status == "expired" and entries.position(joined.entry) is None


def test_a_traditional_chinese_party_with_a_long_name_joins(any_app):
    """The entry keeps zh-Hant (seven characters) and names up to 100, as bookings do."""
    with any_app.app_context():
        service, slot, day, _ = full_day()
        long_name = "阿" * 100
        entry = entries.join_list(service, day, phone="+8613600000301", lang="zh-Hant",
                                  visitors=[visitor(601, name=long_name), visitor(602)],
                                  verification=verified("+8613600000301")).entry
        db.session.expire_all()
        assert entry.lang == "zh-Hant" and entry.visitors[0].name == long_name
        assert "候補" in texts_to("+8613600000301", "waiting_joined")[0]


def test_retention_purge_empties_waiting_entries_of_days_long_gone(any_app):
    with any_app.app_context():
        service, slot, day, _ = full_day()
        entry_id = join(service, day, 1).entry.id
        assert retention.purge(now=utcnow()).waiting == 0, "a day still to come keeps its list"
        later = scheduling.local_datetime(service.office, day, dt.time(12)) + dt.timedelta(days=91)
        assert retention.purge(now=later).waiting == 1
        db.session.expire_all()
        entry = db.session.get(WaitingEntry, entry_id)
        assert entry.phone == "" and all((v.name, v.id_masked, v.id_hash) == ("", "", "") for v in entry.visitors)
