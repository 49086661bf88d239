"""Office management for supervisors: slot capacity, epidemic level, counters, staff accounts.

Closures live in closures.py. Nothing here silently removes a booked citizen: a reduced
capacity keeps room for what is booked and lists the bookings beyond the new limit for a
supervisor to keep or move.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from .. import accounts, audit, bookings, scheduling
from ..errors import BookingError
from ..extensions import db
from ..models import Booking, CapacityReview, Office, Service, Slot, StaffUser, utcnow

MAX_COUNTERS = 30


class InvalidLevel(BookingError):
    code, field = "invalid_level", "level"
    message_zh, message_en = "级别只能是常态、加强或紧急。", "The level must be normal, heightened or emergency."


class InvalidCapacity(BookingError):
    code, field = "invalid_capacity", "max_people"
    message_zh = "预约数和人数上限须为正整数。"
    message_en = "The limits of bookings and people must be whole numbers from 1."


class InvalidCounters(BookingError):
    code, field = "invalid_counters", "counters"
    message_zh = "请每行填写一个窗口名称（1–10 个字，不重复，最多 30 个）。"
    message_en = "Please give one counter name a line (1 to 10 characters, no repeats, at most 30)."


class ReviewClosed(BookingError):
    code, status = "review_closed", 409
    message_zh, message_en = "该预约已处理。", "This booking has already been dealt with."


# --- capacity ----------------------------------------------------------------------------------

def future_slots(office: Office, now: dt.datetime | None = None) -> list[Slot]:
    return list(db.session.scalars(
        select(Slot).where(Slot.office_id == office.id, Slot.starts_at > (now or utcnow()))
        .order_by(Slot.starts_at)))


def set_level(office: Office, level: str, staff: StaffUser,
              now: dt.datetime | None = None) -> list[CapacityReview]:
    """Set the epidemic level and scale every future slot's capacity to it. Commits.

    A slot with more booked than the new limit keeps room for them (its limit is the booked
    count); the bookings beyond the limit are returned, listed for review.
    """
    if level not in scheduling.LEVELS:
        raise InvalidLevel()
    previous, office.epidemic_level = office.epidemic_level, level
    reviews = []
    for slot in future_slots(office, now):
        target = scheduling.level_capacity(slot.service, level)
        reviews += _limit_slot(slot, *target, level=level)
    audit.record("epidemic_level", actor="staff", office_id=office.id, staff_user_id=staff.id,
                 level=level, previous=previous, listed=len(reviews))
    db.session.commit()
    return reviews


def set_slot_capacity(slot: Slot, max_bookings: int, max_people: int,
                      staff: StaffUser) -> list[CapacityReview]:
    """Set one slot's limits; bookings beyond them are listed for review, not removed. Commits."""
    if not (isinstance(max_bookings, int) and isinstance(max_people, int)
            and 1 <= max_bookings <= 1000 and 1 <= max_people <= 5000):
        raise InvalidCapacity()
    reviews = _limit_slot(slot, max_bookings, max_people, level="manual")
    audit.record("slot_capacity", actor="staff", office_id=slot.office_id, staff_user_id=staff.id,
                 slot=slot.id, max_bookings=max_bookings, max_people=max_people,
                 listed=len(reviews))
    db.session.commit()
    return reviews


def _limit_slot(slot: Slot, target_bookings: int, target_people: int,
                level: str) -> list[CapacityReview]:
    """Apply limits to a slot without going below what is booked; list the excess bookings."""
    db.session.refresh(slot)
    slot.max_bookings = max(target_bookings, slot.booked_bookings)
    slot.max_people = max(target_people, slot.booked_people)
    active = list(db.session.scalars(
        select(Booking).where(Booking.slot_id == slot.id, Booking.status.in_(bookings.CANCELLABLE))
        .order_by(Booking.created_at, Booking.id)))
    fits, people, listed = 0, 0, []
    for booking in active:  # the earliest bookings fit; the later ones are beyond the limit
        if fits + 1 <= target_bookings and people + booking.party_size <= target_people:
            fits, people = fits + 1, people + booking.party_size
            _drop_review(booking)
        else:
            listed.append(_review(booking, slot, target_bookings, target_people, level))
    return listed


def _review(booking, slot, target_bookings, target_people, level) -> CapacityReview:
    review = db.session.scalar(select(CapacityReview).where(CapacityReview.booking_id == booking.id))
    if review is None:
        review = CapacityReview(booking_id=booking.id, slot_id=slot.id, office_id=slot.office_id)
        db.session.add(review)
    review.slot_id, review.level = slot.id, level
    review.target_bookings, review.target_people = target_bookings, target_people
    review.decision = review.decided_at = review.decided_by_id = None
    return review


def _drop_review(booking: Booking) -> None:
    review = db.session.scalar(select(CapacityReview).where(CapacityReview.booking_id == booking.id,
                                                            CapacityReview.decision.is_(None)))
    if review is not None:
        db.session.delete(review)


def open_reviews(office: Office) -> list[CapacityReview]:
    """Bookings above a reduced limit still waiting for a supervisor's decision, by slot time.

    A booking cancelled meanwhile is closed as 'gone' and its slot tightened.
    """
    reviews = list(db.session.scalars(
        select(CapacityReview).join(Slot, CapacityReview.slot_id == Slot.id)
        .where(CapacityReview.office_id == office.id, CapacityReview.decision.is_(None))
        .order_by(Slot.starts_at, CapacityReview.id)))
    current = []
    for review in reviews:
        if review.booking.status in bookings.CANCELLABLE and review.booking.slot_id == review.slot_id:
            current.append(review)
        else:
            _decide(review, "gone", None)
    db.session.commit()
    return current


def keep(review: CapacityReview, staff: StaffUser) -> CapacityReview:
    """Keep a booking above the limit where it is. Commits."""
    _decide(review, "kept", staff)
    audit.record("capacity_kept", actor="staff", booking=review.booking, staff_user_id=staff.id)
    db.session.commit()
    return review


def move(review: CapacityReview, slot_id, staff: StaffUser) -> CapacityReview:
    """Move a booking above the limit to another slot, texting the citizen. Commits.

    Uses the same rescheduling rule as a citizen's own move (capacity-safe, with its text).
    """
    old_slot_id = review.slot_id
    bookings.reschedule(review.booking, slot_id)
    _decide(review, "moved", staff)
    audit.record("capacity_moved", actor="staff", booking=review.booking, staff_user_id=staff.id,
                 from_slot=old_slot_id, to_slot=review.booking.slot_id)
    db.session.commit()
    return review


def _decide(review: CapacityReview, decision: str, staff: StaffUser | None) -> None:
    if review.decision is not None:
        raise ReviewClosed()
    review.decision, review.decided_at = decision, utcnow()
    review.decided_by_id = staff.id if staff else None
    if decision in ("moved", "gone"):
        _tighten(review.slot, review.target_bookings, review.target_people)


def _tighten(slot: Slot, target_bookings: int, target_people: int) -> None:
    """Once a booking has left, bring the slot's limits down toward the target."""
    db.session.refresh(slot)
    slot.max_bookings = max(target_bookings, slot.booked_bookings)
    slot.max_people = max(target_people, slot.booked_people)


def review_for(office: Office, review_id) -> CapacityReview | None:
    try:
        review = db.session.get(CapacityReview, int(review_id))
    except (TypeError, ValueError, OverflowError):
        return None
    return review if review is not None and review.office_id == office.id else None


def move_targets(review: CapacityReview, count: int = 6) -> list[scheduling.Availability]:
    """Slots near the booking's own with room for its party."""
    booking = review.booking
    return scheduling.nearest_free(booking.service, booking.slot.starts_at, count=count,
                                   people=booking.party_size, exclude=booking.slot_id)


def office_services(office: Office) -> list[Service]:
    return list(db.session.scalars(select(Service).where(Service.office_id == office.id)
                                   .order_by(Service.id)))



# --- counters ----------------------------------------------------------------------------------

def set_counters(office: Office, text: str, staff: StaffUser) -> list[str]:
    """Set the office's counters, one name a line, kept as staff wrote them ("3号窗口", "B2").

    Empty lines are dropped; InvalidCounters for a name over 10 characters (the booking's
    counter column), a repeat or more than MAX_COUNTERS. Commits; returns the names.
    """
    names = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    if (len(names) > MAX_COUNTERS or len(set(names)) != len(names)
            or any(len(name) > 10 for name in names)):
        raise InvalidCounters()
    office.counters = "\n".join(names)
    audit.record("counters_set", actor="staff", office_id=office.id, staff_user_id=staff.id,
                 counters=names)
    db.session.commit()
    return names


# --- staff accounts (administrators) ------------------------------------------------------------

def deactivate_staff(user: StaffUser, by: StaffUser) -> StaffUser:
    """End a staff account: its sessions stop at the next request, its API tokens are revoked.
    Commits."""
    user.active = False
    audit.record("staff_deactivated", actor="staff", staff_user_id=by.id, office_id=user.office_id,
                 username=user.username)
    accounts.revoke_tokens(user)  # commits
    return user
