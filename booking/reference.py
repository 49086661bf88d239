"""Reference data kept in each process: a service with its office and the closures in force
for it, reused while the database's reference version stays the same.

Every booking needs its slot's service, office and closures; they change a few times a day,
bookings come hundreds a second. The version is one counter that triggers move on every change
to those tables (booking.models.reference); the booking's first statement reads it with the
slot, and a process whose copy is older loads the service again before using it. A change
committed after that read can reach a booking made with the older copy in the same moment,
exactly as with a read from the database: the conditional UPDATE that takes the places
(scheduling.reserve) only takes an open slot, and a closure closes its slots first.

The copies are detached ORM objects: read only, never added to a session.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from . import scheduling
from .extensions import db
from .models import Closure, ReferenceVersion, Service


@dataclass(frozen=True)
class ServiceReference:
    """A service (with .office loaded) and the closures in force for it that end today or
    later, as of reference version `version`."""

    version: int
    service: Service
    closures: tuple[Closure, ...]

    def closure_on(self, day: dt.date) -> Closure | None:
        """The closure in force on a local day, if any (scheduling.closure_for, from memory)."""
        return next((c for c in self.closures if c.first_day <= day <= c.last_day), None)


class ReferenceCache:
    """One app's copies, by service id (each app has its own: tests run many apps in one process)."""

    def __init__(self):
        self._services: dict[int, ServiceReference] = {}
        self._lock = threading.Lock()

    def service(self, service_id: int, version: int) -> ServiceReference | None:
        """The service as of `version` or later; None when there is no such service."""
        found = self._services.get(service_id)
        if found is not None and found.version >= version:
            return found
        loaded = _load(service_id)
        if loaded is not None:
            with self._lock:
                current = self._services.get(service_id)
                if current is None or current.version < loaded.version:
                    self._services[service_id] = loaded
        return loaded


def service_reference(service_id: int, version: int) -> ServiceReference | None:
    """The current app's copy of a service as of reference version `version` (see the module)."""
    return current_app.extensions["reference_cache"].service(service_id, version)


def _load(service_id: int) -> ServiceReference | None:
    """Read the version, then the service, office and closures, on the caller's own connection
    and transaction (a second connection per request could exhaust the pool: every holder
    waiting for another), through a session of their own, which leaves them detached."""
    with Session(bind=db.session.connection(), expire_on_commit=False) as session:
        version = session.scalar(select(ReferenceVersion.version).where(ReferenceVersion.id == 1)) or 0
        service = session.scalars(select(Service).where(Service.id == service_id)
                                  .options(joinedload(Service.office))).first()
        if service is None:
            return None
        yesterday = dt.date.today() - dt.timedelta(days=2)  # every zone's today is after it
        closures = tuple(session.scalars(scheduling.CLOSURES_BETWEEN, {
            "office_id": service.office_id, "service_id": service.id, "first": yesterday,
            "last": dt.date.max}))
    # closing the session (not rolling back, which would expire them) leaves them loaded, detached
    return ServiceReference(version, service, closures)
