"""The hall display, /display/<office code>: now calling, the next tickets, occupancy; and the
site's /favicon.ico.

The page renders the current state and static/display.js polls GET /api/v1/display/<code>
every second, so a call shows within two seconds and the page recovers after a network drop.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, render_template

from ..access import DISPLAY_LIMIT, office_by_code
from ..extensions import limiter
from ..hall import queue
from . import display_bp


@display_bp.get("/display/<office_code>")
@limiter.limit(DISPLAY_LIMIT)
def hall(office_code: str):
    """The display page (public); its script then polls the state."""
    office = office_by_code(office_code)
    return render_template("display/hall.html", office=office, state=queue.display_state(office))


@display_bp.get("/favicon.ico")
def favicon():
    """The site's icon at the address browsers ask for on every page (no more 404s in the logs)."""
    icon = Path(current_app.static_folder, "favicon.ico").read_bytes()  # 222 bytes
    return Response(icon, mimetype="image/vnd.microsoft.icon",
                    headers={"Cache-Control": "public, max-age=86400"})
