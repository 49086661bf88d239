"""Demo data: a marriage registry, a funeral home and a cemetery in Shanghai, loaded from the
setup file demo.toml through booking/offices/setup.py, the path every real office takes; each
service's booking window (two weeks) has its slots, kept rolling from each office's local today.

The demo staff password is kept in the instance folder (`demo-login`, readable by its owner
only) so that `flask --app wsgi demo` can print the login every time; `--reset-password`
makes a new one. Nothing here is for a real office's data.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from sqlalchemy import select

from . import accounts
from .extensions import db
from .models import Office, StaffUser, utcnow
from .offices import setup, setup_file, slots
from .uow import use_case

SETUP_FILE = Path(__file__).with_name("demo.toml")  # the demo's offices, as a setup file
DEMO_USER = "demo-supervisor"
LOGIN_FILE = "demo-login"


def load_demo(now: dt.datetime | None = None) -> str | None:
    """Load the demo's setup file through the setup path, with its slots, and make a staff
    account, once. Returns the staff password it made, or None when the database already had
    offices."""
    if db.session.scalar(select(Office.id).limit(1)) is not None:
        return None
    setup.apply(setup_file.read(SETUP_FILE.read_text(encoding="utf-8")), now=now)
    password = secrets.token_urlsafe(9)
    accounts.create_staff(DEMO_USER, password, "supervisor", "jingan-registry")
    return password


@use_case
def keep_slots_ahead(now: dt.datetime | None = None) -> int:
    """Add the missing slots of every service's booking window from its office's local today.
    Safe to repeat; returns how many it created. A use case."""
    return slots.generate_ahead(now or utcnow())


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
