"""Restore drills: back up while the service is taking bookings, restore into a new database,
and the service on the restored copy shows the same bookings, counters and texts.

SQLite uses the online backup API (what `sqlite3 booking.db ".backup copy.db"` does): a
consistent snapshot taken without stopping writers. PostgreSQL uses pg_dump -Fc / pg_restore,
as docs/operations.md describes.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from booking import bookings
from booking.extensions import db
from booking.models import Booking, Slot, SmsMessage

from .conftest import _fresh_schema, make_app, temporary_database
from .factories import make_office, make_service, make_slot, verified, visitor


def make_bookings(n: int, first: int = 0) -> list[tuple[str, str]]:
    """n bookings of two people on the test slots (every third one cancelled)."""
    slots = db.session.scalars(select(Slot).order_by(Slot.id)).all()
    made = []
    for i in range(first, first + n):
        phone = f"+86137{i:08d}"
        done = bookings.book(slot_id=slots[i % len(slots)].id, phone=phone,
                             visitors=[visitor(2 * i), visitor(2 * i + 1)], verification=verified(phone))
        if i % 3 == 2:
            bookings.cancel(done.booking)
        made.append((done.booking.reference, done.token))
    return made


def seed() -> None:
    service = make_service(make_office())
    for days in (2, 3, 4):
        make_slot(service, days_ahead=days)
    db.session.commit()


def state() -> dict:
    """What a restore must bring back: every booking, every slot's counters, every text."""
    db.session.expire_all()
    result = {
        "bookings": db.session.execute(select(Booking.reference, Booking.status, Booking.slot_id,
                                              Booking.party_size).order_by(Booking.id)).all(),
        "slots": db.session.execute(select(Slot.id, Slot.booked_bookings, Slot.booked_people)
                                    .order_by(Slot.id)).all(),
        "texts": db.session.execute(select(SmsMessage.id, SmsMessage.kind, SmsMessage.booking_id)
                                    .order_by(SmsMessage.id)).all(),
    }
    db.session.rollback()
    return result


def assert_counters_equal_rows() -> None:
    for slot in db.session.scalars(select(Slot)):
        booked, people = db.session.execute(
            select(func.count(Booking.id), func.coalesce(func.sum(Booking.party_size), 0))
            .where(Booking.slot_id == slot.id, Booking.status.in_(("booked", "confirmed")))).one()
        assert (slot.booked_bookings, slot.booked_people) == (booked, people), f"slot {slot.id}"
    for booking in db.session.scalars(select(Booking)):
        kinds = set(db.session.scalars(select(SmsMessage.kind).where(SmsMessage.booking_id == booking.id)))
        assert "booked" in kinds, f"booking {booking.reference} has its text"


def assert_service_shows(app, made: list[tuple[str, str]], expected: dict) -> None:
    with app.app_context():
        assert state() == expected
        assert_counters_equal_rows()
    client = app.test_client()
    for reference, token in made:
        answer = client.get(f"/api/v1/bookings/{reference}", headers={"X-Booking-Token": token})
        assert answer.status_code == 200, (reference, answer.get_json())
        assert answer.get_json()["reference"] == reference


def test_sqlite_online_backup_while_booking_restores_the_same_service(tmp_path):
    live_path, backup_path, restored_path = (tmp_path / name for name in ("live.db", "backup.db", "restored.db"))
    live = make_app(f"sqlite:///{live_path}")
    _fresh_schema(live)
    with live.app_context():
        seed()
        made = make_bookings(9)

    # Bookings keep coming while the backup is taken.
    writer_started, writer_done = threading.Event(), threading.Event()

    def keep_booking():
        with live.app_context():
            make_bookings(1, first=100)
            writer_started.set()
            make_bookings(8, first=101)
            db.session.remove()
        writer_done.set()

    writer = threading.Thread(target=keep_booking)
    writer.start()
    assert writer_started.wait(30)
    source = sqlite3.connect(live_path)
    target = sqlite3.connect(backup_path)
    with target:
        source.backup(target)
    source.close()
    target.close()
    writer.join(60)
    assert writer_done.is_set()

    # Restore: copy the backup to a new file and run the service on it.
    shutil.copyfile(backup_path, restored_path)
    check = sqlite3.connect(restored_path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    restored = make_app(f"sqlite:///{restored_path}")  # the same SECRET_KEY: tokens and hashes
    with restored.app_context():
        snapshot = state()
        assert_counters_equal_rows()  # a consistent snapshot, even mid-flood
        restored_refs = {row.reference for row in snapshot["bookings"]}
    assert {ref for ref, _ in made} <= restored_refs, "every booking made before the backup is there"
    assert len(restored_refs) >= len(made) + 1

    with live.app_context():
        live_now = state()
    # A prefix of history: the same bookings in the same order, each as it was or as it was
    # before a cancel that came after the backup (the writer books, then cancels every third).
    history = live_now["bookings"][:len(snapshot["bookings"])]
    assert [(b.reference, b.slot_id, b.party_size) for b in snapshot["bookings"]] == [
        (b.reference, b.slot_id, b.party_size) for b in history], "a prefix of history"
    assert all(then.status in (now.status, "booked") for then, now in zip(snapshot["bookings"], history, strict=True))
    assert_service_shows(restored, made, snapshot)
    with restored.app_context():
        db.engine.dispose()
    with live.app_context():
        db.engine.dispose()


@pytest.mark.postgres
def test_postgres_dump_and_restore_into_a_new_database(pg_app, postgres_url):
    with pg_app.app_context():
        seed()
        made = make_bookings(6)
        expected = state()
        db.session.remove()
    url = make_url(postgres_url)
    connection = ["-h", url.host, "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    dump = subprocess.run(["pg_dump", "-Fc", *connection, url.database], capture_output=True, timeout=60)
    assert dump.returncode == 0, dump.stderr.decode()
    with temporary_database("booking_restore") as restored_url:
        restore = subprocess.run(["pg_restore", "--no-owner", *connection, "-d", make_url(restored_url).database],
                                 input=dump.stdout, capture_output=True, timeout=60)
        assert restore.returncode == 0, restore.stderr.decode()
        restored = make_app(restored_url)
        assert_service_shows(restored, made, expected)
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()
