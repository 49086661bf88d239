"""Calendar files, read back by two independent parsers (icalendar and vobject).

The local times are asserted through both, because a VTIMEZONE with comma-separated RDATE
values is read by vobject (and ical.js) as its first value only, shifting events by an hour.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from booking import bookings
from booking.calendar import booking_calendar, transitions, vtimezone
from booking.extensions import db
from booking.models import utcnow

from .factories import make_office, make_service, make_slot, setup_marriage_slot, verified, visitor


def book(slot, lang="zh", people=(1, 2)):
    return bookings.book(slot_id=slot.id, phone="13812345678", lang=lang,
                         visitors=[visitor(n) for n in people], verification=verified())


def fetch(client, reference: str, token: str):
    response = client.get(f"/bookings/{reference}.ics?token={token}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="booking-{reference}.ics"' in response.headers["Content-Disposition"]
    return response.get_data(as_text=True)


def read_both(text: str):
    """(icalendar VEVENT, vobject VEVENT) of a one-event calendar."""
    ical_event = next(iter(icalendar.Calendar.from_ical(text).walk("VEVENT")))
    vobj_event = vobject.readOne(text, validate=True).vevent
    return ical_event, vobj_event


def local_times(text: str, zone: str):
    """(start, end) read by each parser, converted to the office's zone, as naive wall times."""
    ical_event, vobj_event = read_both(text)
    tz = ZoneInfo(zone)
    from_ical = tuple(ical_event.decoded(k).astimezone(tz).replace(tzinfo=None)
                      for k in ("dtstart", "dtend"))
    from_vobj = (vobj_event.dtstart.value.astimezone(tz).replace(tzinfo=None),
                 vobj_event.dtend.value.astimezone(tz).replace(tzinfo=None))
    return from_ical, from_vobj


def test_the_ics_has_the_local_times_address_alarms_and_manage_link(ctx, client):
    slot = setup_marriage_slot(at=dt.time(10, 0))
    slot.service.bring_zh = "双方户口簿、身份证和三张合影照片"
    db.session.commit()
    done = book(slot)
    text = fetch(client, done.booking.reference, done.token)
    day = slot.starts_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    expected = (dt.datetime.combine(day, dt.time(10, 0)), dt.datetime.combine(day, dt.time(10, 30)))
    from_ical, from_vobj = local_times(text, "Asia/Shanghai")
    assert from_ical == from_vobj == expected
    assert "DTSTART;TZID=Asia/Shanghai:" in text and "BEGIN:VTIMEZONE" in text

    ical_event, vobj_event = read_both(text)
    assert str(ical_event["uid"]) == f"{done.booking.reference}@booking.example.gov.cn"
    assert str(ical_event["location"]) == "上海市静安区昌平路 1000 号"
    assert vobj_event.location.value == "上海市静安区昌平路 1000 号"
    description = vobj_event.description.value
    assert done.booking.reference in description and "双方户口簿、身份证和三张合影照片" in description
    assert vobj_event.url.value == f"https://booking.example.gov.cn/m/{done.booking.reference}/{done.token}"
    assert (str(ical_event["status"]), ical_event["sequence"]) == ("CONFIRMED", 0)
    triggers = sorted(alarm.decoded("trigger") for alarm in ical_event.walk("VALARM"))
    assert triggers == [-dt.timedelta(days=1), -dt.timedelta(hours=2)]
    assert [a.trigger.value for a in vobj_event.valarm_list] == [-dt.timedelta(days=1),
                                                                  -dt.timedelta(hours=2)]


def test_the_text_follows_the_bookings_language(ctx, client):
    slot = setup_marriage_slot()
    done = book(slot, lang="en")
    _, event = read_both(fetch(client, done.booking.reference, done.token))
    assert event.summary.value == "Marriage registration (Test Marriage Registry)"
    assert event.location.value == "1000 Changping Road"
    assert event.description.value.startswith(f"Booking reference: {done.booking.reference}")


def test_after_cancelling_the_same_uid_is_cancelled_with_a_higher_sequence(ctx, client):
    slot = setup_marriage_slot()
    done = book(slot)
    before, _ = read_both(fetch(client, done.booking.reference, done.token))
    bookings.cancel(done.booking)
    text = fetch(client, done.booking.reference, done.token)
    after, vobj_after = read_both(text)
    assert str(after["uid"]) == str(before["uid"]) == vobj_after.uid.value
    assert (str(after["status"]), vobj_after.status.value) == ("CANCELLED", "CANCELLED")
    assert after["sequence"] > before["sequence"]
    assert int(vobj_after.sequence.value) == after["sequence"]
    assert list(after.walk("VALARM")) == []  # no reminder for a visit that will not happen
    from_ical, from_vobj = local_times(text, "Asia/Shanghai")
    assert from_ical == from_vobj and from_ical[0].time() == dt.time(10, 0)


def test_after_rescheduling_the_same_uid_has_the_new_time_and_a_higher_sequence(ctx, client):
    slot = setup_marriage_slot()
    later = make_slot(slot.service, days_ahead=3, at=dt.time(14, 30))
    db.session.commit()
    done = book(slot)
    bookings.reschedule(done.booking, later.id)
    text = fetch(client, done.booking.reference, done.token)
    event, vobj_event = read_both(text)
    assert (event["sequence"], int(vobj_event.sequence.value)) == (1, 1)
    from_ical, from_vobj = local_times(text, "Asia/Shanghai")
    assert from_ical == from_vobj
    assert from_ical[0] == later.starts_at.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)


@pytest.mark.parametrize("token", ["", "wrong-token-wrong-token", None])
def test_a_wrong_or_missing_token_is_404_and_reveals_nothing(ctx, client, token):
    slot = setup_marriage_slot()
    done = book(slot)
    url = f"/bookings/{done.booking.reference}.ics" + ("" if token is None else f"?token={token}")
    response = client.get(url)
    assert response.status_code == 404
    assert "BEGIN:VCALENDAR" not in response.get_data(as_text=True)
    assert client.get(f"/bookings/ZZZZZZZZ.ics?token={done.token}").status_code == 404


@pytest.mark.parametrize(("zone", "month", "hour"), [
    ("America/New_York", 1, 9), ("America/New_York", 7, 9), ("Europe/Berlin", 3, 8),
    ("Europe/Berlin", 10, 16), ("Australia/Sydney", 1, 11), ("Asia/Shanghai", 6, 10),
])
def test_local_times_survive_both_parsers_in_zones_with_summer_time(ctx, zone, month, hour):
    office = make_office(code="abroad", timezone=zone)
    service = make_service(office, booking_opens_days=400)
    tz = ZoneInfo(zone)
    today = utcnow().astimezone(tz).date()
    target = dt.date(today.year + 1, month, 28)
    slot = make_slot(service, days_ahead=(target - today).days, at=dt.time(hour, 0))
    db.session.commit()
    done = book(slot)
    text = booking_calendar(done.booking, done.token).decode()
    assert "RDATE" not in text
    from_ical, from_vobj = local_times(text, zone)
    assert from_ical == from_vobj
    assert from_ical[0] == dt.datetime.combine(target, dt.time(hour, 0))
    utc_vobj = vobject.readOne(text).vevent.dtstart.value.astimezone(dt.UTC)
    assert utc_vobj == slot.starts_at


def test_transitions_are_found_to_the_second():
    berlin = ZoneInfo("Europe/Berlin")
    found = transitions(berlin, dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                        dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert found == [dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC),
                     dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.UTC)]
    assert transitions(ZoneInfo("Asia/Shanghai"), found[0], found[1]) == []


def test_the_vtimezone_has_one_start_per_observance():
    zone = vtimezone("America/New_York", dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    observances = zone.walk("STANDARD") + zone.walk("DAYLIGHT")
    assert len(observances) == 1 + 6  # the start of 2025, then two changes a year to 2027
    assert all("RDATE" not in component for component in observances)
    daylight = [c for c in observances if c.name == "DAYLIGHT"]
    assert {c.decoded("dtstart").time() for c in daylight} == {dt.time(2, 0)}


def test_the_uid_does_not_depend_on_the_host_the_file_was_fetched_through(app, ctx, client):
    app.config["PUBLIC_BASE_URL"] = None
    done = book(setup_marriage_slot())
    url = f"/bookings/{done.booking.reference}.ics?token={done.token}"
    uids = {vobject.readOne(client.get(url, base_url=f"http://{host}").get_data(as_text=True)).vevent.uid.value
            for host in ("booking.example.org", "10.0.0.5:8000")}
    assert uids == {f"{done.booking.reference}@booking.localhost"}
