"""Reminders the day before, release warnings and the release of unconfirmed places, at fixed times."""

from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace

from sqlalchemy import func, select

from booking import bookings
from booking.extensions import db
from booking.models import AuditEvent, Booking, PhoneOptOut, Slot, SmsMessage, SmsNotice
from booking.sms import reminders
from booking.sms.compose import preview
from tests.factories import PHONE, SHANGHAI, make_office, make_service, make_slot, verified, visitor


def setup(requires_confirmation=False, lang="zh", **service_fields) -> Booking:
    service = make_service(make_office(), requires_confirmation=requires_confirmation,
                           **service_fields)
    slot = make_slot(service, days_ahead=2, at=dt.time(10, 0))
    db.session.commit()
    return bookings.book(slot_id=slot.id, phone=PHONE, visitors=[visitor(1), visitor(2)],
                         lang=lang, verification=verified()).booking


def local(booking: Booking, days_before: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment `days_before` the booking's local date, at hour:minute Shanghai time."""
    day = booking.slot.starts_at.astimezone(SHANGHAI).date() - dt.timedelta(days=days_before)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def texts_of(kind: str) -> list[SimpleNamespace]:
    """The texts of a kind in the outbox, each with the body it goes out with."""
    return [SimpleNamespace(row=m, body=preview(m))
            for m in db.session.scalars(select(SmsMessage).where(SmsMessage.kind == kind))]


def fresh(booking: Booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def test_every_active_booking_gets_one_reminder_with_its_health_link(app):
    with app.app_context():
        booking = setup()
        done = reminders.run_due(local(booking, 1, 18, 5))
        assert (done.reminders, done.warnings, done.released) == (1, 0, 0)
        [text] = texts_of("reminder")
        token = bookings.manage_token(booking)
        link = f"https://booking.example.gov.cn/bookings/{booking.reference}/health?token={token}"
        assert link in text.body and booking.reference in text.body
        assert text.body.startswith("【民政预约】明天") and "10:00" in text.body
        assert reminders.run_due(local(booking, 1, 18, 6)).reminders == 0  # exactly once
        assert reminders.run_due(local(booking, 1, 23, 0)).reminders == 0
        assert len(texts_of("reminder")) == 1


def test_no_reminder_before_the_reminder_hour_or_on_other_days(app):
    with app.app_context():
        booking = setup()
        for moment in (local(booking, 1, 17, 59), local(booking, 2, 18, 30),
                       local(booking, 0, 7, 0)):
            assert reminders.run_due(moment).reminders == 0
        assert texts_of("reminder") == []


def test_the_reminder_hour_is_configurable(app):
    app.config["SMS_REMINDER_HOUR"] = 9
    with app.app_context():
        booking = setup(lang="en")
        assert reminders.run_due(local(booking, 1, 8, 59)).reminders == 0
        assert reminders.run_due(local(booking, 1, 9, 0)).reminders == 1
        assert texts_of("reminder")[0].body.startswith("Reminder: tomorrow")


def test_no_reminder_to_a_cancelled_booking_or_a_number_that_stopped(app):
    with app.app_context():
        booking = setup()
        db.session.add(PhoneOptOut(phone=PHONE, keyword="STOP"))
        db.session.commit()
        assert reminders.run_due(local(booking, 1, 18)).reminders == 0
        db.session.delete(db.session.get(PhoneOptOut, PHONE))
        bookings.cancel(fresh(booking))
        assert reminders.run_due(local(booking, 1, 18)).reminders == 0
        assert texts_of("reminder") == []


def test_an_unconfirmed_booking_is_warned_then_released_at_the_deadline(app):
    with app.app_context():
        booking = setup(requires_confirmation=True)
        done = reminders.run_due(local(booking, 1, 18))
        assert (done.reminders, done.warnings) == (1, 1)
        [warning] = texts_of("release_warning")
        deadline = local(booking, 1, 21)
        assert f"{deadline.month}月{deadline.day}日 21:00将释放" in warning.body
        assert "回复1确认" in warning.body and f"/m/{booking.reference}/" in warning.body
        assert db.session.get(SmsNotice, (booking.id, "release_warning")).deadline == deadline

        assert reminders.run_due(local(booking, 1, 20, 59)).released == 0
        assert fresh(booking).status == "booked"
        assert reminders.run_due(local(booking, 1, 21)).released == 1
        released = fresh(booking)
        assert (released.status, released.cancelled_by) == ("cancelled", "auto_release")
        slot = db.session.get(Slot, booking.slot_id)
        assert (slot.booked_bookings, slot.booked_people) == (0, 0)
        [text] = texts_of("released")
        assert booking.reference in text.body and "名额已释放" in text.body
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "released"))
        assert event.actor == "system" and event.booking_id == booking.id
        assert reminders.run_due(local(booking, 1, 22)).released == 0  # once


def test_a_booking_confirmed_before_the_deadline_stays(app):
    with app.app_context():
        booking = setup(requires_confirmation=True)
        reminders.run_due(local(booking, 1, 18))
        bookings.confirm(fresh(booking))
        assert reminders.run_due(local(booking, 1, 21, 30)).released == 0
        assert fresh(booking).status == "confirmed"


def test_a_confirmed_booking_gets_no_warning(app):
    with app.app_context():
        booking = setup(requires_confirmation=True)
        bookings.confirm(booking)
        done = reminders.run_due(local(booking, 1, 18))
        assert (done.reminders, done.warnings) == (1, 0)


def test_a_late_warning_still_gives_two_hours(app):
    with app.app_context():
        booking = setup(requires_confirmation=True)
        reminders.run_due(local(booking, 1, 20, 0))  # the worker was down until 20:00
        notice = db.session.get(SmsNotice, (booking.id, "release_warning"))
        assert notice.deadline == local(booking, 1, 22, 0)
        assert reminders.run_due(local(booking, 1, 21, 30)).released == 0
        assert reminders.run_due(local(booking, 1, 22, 0)).released == 1


def test_no_release_when_nobody_else_could_book_the_place_any_more(app):
    with app.app_context():
        # Booking for the 10:00 slot closes 14 h before, at 20:00 the day before: a
        # release at 21:00 would help no one, so the booking stands without a warning.
        booking = setup(requires_confirmation=True, booking_closes_hours=14)
        done = reminders.run_due(local(booking, 1, 18))
        assert (done.reminders, done.warnings) == (1, 0)
        assert reminders.run_due(local(booking, 1, 23)).released == 0
        assert fresh(booking).status == "booked"


def test_services_without_confirmation_are_never_released(app):
    with app.app_context():
        booking = setup(requires_confirmation=False)
        reminders.run_due(local(booking, 1, 18))
        assert reminders.run_due(local(booking, 1, 23)).released == 0
        assert texts_of("release_warning") == []


def test_two_reminder_runs_at_once_send_each_text_once(any_app):
    with any_app.app_context():
        booking = setup(requires_confirmation=True)
        moment = local(booking, 1, 18)
    barrier, errors = threading.Barrier(4), []

    def run():
        with any_app.app_context():
            barrier.wait()
            try:
                reminders.run_due(moment)
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with any_app.app_context():
        assert errors == []
        counts = dict(db.session.execute(
            select(SmsMessage.kind, func.count()).group_by(SmsMessage.kind)).all())
        assert counts["reminder"] == 1 and counts["release_warning"] == 1


def test_reminders_command_sends_what_is_due_now(app, runner):
    app.config["SMS_REMINDER_HOUR"] = 0  # any time of today is past the hour
    with app.app_context():
        service = make_service(make_office())
        slot = make_slot(service, days_ahead=1, at=dt.time(10, 0))
        db.session.commit()
        bookings.book(slot_id=slot.id, phone=PHONE, visitors=[visitor(1), visitor(2)],
                      verification=verified())
    result = runner.invoke(args=["sms", "reminders"])
    assert result.exit_code == 0, result.output
    assert "1 reminders, 0 release warnings, 0 released." in result.output
    assert "0 reminders" in runner.invoke(args=["sms", "reminders"]).output


def test_a_reminder_run_costs_the_same_statements_for_3_or_12_bookings(any_app):
    """The worker runs reminders every minute: with nothing due, or everything already sent,
    a run must not read each booking (and its slot, office and notices) again and again."""
    from tests.test_query_counts import book_some, counting

    with any_app.app_context():
        service = make_service(make_office())
        slots = [make_slot(service, days_ahead=2, at=dt.time(9 + k, 0)) for k in range(3)]
        db.session.commit()
        day = slots[0].starts_at.astimezone(SHANGHAI).date() - dt.timedelta(days=1)
    before, after = (dt.datetime.combine(day, dt.time(h, m), tzinfo=SHANGHAI) for h, m in ((17, 0), (18, 30)))

    def statements_per_run(new_bookings: int) -> tuple[int, int]:
        with any_app.app_context():
            with counting(any_app) as idle:
                assert reminders.run_due(before).reminders == 0
            assert reminders.run_due(after).reminders == new_bookings
            with counting(any_app) as all_sent:
                assert reminders.run_due(after + dt.timedelta(minutes=1)).reminders == 0
        return len(idle), len(all_sent)

    with any_app.app_context():
        book_some([db.session.merge(slot) for slot in slots], 0, 3)
    few = statements_per_run(3)
    with any_app.app_context():
        book_some([db.session.merge(slot) for slot in slots], 100, 9)
    many = statements_per_run(9)
    assert few == many, (few, many)
