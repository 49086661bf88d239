"""Every way of taking a place, and which of a booking's checks each one meets.

One row per channel; booking/bookings/pipeline.py reads the row and runs the checks it names,
in one order, for every channel. A new way of booking (telephone, counter) is a new row here
and a view, never a copy of the rules. The rules a row can switch on or off:

- proof      who proves the attempt: "code" (a verification code texted to the phone,
             verification.py), "staff" (a signed-in staff member, named in the audit event),
             "token" (the secret token of the booking or waiting-list entry the face checked)
- work       proof of work (challenge.py) where the office asks for it on the slot's day
- attempts   the per-phone and per-person attempt limits (booking/attempts.py)
- window     "booking" (the service's booking window), "door" (the slot running now: the hall
             chose it), or "day" (a waiting list: the day is full and its booking window open)
- rules      the party's rules: its size, who may be booked together (parties.py: marriage),
             one place per person (per service and day, or per service), the per-phone limit of
             active bookings; on every channel, so a waiting list refuses what booking refuses
- assisted   may take the places a slot keeps for assisted bookings (the reserve of 3b in the
             design: Service.assisted_reserve until assisted_release_hours before the slot;
             online availability leaves them out); a staff channel also books for someone
             without a mobile (a landline or no phone: nobody is texted)
- actor      who acted, in the audit event: "citizen", "staff", "system"
- texted     the citizen is texted as the place is taken (a walk-in: once admitted, by the hall)
- action     the audit event's action
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    """A way of taking a place; the fields are described in the module's docstring."""

    name: str
    proof: str
    work: bool
    attempts: bool
    window: str
    assisted: bool
    actor: str
    texted: bool
    action: str
    rules: bool = True


_ROWS = (
    #       name             proof    work   attempts window     assisted actor       texted action
    Channel("online",        "code",  True,  True,    "booking", False,  "citizen", True,  "booked"),
    Channel("walk_in",       "staff", False, False,   "door",    True,   "staff",   False, "booked"),
    Channel("reschedule",    "token", True,  True,    "booking", False,  "citizen", True,  "rescheduled"),
    Channel("office_move",   "staff", False, False,   "booking", True,   "staff",   True,  "rescheduled"),
    Channel("waiting_join",  "code",  True,  True,    "day",     False,  "citizen", True,  "waiting_joined"),
    Channel("waiting_claim", "token", False, False,   "booking", False,  "citizen", True,  "booked"),
    Channel("phone",         "staff", False, False,   "booking", True,   "staff",   True,  "booked"),
    Channel("counter",       "staff", False, False,   "booking", True,   "staff",   True,  "booked"),
)
CHANNELS: dict[str, Channel] = {row.name: row for row in _ROWS}
ASSISTED = ("phone", "counter")  # the channels a clerk books on for a caller (docs/contract.md, third-wave additions)


def channel(name: str) -> Channel:
    """The channel of that name; KeyError for a name no row has (a programming error)."""
    return CHANNELS[name]
