"""Demo data: a marriage registry, a funeral home and a cemetery in Shanghai's time zone,
with two weeks of slots open for booking now, kept rolling from each office's local today.

The demo staff password is kept in the instance folder (`demo-login`, readable by its owner
only) so that `flask --app wsgi demo` can print the login every time; `--reset-password`
makes a new one. Nothing here is for a real office's data.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from sqlalchemy import select

from . import accounts, scheduling
from .extensions import db
from .health.rules import seed_all_default_rules
from .models import Office, OpeningHours, Service, StaffUser, utcnow

T = dt.time
WEEKDAYS = range(0, 5)
EVERY_DAY = range(0, 7)

OFFICES = [
    {
        "office": dict(
            code="jingan-registry", name_zh="静安区婚姻登记处",
            name_en="Jing'an District Marriage Registry",
            address_zh="上海市静安区昌平路 1000 号 1 楼",
            address_en="1/F, 1000 Changping Road, Jing'an District, Shanghai",
            hall_limit=30, stay_limit_minutes=40, counters="1号窗口\n2号窗口\n3号窗口",
        ),
        "services": [
            (dict(code="marriage", kind="marriage", name_zh="结婚登记",
                  name_en="Marriage registration", party_size_min=2, party_size_max=2,
                  slot_minutes=30, slot_max_bookings=6, slot_max_people=12,
                  requires_confirmation=True,
                  bring_zh="双方本人有效身份证、户口簿原件，近期 2 寸双人合影照片 3 张。",
                  bring_en="Both partners: valid resident ID card and household register "
                           "(hukou), and three recent 2-inch photos of the two of you."),
             WEEKDAYS, [(T(9, 0), T(12, 0)), (T(13, 30), T(17, 0))]),
            (dict(code="divorce", kind="divorce", name_zh="离婚登记",
                  name_en="Divorce registration", party_size_min=2, party_size_max=2,
                  slot_minutes=30, slot_max_bookings=3, slot_max_people=6,
                  bring_zh="双方本人有效身份证、户口簿、结婚证原件，双方签署的离婚协议书 3 份。",
                  bring_en="Both parties: valid ID card, household register, marriage "
                           "certificate, and three signed copies of the divorce agreement."),
             WEEKDAYS, [(T(9, 0), T(11, 30)), (T(13, 30), T(16, 30))]),
        ],
    },
    {
        "office": dict(
            code="longhua-funeral", name_zh="龙华殡仪服务中心",
            name_en="Longhua Funeral Service Centre",
            address_zh="上海市徐汇区漕溪路 210 号", address_en="210 Caoxi Road, Xuhui District, Shanghai",
            hall_limit=60, stay_limit_minutes=60, counters="1号厅\n2号厅\n服务台",
        ),
        "services": [
            (dict(code="farewell", kind="farewell", name_zh="告别仪式", name_en="Farewell ceremony",
                  party_size_min=1, party_size_max=10, slot_minutes=60, slot_max_bookings=2,
                  slot_max_people=20, requires_confirmation=True,
                  bring_zh="经办人身份证、逝者死亡证明。疫情期间每场限 10 人参加，请全程佩戴口罩。",
                  bring_en="The organiser's ID card and the death certificate. During the "
                           "epidemic each ceremony is limited to 10 people; masks throughout."),
             EVERY_DAY, [(T(8, 0), T(12, 0)), (T(13, 0), T(16, 0))]),
            (dict(code="ashes", kind="ash_collection", name_zh="骨灰领取",
                  name_en="Ash collection", party_size_min=1, party_size_max=3, slot_minutes=30,
                  slot_max_bookings=5, slot_max_people=10,
                  bring_zh="领取人身份证、骨灰领取凭证。",
                  bring_en="The collector's ID card and the ash collection receipt."),
             EVERY_DAY, [(T(9, 0), T(16, 0))]),
        ],
    },
    {
        "office": dict(
            code="binhai-cemetery", name_zh="滨海古园", name_en="Binhai Memorial Park",
            address_zh="上海市浦东新区老芦公路 2000 号",
            address_en="2000 Laolu Road, Pudong New Area, Shanghai",
            hall_limit=300, stay_limit_minutes=90, counters="服务台",
        ),
        "services": [
            (dict(code="tomb-sweeping", kind="tomb_sweeping", name_zh="预约祭扫",
                  name_en="Tomb-sweeping visit", party_size_min=1, party_size_max=5,
                  slot_minutes=60, slot_max_bookings=40, slot_max_people=120,
                  bring_zh="每户限 5 人，请携带身份证，文明祭扫，园内禁止焚烧。",
                  bring_en="Up to 5 people per family. Bring your ID card. No burning of "
                           "offerings in the park."),
             EVERY_DAY, [(T(7, 0), T(16, 0))]),
        ],
    },
]

DEMO_DAYS = 14
DEMO_USER = "demo-supervisor"
LOGIN_FILE = "demo-login"


def load_demo(now: dt.datetime | None = None) -> str | None:
    """Create the demo offices, services, slots and a staff account, once. Commits.

    Returns the staff password it made, or None when the database already had offices.
    """
    if db.session.scalar(select(Office.id).limit(1)) is not None:
        return None
    for entry in OFFICES:
        office = Office(**entry["office"])
        db.session.add(office)
        for fields, weekdays, periods in entry["services"]:
            # Open for booking now: the window reaches past the two weeks of slots.
            service = Service(office=office, booking_opens_days=DEMO_DAYS + 1, **fields)
            service.hours = [OpeningHours(weekday=d, opens=a, closes=b)
                             for d in weekdays for a, b in periods]
            db.session.add(service)
    db.session.flush()
    keep_slots_ahead(DEMO_DAYS, now)
    seed_all_default_rules()  # health-check rules per kind of service (version 1)
    db.session.commit()
    password = secrets.token_urlsafe(9)
    accounts.create_staff(DEMO_USER, password, "supervisor", "jingan-registry")
    return password


def keep_slots_ahead(days: int, now: dt.datetime | None = None) -> int:
    """Create the missing slots of every service for `days` days from its office's local
    today (0 days: nothing). Safe to repeat: existing slots are kept. Commits; returns how
    many slots it created."""
    if days <= 0:
        return 0
    now = now or utcnow()
    created = 0
    for service in db.session.scalars(select(Service).order_by(Service.id)):
        first = scheduling.local_day(service.office, now)
        created += scheduling.generate_slots(service, first, first + dt.timedelta(days=days - 1))
    db.session.commit()
    return created


def remember_login(instance_path: str, password: str) -> None:
    """Keep the demo password in the instance folder, readable by its owner only."""
    path = Path(instance_path) / LOGIN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(password)


def remembered_login(instance_path: str) -> str | None:
    """The demo password kept in the instance folder, if it still opens the demo account."""
    path = Path(instance_path) / LOGIN_FILE
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == DEMO_USER))
    if user is None or not path.exists():
        return None
    password = path.read_text().strip()
    return password if accounts.check_password(user, password) else None


def reset_password(instance_path: str) -> str | None:
    """A new password for the demo account (None when there is no demo account). Commits."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == DEMO_USER))
    if user is None:
        return None
    password = secrets.token_urlsafe(9)
    accounts.set_password(user, password)
    remember_login(instance_path, password)
    return password
