"""Races on every path around the booking itself: N identical or conflicting requests at once,
then the ledger read back from the database (TESTING.md, "Races").

On PostgreSQL the requests go to gunicorn with two worker processes (what READ COMMITTED really
does between processes); on SQLite to a threaded server in this process. A barrier releases
each batch together. Invariants checked after each race: every slot's counters equal its active
bookings, each code is used at most once, tries never above five, a phone's active bookings
within its limit, and each change texted once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select

from booking import accounts, bookings
from booking.errors import BookingError
from booking.extensions import db
from booking.models import (
    ACTIVE_STATUSES,
    Booking,
    CapacityReview,
    Office,
    PhoneVerification,
    Slot,
    SmsMessage,
    StaffUser,
    WaitingEntry,
)
from booking.offices import admin as office_admin
from booking.uow import NestedCommit, unit_of_work
from booking.verification import CODES_PER_PHONE_PER_HOUR, MAX_TRIES

from .conftest import serving
from .factories import make_office, make_service, make_slot, verified, visitor
from .gunicorn_server import gunicorn_server, post_json
from .test_staff_support import declaration, make_office2
from .waiting_helpers import full_day, join

PARALLEL = 8
UNLIMITED = "10000 per minute"


@pytest.fixture
def server(any_app, request, tmp_path):
    """Base URL of the app served to parallel clients: gunicorn -w 2 on PostgreSQL."""
    if any_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # The races are not about the attempt limits: gunicorn runs them with rate limits off.
        any_app.config.update(PHONE_ATTEMPT_LIMIT=UNLIMITED, PERSON_ATTEMPT_LIMIT=UNLIMITED)
        with serving(any_app) as base:
            yield base
    else:
        with gunicorn_server(any_app, request.getfixturevalue("postgres_url"), tmp_path) as (base, _):
            yield base


def at_once(calls: list) -> list[tuple[int | None, dict | None]]:
    """Run each call (url, body, headers) in its own thread, released together."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        url, body, headers = call
        barrier.wait(10)
        return post_json(url, body, headers)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def setup(app, *, max_bookings: int = 6, slots: int = 2, phone: str = "+8613800138000"):
    """An office, a service and `slots` slots; returns their ids."""
    with app.app_context():
        service = make_service(make_office(), slot_max_bookings=max_bookings,
                               slot_max_people=2 * max_bookings)
        ids = [make_slot(service, at=dt.time(9 + i)).id for i in range(slots)]
        db.session.commit()
        return ids


def book_via_api(app, base: str, slot_id: int, n: int, phone: str) -> dict:
    with app.app_context():
        verification_id, code = verified(phone)
    status, answer = post_json(base + "/api/v1/bookings", {
        "slot_id": slot_id, "phone": phone, "verification_id": verification_id, "code": code,
        "visitors": [visitor(2 * n), visitor(2 * n + 1)], "lang": "zh"})
    assert status == 201, answer
    return answer


def assert_ledger(app) -> None:
    """Each slot's counters equal its active bookings; each code used at most once; tries <= 5;
    each booking texted once for being booked."""
    with app.app_context():
        db.session.expire_all()
        for slot in db.session.scalars(select(Slot)):
            count, people = db.session.execute(
                select(func.count(Booking.id), func.coalesce(func.sum(Booking.party_size), 0))
                .where(Booking.slot_id == slot.id, Booking.status.in_(ACTIVE_STATUSES))).one()
            assert (slot.booked_bookings, slot.booked_people) == (count, people), "counters equal rows"
            assert count <= slot.max_bookings and people <= slot.max_people
        assert (db.session.scalar(select(func.max(PhoneVerification.attempts))) or 0) <= MAX_TRIES
        for booking in db.session.scalars(select(Booking).where(Booking.source != "walk_in")):
            kinds = db.session.scalars(select(SmsMessage.kind)
                                       .where(SmsMessage.booking_id == booking.id, SmsMessage.kind == "booked"))
            assert len(kinds.all()) == 1
        db.session.remove()


@pytest.mark.slow
def test_parallel_reschedules_of_one_booking_move_it_once(any_app, server):
    """Before the guard, each of two reschedules gave the old place back: a slot limited to 6
    held 9 active bookings after three such pairs."""
    first, second = setup(any_app)
    answer = book_via_api(any_app, server, first, 0, "+8613800138000")
    url = f"{server}/api/v1/bookings/{answer['reference']}/reschedule"
    headers = {"X-Booking-Token": answer["token"]}
    for target in (second, first, second):
        outcomes = at_once([(url, {"slot_id": target}, headers)] * PARALLEL)
        statuses = sorted(status for status, _ in outcomes)
        assert statuses.count(200) == 1, outcomes
        assert all(status in (200, 409, 422) for status in statuses), outcomes
        assert_ledger(any_app)
    with any_app.app_context():
        moved = db.session.scalars(select(SmsMessage).where(SmsMessage.kind == "rescheduled")).all()
        assert len(moved) == 3, "each move texted once"


@pytest.mark.slow
def test_one_code_sent_with_parallel_bookings_books_once(any_app, server):
    (slot_id, _) = setup(any_app, max_bookings=20)
    phone = "+8613800138001"
    with any_app.app_context():
        verification_id, code = verified(phone)
    calls = [(server + "/api/v1/bookings", {
        "slot_id": slot_id, "phone": phone, "verification_id": verification_id, "code": code,
        "visitors": [visitor(2 * n), visitor(2 * n + 1)], "lang": "zh"}, {}) for n in range(PARALLEL)]
    statuses = [status for status, _ in at_once(calls)]
    assert statuses.count(201) == 1, statuses
    assert_ledger(any_app)
    with any_app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 1


@pytest.mark.slow
def test_parallel_bookings_of_one_phone_stay_within_its_limit(any_app, server):
    (slot_id, _) = setup(any_app, max_bookings=20)
    phone, limit = "+8613800138002", any_app.config["MAX_ACTIVE_BOOKINGS_PER_PHONE"]
    with any_app.app_context():
        proofs = [verified(phone) for _ in range(CODES_PER_PHONE_PER_HOUR)]
    calls = [(server + "/api/v1/bookings", {
        "slot_id": slot_id, "phone": phone, "verification_id": verification_id, "code": code,
        "visitors": [visitor(2 * n), visitor(2 * n + 1)], "lang": "zh"}, {})
        for n, (verification_id, code) in enumerate(proofs)]
    outcomes = at_once(calls)
    assert [status for status, _ in outcomes].count(201) == limit, outcomes
    assert {answer["error"] for status, answer in outcomes if status != 201} == {"too_many_bookings"}
    assert_ledger(any_app)


@pytest.mark.slow
def test_parallel_wrong_guesses_spend_every_try_and_no_more(any_app, server):
    """Before the guard, 8 parallel wrong guesses left attempts = 2: the tries were a
    read-modify-write. Now each guess spends one, up to five, and the right code then fails."""
    (slot_id, _) = setup(any_app)
    phone = "+8613800138003"
    with any_app.app_context():
        verification_id, code = verified(phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    calls = [(server + "/api/v1/bookings", {
        "slot_id": slot_id, "phone": phone, "verification_id": verification_id, "code": wrong,
        "visitors": [visitor(0), visitor(1)], "lang": "zh"}, {})] * PARALLEL
    outcomes = at_once(calls)
    assert {answer["error"] for _, answer in outcomes} == {"verification_failed"}
    with any_app.app_context():
        assert db.session.get(PhoneVerification, verification_id).attempts == MAX_TRIES
    status, answer = post_json(server + "/api/v1/bookings", {**calls[0][1], "code": code})
    assert (status, answer["error"]) == (422, "verification_failed")
    assert_ledger(any_app)


@pytest.mark.slow
def test_parallel_cancels_give_the_place_back_once(any_app, server):
    (slot_id, _) = setup(any_app)
    answer = book_via_api(any_app, server, slot_id, 0, "+8613800138004")
    url = f"{server}/api/v1/bookings/{answer['reference']}/cancel"
    outcomes = at_once([(url, {}, {"X-Booking-Token": answer["token"]})] * PARALLEL)
    assert [status for status, _ in outcomes].count(200) == 1, outcomes
    assert_ledger(any_app)
    with any_app.app_context():
        assert len(db.session.scalars(select(SmsMessage).where(SmsMessage.kind == "cancelled")).all()) == 1


def test_a_commit_inside_a_use_case_raises(app):
    """Only the outermost unit of work commits; a nested commit is refused loudly."""
    with app.app_context():
        with pytest.raises(NestedCommit), unit_of_work():
            make_office()
            db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Office)) == 0


def test_nested_use_cases_commit_once_at_the_outermost(app):
    commits = []
    record = commits.append
    with app.app_context():
        session = db.session()
        with contextlib.ExitStack() as stack:
            event.listen(session, "after_commit", record)
            stack.callback(event.remove, session, "after_commit", record)
            with unit_of_work():
                with unit_of_work():
                    make_office("a")
                assert commits == []
                make_office("b")
            assert len(commits) == 1


def in_threads(app, work, n: int = PARALLEL) -> list[str]:
    """Run work() in n threads, each with its own app context (own session and connection),
    released together; returns each outcome: "ok" or the error's code."""
    barrier = threading.Barrier(n)

    def run(_):
        with app.app_context():
            barrier.wait(10)
            try:
                work()
                return "ok"
            except BookingError as error:
                return error.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.mark.slow
def test_two_supervisors_moving_one_listed_booking_move_and_text_once(any_app, server):
    """Before the guard, move() rescheduled and texted before it checked that the review was
    still open: a stale page or a second supervisor moved and texted again."""
    first, second = setup(any_app, max_bookings=4, slots=2)
    for n in range(3):
        book_via_api(any_app, server, first, n, f"+861380013810{n}")
    with any_app.app_context():
        supervisor = StaffUser(username="chief", password_hash="x", role="supervisor",
                               office_id=db.session.get(Slot, first).office_id)
        db.session.add(supervisor)
        db.session.commit()
        reviews = office_admin.set_slot_capacity(db.session.get(Slot, first), 2, 4, supervisor)
        review_id, supervisor_id = reviews[0].id, supervisor.id

    def move():
        office_admin.move(db.session.get(CapacityReview, review_id), second,
                          db.session.get(StaffUser, supervisor_id))

    outcomes = in_threads(any_app, move)
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) == {"ok", "review_closed"}, outcomes
    assert_ledger(any_app)
    with any_app.app_context():
        moved = db.session.scalars(select(SmsMessage).where(SmsMessage.kind == "rescheduled")).all()
        assert len(moved) == 1


@pytest.mark.slow
def test_a_closure_racing_bookings_leaves_no_active_booking_on_its_day(any_app, server):
    """Before the guard the closure committed first and then cancelled what it had listed: a
    booking that checked the day before the closure and took its place after the list stayed
    active on a closed day. Now the closure marks the day's slots closed in its own
    transaction, and reserve takes places only in open slots."""
    first, second = setup(any_app, max_bookings=20)
    with any_app.app_context():
        slot = db.session.get(Slot, first)
        office, service = slot.service.office, slot.service
        day = slot.starts_at.astimezone(office.tz).date().isoformat()
        supervisor = StaffUser(username="closer", password_hash="x", role="supervisor", office_id=office.id)
        db.session.add(supervisor)
        db.session.commit()
        token = accounts.issue_token(supervisor)
        proofs = [verified(f"+861380013{n:04d}") for n in range(PARALLEL)]
        office_code, service_code = office.code, service.code
    bookings_ = [(server + "/api/v1/bookings", {
        "slot_id": first if n % 2 else second, "phone": f"+861380013{n:04d}", "verification_id": proof[0],
        "code": proof[1], "visitors": [visitor(2 * n), visitor(2 * n + 1)], "lang": "zh"}, {})
        for n, proof in enumerate(proofs)]
    closing = (server + "/api/v1/staff/closures", {"office": office_code, "service": service_code,
                                                   "from": day, "to": day, "reason": "设备检修"},
               {"Authorization": f"Bearer {token}"})
    outcomes = at_once([*bookings_[:PARALLEL // 2], closing, *bookings_[PARALLEL // 2:]])
    assert outcomes[PARALLEL // 2][0] == 201, outcomes[PARALLEL // 2]
    assert all(status in (201, 409) for status, _ in outcomes), outcomes
    assert_ledger(any_app)
    with any_app.app_context():
        active = db.session.scalar(select(func.count(Booking.id)).where(
            Booking.slot_id.in_((first, second)), Booking.status.in_(ACTIVE_STATUSES)))
        assert active == 0, "no booking stays active on a closed day"


@pytest.mark.slow
def test_parallel_walk_ins_for_the_last_place_admit_one_and_leave_nothing_else(any_app, server):
    """A walk-in is one use case (book, declare, check in): of eight clerks racing for the
    running slot's last place one admits a party; the others get no_room and leave no
    booking, no text and no place taken."""
    with any_app.app_context():
        day = make_office2("race-hall")
        day.running.max_bookings = 1
        db.session.commit()
        token = accounts.issue_token(day.clerk)
        code, service = day.office.code, day.service.code
    body = {"office": code, "service": service, "phone": "13912345678", "temperatures_c": [36.5, 36.6]}
    calls = [(server + "/api/v1/staff/walk-ins",
              {**body, "visitors": [visitor(40 + 2 * n), visitor(41 + 2 * n)],
               "declarations": [declaration(0), declaration(1)]},
              {"Authorization": f"Bearer {token}"}) for n in range(PARALLEL)]
    outcomes = at_once(calls)
    assert sorted(status for status, _ in outcomes) == [201] + [409] * (PARALLEL - 1), outcomes
    assert {answer["error"] for status, answer in outcomes if status == 409} == {"no_room"}
    assert_ledger(any_app)
    with any_app.app_context():
        walk_ins = db.session.scalars(select(Booking).where(Booking.source == "walk_in")).all()
        assert [b.status for b in walk_ins] == ["checked_in"]
        texts = db.session.scalars(select(SmsMessage.kind).where(SmsMessage.kind == "walk_in")).all()
        assert texts == ["walk_in"]


def cut_slot(app, slot_id: int, max_bookings: int) -> None:
    """A supervisor cuts the slot to `max_bookings` (the bookings above it listed for review)."""
    with app.app_context():
        slot = db.session.get(Slot, slot_id)
        supervisor = StaffUser(username=f"cutter{slot_id}", password_hash="x", role="supervisor",
                               office_id=slot.office_id)
        db.session.add(supervisor)
        db.session.commit()
        office_admin.set_slot_capacity(slot, max_bookings, 2 * max_bookings, supervisor)
        db.session.remove()


def cancel_via_api(base: str, answer: dict) -> None:
    status, _ = post_json(f"{base}/api/v1/bookings/{answer['reference']}/cancel", {},
                          {"X-Booking-Token": answer["token"]})
    assert status == 200


def active_in(app, slot_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(Booking.id)).where(
            Booking.slot_id == slot_id, Booking.status.in_(ACTIVE_STATUSES)))
        db.session.remove()
        return count


@pytest.mark.slow
def test_parallel_reschedules_and_bookings_take_no_place_above_a_capacity_cut(any_app, server):
    """Issue 27: a slot with 4 booked cut to 2 kept its 4 and took places again as soon as one listed
    booking left (5 active against 2 in the field report). Now the cut is a limit the
    place-taking statement enforces: with 3 left nothing is taken; with 1 left, exactly one of
    the parallel moves and bookings gets the one place under the cut."""
    cut, other = setup(any_app, max_bookings=PARALLEL, slots=2)
    inside = [book_via_api(any_app, server, cut, n, f"+861380013{900 + n:04d}") for n in range(4)]
    movers = [book_via_api(any_app, server, other, 10 + n, f"+861380013{910 + n:04d}") for n in range(PARALLEL)]
    cut_slot(any_app, cut, 2)
    cancel_via_api(server, inside[3])  # one listed booking leaves: 3 against the cut of 2

    def race() -> list:
        moves = [(f"{server}/api/v1/bookings/{m['reference']}/reschedule", {"slot_id": cut},
                  {"X-Booking-Token": m["token"]}) for m in movers]
        with any_app.app_context():
            proofs = [verified(f"+861380013{920 + n:04d}") for n in range(2)]
        public = [(server + "/api/v1/bookings", {
            "slot_id": cut, "phone": f"+861380013{920 + n:04d}", "verification_id": proof[0], "code": proof[1],
            "visitors": [visitor(60 + 2 * n), visitor(61 + 2 * n)], "lang": "zh"}, {})
            for n, proof in enumerate(proofs)]
        return at_once([*moves, *public])

    outcomes = race()
    assert {status for status, _ in outcomes} == {409}, outcomes
    assert active_in(any_app, cut) == 3
    assert_ledger(any_app)
    cancel_via_api(server, inside[2])
    cancel_via_api(server, inside[1])  # 1 left: one place under the cut
    outcomes = race()
    assert sorted(status for status, _ in outcomes).count(409) == len(outcomes) - 1, outcomes
    assert active_in(any_app, cut) == 2
    assert_ledger(any_app)


@pytest.mark.slow
def test_parallel_claims_of_places_held_above_a_capacity_cut_book_none(any_app, server):
    """Two places freed to the waiting list are offered; then the slot is cut below what it
    counts. Parallel claims of both offers (and public bookings) take nothing: the places
    above the cut go back to the office, not to the list."""
    with any_app.app_context():
        service, slot, day, made = full_day(places=4)
        joined = [join(service, day, n) for n in (1, 2)]
        for done in made[:2]:
            bookings.cancel(done.booking)
        entries_ = [{"reference": j.entry.reference, "token": j.token} for j in joined]
        slot_id = slot.id
        db.session.remove()
    cut_slot(any_app, slot_id, 1)
    claims = [(f"{server}/api/v1/waiting-list/{e['reference']}/claim?token={e['token']}", {}, {})
              for e in entries_ for _ in range(PARALLEL // 2)]
    outcomes = at_once(claims)
    assert {status for status, _ in outcomes} == {409}, outcomes
    assert active_in(any_app, slot_id) == 2
    with any_app.app_context():
        db.session.expire_all()
        stored = db.session.get(Slot, slot_id)
        assert (stored.booked_bookings, stored.cut_bookings) == (4, 1)  # two bookings, two offered holds
        db.session.remove()


@pytest.mark.slow
def test_parallel_joins_put_one_person_on_a_days_waiting_list_once(any_app, server):
    """Issue 27: parallel joins of one party from several phones put it on a day's list as
    often, where the service limits a person per day (a farewell): each join counted the
    party's entries before any was written, and only marriages locked their people. Now a join
    locks its people for the service's day (bookings.lock_booker, PostgreSQL advisory locks;
    SQLite runs one writer at a time): one join, the others already_waiting."""
    with any_app.app_context():
        service = make_service(make_office(), code="farewell", kind="farewell", slot_max_bookings=1,
                               slot_max_people=5)
        slot = make_slot(service)
        db.session.commit()
        day = slot.starts_at.astimezone(service.office.tz).date()
        bookings.book(slot_id=slot.id, phone="+8613800150000", visitors=[visitor(90)],
                      verification=verified("+8613800150000"))
        proofs = [verified(f"+861380014{n:04d}") for n in range(PARALLEL)]
        where = {"office": service.office.code, "service": service.code, "date": day.isoformat()}
        db.session.remove()
    joins = [(server + "/api/v1/waiting-list", {
        **where, "phone": f"+861380014{n:04d}", "verification_id": proof[0], "code": proof[1],
        "visitors": [visitor(80), visitor(81)], "lang": "zh"}, {}) for n, proof in enumerate(proofs)]
    outcomes = at_once(joins)
    assert sorted(status for status, _ in outcomes) == [201] + [409] * (PARALLEL - 1), outcomes
    assert {answer["error"] for status, answer in outcomes if status == 409} == {"already_waiting"}
    with any_app.app_context():
        live = db.session.scalar(select(func.count(WaitingEntry.id)).where(WaitingEntry.status == "waiting"))
        assert live == 1
        db.session.remove()
