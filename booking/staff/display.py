"""The hall display, /display/<office code>: now calling, the next tickets, occupancy.

The page renders the current state and static/display.js polls GET /api/v1/display/<code>
every second, so a call shows within two seconds and the page recovers after a network drop.
"""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select

from .. import queue
from ..extensions import db
from ..models import Office
from . import display_bp


def office_by_code(code: str) -> Office:
    office = db.session.scalar(select(Office).where(Office.code == str(code)[:40]))
    if office is None:
        abort(404)
    return office


@display_bp.get("/display/<office_code>")
def hall(office_code: str):
    office = office_by_code(office_code)
    return render_template("display/hall.html", office=office, state=queue.display_state(office))
