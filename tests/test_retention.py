"""`retention purge`: health answers of old visits gone, the counts reports need kept, recent
answers untouched."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking import health, retention
from booking.extensions import db
from booking.hall import door, queue, reports
from booking.models import (
    Booking,
    DoorRefusal,
    HealthDeclaration,
    IdentityClaim,
    InboundMessage,
    PhoneVerification,
    SmsMessage,
    utcnow,
)

from .health_factories import answers, book, funeral_slot, marriage_slot
from .test_reports import M
from .test_reports import scripted as _scripted


@pytest.fixture
def report_day(ctx):
    """The scripted report day of tests/test_reports.py."""
    return _scripted.__wrapped__(ctx)

H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _declared(slot, **changes):
    booking, _ = book(slot)
    raw = [answers(i, **(changes if i == 0 else {})) for i in range(booking.party_size)]
    health.declare(booking, raw, now=slot.starts_at - H)
    return booking


def test_purge_removes_old_answers_and_keeps_verdicts_reasons_and_counts(ctx):
    slot = marriage_slot()
    booking = _declared(slot, temperature_c=37.9, health_code="yellow")
    door_now = slot.starts_at
    try:
        door.check_in(booking, [36.5, 36.5], None, now=door_now)
    except door.DoorRefused:
        pass  # not cleared: a refusal with no figures; add one with figures too
    cleared, _ = book(slot, n=1)
    health.declare(cleared, [answers(0), answers(1)], now=slot.starts_at - H)
    try:
        door.check_in(cleared, [38.1, 36.5], None, now=door_now)
    except door.DoorRefused:
        pass

    done = retention.purge(now=slot.starts_at + 29 * DAY)
    assert (done.declarations, done.refusals) == (4, 2)
    db.session.expire_all()
    rows = db.session.query(HealthDeclaration).order_by(HealthDeclaration.id).all()
    for row in rows:
        assert row.purged_at is not None
        assert (row.temperature_c, row.health_code, row.symptoms, row.risk_area_travel,
                row.case_contact, row.nat_negative_at) == (None,) * 6
        assert all(r["values"] == {} for r in row.reasons)
    # what the reports count is still there
    assert [row.passed for row in rows] == [False, True, True, True]
    assert rows[0].reason_codes == ["health_code_not_accepted", "temperature_at_or_above_limit"]
    assert rows[0].rules_version == 1
    refusals = db.session.query(DoorRefusal).order_by(DoorRefusal.id).all()
    assert [r.reason for r in refusals] == ["not_cleared", "fever"]
    assert all(r.detail is None for r in refusals)
    # and still readable, without the personal figures
    status = health.visitor_statuses(booking)[0]
    assert status.state == "failed"
    assert "Temperature at or above the limit" in [r["text"] for r in status.reasons("en", slot.office.tz)]
    assert "体温达到或超过限值" in [r["text"] for r in status.reasons("zh", slot.office.tz)]


def test_purge_leaves_recent_answers_untouched(ctx):
    old = funeral_slot()
    recent = marriage_slot()
    _declared(old, nat_negative_at=(old.starts_at - 5 * H).isoformat())
    _declared(recent, temperature_c=36.9)
    # 28 days after the funeral visit, 27 days and some after the marriage one (a day later)
    recent.starts_at = old.starts_at + DAY
    recent.ends_at = recent.starts_at + dt.timedelta(minutes=30)
    db.session.query(HealthDeclaration).filter_by(office_id=recent.office_id).update(
        {"visit_at": recent.starts_at})
    db.session.commit()

    done = retention.purge(now=old.starts_at + 28 * DAY + dt.timedelta(seconds=1))
    assert done.declarations == 1  # the funeral visit had one visitor
    kept = db.session.query(HealthDeclaration).filter_by(office_id=recent.office_id).all()
    assert [r.temperature_c for r in kept] == [36.9, 36.5] and all(r.purged_at is None for r in kept)
    gone = db.session.query(HealthDeclaration).filter_by(office_id=old.office_id).all()
    assert all(r.nat_negative_at is None and r.temperature_c is None for r in gone)
    assert retention.purge(now=old.starts_at + 28 * DAY + dt.timedelta(seconds=1)).declarations == 0


def test_the_retention_period_is_configurable(app, ctx):
    slot = marriage_slot()
    _declared(slot)
    app.config["HEALTH_RETENTION_DAYS"] = 7
    assert retention.purge(now=slot.starts_at + 6 * DAY).declarations == 0
    assert retention.purge(now=slot.starts_at + 7 * DAY + H).declarations == 2


def test_the_purge_command(app, runner):
    with app.app_context():
        slot = marriage_slot()
        booking, _ = book(slot)
        health.declare(booking, [answers(0)], now=slot.starts_at - H)
        db.session.query(HealthDeclaration).update({"visit_at": utcnow() - 30 * DAY})
        db.session.commit()
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 declarations" in result.output and "28 days" in result.output
    with app.app_context():
        assert db.session.query(HealthDeclaration).one().temperature_c is None
    again = runner.invoke(args=["retention", "purge", "--days", "60"])
    assert "0 declarations" in again.output


# --- bookings' personal data (issue 15) --------------------------------------------------------

def test_bookings_personal_data_goes_after_90_days_and_the_reports_stay_the_same(report_day):
    day, T, _ = report_day
    today = queue.today(day.office)
    before = reports.daily_report(day.office, today, now=T + 60 * M)
    before_csv = reports.to_csv([before])
    assert retention.purge(now=T + 89 * DAY).bookings == 0  # not yet: 90 days after the visit
    kept = db.session.execute(select(Booking.id, Booking.status, Booking.party_size, Booking.ticket,
                                     Booking.checked_in_at, Booking.completed_at).order_by(Booking.id)).all()

    done = retention.purge(now=T + 91 * DAY)
    assert done.bookings == 7
    db.session.expire_all()
    for booking in db.session.scalars(select(Booking)):
        assert booking.phone == "" and booking.personal_purged_at is not None
        assert all((v.name, v.id_masked, v.id_hash) == ("", "", "") for v in booking.visitors)
    assert db.session.scalar(select(func.count()).select_from(IdentityClaim)) == 0
    assert db.session.execute(select(Booking.id, Booking.status, Booking.party_size, Booking.ticket,
                                     Booking.checked_in_at, Booking.completed_at).order_by(Booking.id)).all() == kept
    after = reports.daily_report(day.office, today, now=T + 60 * M)
    assert after == before and reports.to_csv([after]) == before_csv
    assert retention.purge(now=T + 92 * DAY).bookings == 0  # once is enough


def test_old_texts_and_replies_lose_their_values_and_phones_pending_ones_are_kept(report_day):
    day, T, _ = report_day
    texts = db.session.scalars(select(SmsMessage).order_by(SmsMessage.id)).all()
    assert len(texts) >= 3 and all(t.params != "{}" or t.sealed for t in texts)
    for text in texts[1:]:
        text.status = "delivered"
    db.session.add(InboundMessage(message_sid="SM" + "1" * 32, phone="+8613800138000", keyword="confirm",
                                  reply_kind="confirmed", received_at=T))
    db.session.commit()
    assert retention.purge(now=T + 89 * DAY).texts == 0

    done = retention.purge(now=T + 91 * DAY)
    assert (done.texts, done.replies) == (len(texts) - 1, 1)
    db.session.expire_all()
    kept, *gone = db.session.scalars(select(SmsMessage).order_by(SmsMessage.id)).all()
    assert (kept.params != "{}" or kept.sealed) and kept.phone  # still owed: the worker needs it
    assert all((t.params, t.sealed, t.body, t.phone) == ("{}", None, None, "") for t in gone)
    reply = db.session.get(InboundMessage, "SM" + "1" * 32)
    assert (reply.phone, reply.keyword) == ("", "confirm")
    assert db.session.scalar(select(func.count()).select_from(PhoneVerification)) == 0


def test_the_purge_command_reports_both_periods(report_day, app):
    result = app.test_cli_runner().invoke(args=["retention", "purge", "--booking-days", "1"])
    assert result.exit_code == 0, result.output
    assert "the personal data of 0 bookings" in result.output and "older than 1 days" in result.output
    assert app.config["BOOKING_RETENTION_DAYS"] == 90


# What providers answer about a number they refuse: the number is in the text, spelled their way.
PROVIDER_ERRORS = [
    ("21211", "The 'To' number +8613812345678 is not a valid phone number."),
    ("21408", "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
              "number: +852 6123 4567."),
    ("21610", "Attempt to send to unsubscribed recipient 8613812345678"),
    ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号：138-1234-5678"),
    ("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10 (+86 138 1234 5678)"),
    ("isv.MOBILE_NUMBER_ILLEGAL", "号码（+886）912-345-678 格式错误，PhoneNumbers=00886912345678；"
                                  "１３８１２３４５６７８"),
]
SPELLINGS = ["13812345678", "1234 5678", "6123", "912-345-678", "912345678", "１３８１２３４５６７８", "345"]


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_purge_removes_numbers_inside_providers_error_texts(database, request):
    """Issue 27: the purge emptied phone columns but left the number in the provider's error
    text (and in Alibaba Cloud's reply ids, aliyun:+86...:sequence). Codes and the rest of the
    text stay: they say why a text failed."""
    app = request.getfixturevalue("sqlite_app" if database == "sqlite" else "pg_app")
    old = utcnow() - 100 * DAY
    with app.app_context():
        for n, (code, text) in enumerate(PROVIDER_ERRORS):
            db.session.add(SmsMessage(phone="+8613812345678" if n % 2 else "", kind="booked", params="{}",
                                      status="failed" if n % 3 else "pending", error_code=code,
                                      error_message=text, created_at=old))
        db.session.add(SmsMessage(phone="+8613812345678", kind="booked", status="failed", error_code="21211",
                                  error_message=PROVIDER_ERRORS[0][1], created_at=utcnow()))  # recent: kept
        db.session.add(InboundMessage(message_sid="aliyun:+8613812345678:1234", phone="+8613812345678",
                                      keyword="confirm", received_at=old))
        db.session.add(InboundMessage(message_sid="aliyun:+8613900001111:1234", phone="",
                                      keyword="confirm", received_at=old))
        db.session.commit()
        retention.purge()
        db.session.expire_all()
        texts = db.session.scalars(select(SmsMessage).order_by(SmsMessage.id)).all()
        *purged, recent = texts
        for text, (code, original) in zip(purged, PROVIDER_ERRORS, strict=True):
            assert text.error_code == code
            assert not any(spelling in text.error_message for spelling in SPELLINGS), text.error_message
            assert text.error_message[:2] == original[:2] and "[number]" in text.error_message  # words stay
        assert recent.error_message == PROVIDER_ERRORS[0][1]
        sids = db.session.scalars(select(InboundMessage.message_sid)).all()
        assert len(sids) == 2 and not any("13812345678" in sid or "13900001111" in sid for sid in sids), sids
        assert retention.purge().replies == 0  # once is enough
        db.session.remove()
