"""Office management for supervisors: slot capacity, epidemic level, counters, staff accounts.

Closures live in closures.py. Nothing here silently removes a booked citizen: a reduced
capacity keeps room for what is booked and lists the bookings beyond the new limit for a
supervisor to keep or move. The new limit holds at once all the same: the slot keeps it as its
cut (Slot.cut_bookings, cut_people), which the place-taking statement enforces, so a place
freed above it is taken by nobody (not a public booking, a move or a waiting-list claim) until
what is booked is under the cut.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from .. import accounts, audit, bookings, scheduling
from ..errors import BookingError
from ..extensions import db
from ..models import Booking, CapacityReview, Office, PopularDayPlan, Service, Slot, StaffUser, utcnow
from ..uow import use_case

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


@use_case
def set_level(office: Office, level: str, staff: StaffUser,
              now: dt.datetime | None = None) -> list[CapacityReview]:
    """Set the epidemic level and scale every future slot's capacity to it. A use case.

    A slot with more booked than the new limit keeps room for them (its limit is the booked
    count); the bookings beyond the limit are returned, listed for review.
    """
    if level not in scheduling.LEVELS:
        raise InvalidLevel()
    settle_reviews(office)
    previous, office.epidemic_level = office.epidemic_level, level
    reviews = []
    for slot, plan in _with_plans(future_slots(office, now)):
        reviews += _limit_slot(slot, *scheduling.slot_capacity(slot.service, plan, level), level=level)
    audit.record("epidemic_level", actor="staff", office_id=office.id, staff_user_id=staff.id,
                 level=level, previous=previous, listed=len(reviews))
    return reviews


def apply_capacity(service: Service, now: dt.datetime | None = None) -> list[CapacityReview]:
    """The service's capacity (at the office's level) on its future slots, as a level change
    applies it: bookings beyond a lower limit are listed for review. The caller's use case commits."""
    reviews = []
    for slot, plan in _with_plans(future_slots(service.office, now)):
        if slot.service_id == service.id and slot.status != "removed":
            reviews += _limit_slot(slot, *scheduling.slot_capacity(service, plan), level="manual")
    return reviews


def limit_day(service: Service, day: dt.date, plan: PopularDayPlan | None) -> list[CapacityReview]:
    """The service's live slots on its local `day` at the capacity and telephone reserve of the
    popular-day plan `plan` (None: the service's own, at the office's level), as a level change
    applies capacity: bookings above a lower cap are listed for review. The caller's use case commits."""
    settle_reviews(service.office)
    start = scheduling.local_datetime(service.office, day, dt.time(0))
    slots = db.session.scalars(select(Slot).where(
        Slot.service_id == service.id, Slot.status != "removed", Slot.starts_at >= start,
        Slot.starts_at < start + dt.timedelta(days=1)).order_by(Slot.starts_at)).all()
    target = scheduling.slot_capacity(service, plan)
    reviews = []
    for slot in slots:
        reviews += _limit_slot(slot, *target, level="popular_day")
        slot.assisted_reserve = plan.assisted_reserve if plan else None
    return reviews


def _with_plans(slots: list[Slot]) -> list[tuple[Slot, PopularDayPlan | None]]:
    """Each slot with the popular-day plan in force for its service on its day (or None): a
    plan's cap is part of the capacity a level or service change scales."""
    if not slots:
        return []
    first = scheduling.local_day(slots[0].office, slots[0].starts_at)
    plans = {service_id: scheduling.popular_days(slot.service, first)
             for service_id, slot in {s.service_id: s for s in slots}.items()}
    return [(slot, plans[slot.service_id].get(scheduling.local_day(slot.office, slot.starts_at))) for slot in slots]


@use_case
def set_slot_capacity(slot: Slot, max_bookings: int, max_people: int,
                      staff: StaffUser) -> list[CapacityReview]:
    """Set one slot's limits; bookings beyond them are listed for review, not removed. A use case."""
    if not (isinstance(max_bookings, int) and isinstance(max_people, int)
            and 1 <= max_bookings <= 1000 and 1 <= max_people <= 5000):
        raise InvalidCapacity()
    settle_reviews(slot.service.office)
    reviews = _limit_slot(slot, max_bookings, max_people, level="manual")
    audit.record("slot_capacity", actor="staff", office_id=slot.office_id, staff_user_id=staff.id,
                 slot=slot.id, max_bookings=max_bookings, max_people=max_people,
                 listed=len(reviews))
    return reviews


def _limit_slot(slot: Slot, target_bookings: int, target_people: int,
                level: str) -> list[CapacityReview]:
    """Apply limits to a slot without going below what is booked; list the excess bookings."""
    _tighten(slot, target_bookings, target_people)
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
    """Bookings above a reduced limit still waiting for a supervisor's decision, by slot time:
    those still active in the slot they were listed for. Reads only; bookings that left are
    settled (settle_reviews) by the next decision."""
    return list(db.session.scalars(
        select(CapacityReview).join(Slot, CapacityReview.slot_id == Slot.id)
        .join(Booking, CapacityReview.booking_id == Booking.id)
        .where(CapacityReview.office_id == office.id, CapacityReview.decision.is_(None),
               Booking.status.in_(bookings.CANCELLABLE), Booking.slot_id == CapacityReview.slot_id)
        .order_by(Slot.starts_at, CapacityReview.id)))


def settle_reviews(office: Office) -> None:
    """Close as 'gone' the open reviews whose booking left its slot (cancelled or moved), and
    tighten those slots toward their targets."""
    gone = db.session.scalars(
        select(CapacityReview).join(Booking, CapacityReview.booking_id == Booking.id)
        .where(CapacityReview.office_id == office.id, CapacityReview.decision.is_(None),
               (Booking.status.not_in(bookings.CANCELLABLE)) | (Booking.slot_id != CapacityReview.slot_id)))
    for review in gone:
        _decide(review, "gone", None)


@use_case
def keep(review: CapacityReview, staff: StaffUser) -> CapacityReview:
    """Keep a booking above the limit where it is. A use case; ReviewClosed if decided already."""
    _decide(review, "kept", staff)
    audit.record("capacity_kept", actor="staff", booking=review.booking, staff_user_id=staff.id)
    settle_reviews(review.booking.office)
    return review


@use_case
def move(review: CapacityReview, slot_id, staff: StaffUser) -> CapacityReview:
    """Move a booking above the limit to another slot, texting the citizen. A use case.

    The review is closed first (ReviewClosed if another supervisor or a stale page decided it
    already), then the booking moves by the same rule as a citizen's own move (capacity-safe,
    with its text), all in one transaction: nothing is moved or texted for a closed review.
    """
    old_slot_id = review.slot_id
    _decide(review, "moved", staff, tighten=False)
    bookings.reschedule(review.booking, slot_id, channel="office_move")
    _tighten(review.slot, review.target_bookings, review.target_people)
    audit.record("capacity_moved", actor="staff", booking=review.booking, staff_user_id=staff.id,
                 from_slot=old_slot_id, to_slot=review.booking.slot_id)
    settle_reviews(review.booking.office)
    return review


def _decide(review: CapacityReview, decision: str, staff: StaffUser | None, *, tighten: bool = True) -> None:
    """Record the decision in one conditional UPDATE: of two supervisors, one decides."""
    decided = db.session.execute(
        update(CapacityReview).where(CapacityReview.id == review.id, CapacityReview.decision.is_(None))
        .values(decision=decision, decided_at=utcnow(), decided_by_id=staff.id if staff else None)
        .execution_options(synchronize_session=False))
    if decided.rowcount != 1:
        raise ReviewClosed()
    db.session.refresh(review)
    if tighten and decision in ("moved", "gone"):
        _tighten(review.slot, review.target_bookings, review.target_people)


def _tighten(slot: Slot, target_bookings: int, target_people: int) -> None:
    """Bring the slot's limits down toward the target as far as what is booked allows; the
    rest of the way is its cut, enforced by the place-taking statement until the bookings
    above it are gone (None: no cut, the maximum is the limit)."""
    db.session.refresh(slot)
    slot.max_bookings = max(target_bookings, slot.booked_bookings)
    slot.max_people = max(target_people, slot.booked_people)
    slot.cut_bookings = target_bookings if target_bookings < slot.max_bookings else None
    slot.cut_people = target_people if target_people < slot.max_people else None


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

@use_case
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
    return names


# --- staff accounts (administrators) ------------------------------------------------------------

@use_case
def deactivate_staff(user: StaffUser, by: StaffUser) -> StaffUser:
    """End a staff account: every session of it ends at once, its API and feed tokens are
    revoked. A use case."""
    user.active = False
    accounts.end_sessions(user)
    audit.record("staff_deactivated", actor="staff", staff_user_id=by.id, office_id=user.office_id,
                 username=user.username)
    accounts.revoke_tokens(user)
    return user
