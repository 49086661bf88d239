"""Test data built through the real models and domain functions (call inside an app context)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy import select
from stdnum.cn import ric

from booking.extensions import db
from booking.models import Office, OpeningHours, Service, Slot, SmsMessage, utcnow
from booking.sms.compose import preview
from booking.verification import start_verification

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "+8613812345678"
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄婷", "周杰", "吴霞"]


def resident_id(n: int) -> str:
    """A valid 18-digit resident identity number, distinct for each n."""
    body = f"110105{1950 + n % 50:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def visitor(n: int, name: str | None = None) -> dict:
    return {"name": name or NAMES[n % len(NAMES)], "id_type": "resident_id",
            "id_number": resident_id(n)}


def make_office(code: str = "registry", timezone: str = "Asia/Shanghai", **fields) -> Office:
    values = dict(code=code, name_zh="测试婚姻登记处", name_en="Test Marriage Registry",
                  address_zh="上海市静安区昌平路 1000 号", address_en="1000 Changping Road",
                  timezone=timezone)
    values.update(fields)
    office = Office(**values)
    db.session.add(office)
    db.session.flush()
    return office


def make_service(office: Office, code: str = "marriage", kind: str = "marriage",
                 opening=((range(7), dt.time(8, 30), dt.time(17, 0)),), **fields) -> Service:
    values = dict(code=code, kind=kind, name_zh="结婚登记", name_en="Marriage registration",
                  party_size_min=2 if kind in ("marriage", "divorce") else 1,
                  party_size_max=2 if kind in ("marriage", "divorce") else 5,
                  slot_minutes=30, slot_max_bookings=10, slot_max_people=20,
                  booking_opens_days=7, booking_closes_hours=2)
    values.update(fields)
    service = Service(office=office, **values)
    service.hours = [OpeningHours(weekday=d, opens=a, closes=b)
                     for days, a, b in opening for d in days]
    db.session.add(service)
    db.session.flush()
    return service


def make_slot(service: Service, days_ahead: int = 2, at: dt.time = dt.time(10, 0),
              **fields) -> Slot:
    """A slot of the service on the office-local day `days_ahead` from today."""
    tz = service.office.tz
    day = utcnow().astimezone(tz).date() + dt.timedelta(days=days_ahead)
    start = dt.datetime.combine(day, at, tzinfo=tz)
    values = dict(service=service, office_id=service.office_id, starts_at=start,
                  ends_at=start + dt.timedelta(minutes=service.slot_minutes),
                  max_bookings=service.slot_max_bookings, max_people=service.slot_max_people)
    values.update(fields)
    slot = Slot(**values)
    db.session.add(slot)
    db.session.flush()
    return slot


def setup_marriage_slot(**slot_fields) -> Slot:
    """An office, its marriage service and one bookable slot, committed."""
    service = make_service(make_office())
    slot = make_slot(service, **slot_fields)
    db.session.commit()
    return slot


def last_code(phone: str = PHONE) -> str:
    """The verification code most recently texted to a phone, read from the outbox."""
    message = db.session.scalars(
        select(SmsMessage).where(SmsMessage.phone == phone, SmsMessage.kind == "verification_code")
        .order_by(SmsMessage.id.desc())
    ).first()
    return re.search(r"\d{6}", preview(message)).group()


def verified(phone: str = PHONE) -> tuple[str, str]:
    """A verification id and its code, as a citizen would read it from the text."""
    verification_id = start_verification(phone)
    return verification_id, last_code(phone)
