"""Crowd safety on a registry's day, through the real door and queue (docs/contract.md, third-wave additions).

    .venv/bin/python -m bench.hall_day [--db postgres] [--per-slot 8] [--windows 4]
        [--hall-limit 30] [--level-hall-limit 8] [--counters 3] [--json out.json]

A marriage registry open 09:00-12:00 and 13:30-17:00 (slots generated from those hours by
booking.scheduling), 30-minute slots of 8 couples, 3 counters. Every couple books through
bookings.book (a verified phone, two days before) and declares through health.declare; on the
day a clock moves in 30-second ticks and every step is the product's own use case with `now=`:
door.check_in at the door, queue.call_next at a free counter, queue.complete when the counter's
service time is up, offices.admin.set_level for the level change. Nothing of the door's rules is
modelled here: the simulator only decides when people arrive and how long a counter takes.

People are told their slot's start (one window) or their window's start (`--windows`) and
arrive then plus a jitter (normal, mean `--early` 8 minutes early, sd 7, within 30 early and
15 late); a counter takes 6-15 minutes (triangular, mode 10). Both draw from one fixed seed, so
the runs with and without windows have the same couples, the same jitters and the same service
times. A party refused `too_early` waits until door.door_opens_at; one refused `hall_full`
tries again once somebody has left. Reported per run: peak and average hall occupancy (people,
sampled every tick from door.occupancy over the opening hours) and the waits at the door
(arrival to admission). The level run takes the day without windows in a hall of
`--level-hall-limit` and sets the level to heightened at 10:30: the occupancy each minute
around it, who left and how, and when admissions resumed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from .common import bench_app, couple, create_schema, dispose, phone, temp_database
from .hall_sim import DAY, EARLY, TICK, Day, Party, plan
from .scenario import codes_by_phone

HOURS = ((dt.time(9, 0), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 0)))
COUNTERS = 3
LEVEL_AT = dt.time(10, 30)


def build_office(app, *, windows: int, hall_limit: int, per_slot: int, counters: int = COUNTERS,
                 hours=HOURS) -> dict:
    """The office, its service and the day's slots (generated from the hours), its staff."""
    from booking import scheduling
    from booking.extensions import db
    from booking.models import Office, OpeningHours, Service, StaffUser

    with app.app_context():
        office = Office(code="registry", name_zh="锦江区婚姻登记处", name_en="Jinjiang Marriage Registry",
                        address_zh="锦江区人民路 1 号", address_en="1 Renmin Road", hall_limit=hall_limit,
                        counters="\n".join(f"{i}号窗口" for i in range(1, counters + 1)))
        service = Service(office=office, code="marriage", kind="marriage", name_zh="结婚登记",
                          name_en="Marriage registration", party_size_min=2, party_size_max=2,
                          slot_minutes=30, slot_max_bookings=per_slot, slot_max_people=2 * per_slot,
                          booking_opens_days=7, booking_closes_hours=2, arrival_windows=windows)
        service.hours = [OpeningHours(weekday=d, opens=a, closes=b) for d in range(5) for a, b in hours]
        db.session.add(office)
        db.session.flush()
        scheduling.generate_slots(service, DAY, DAY)
        staff = StaffUser(username="door", password_hash="-", role="supervisor", office_id=office.id)
        db.session.add(staff)
        db.session.commit()
        slots = [s.id for s in scheduling.live_slots(service, DAY, DAY)]
        return {"office": office.id, "slots": slots, "staff": staff.id}


def book_day(app, built: dict, parties: list[list[Party]]) -> None:
    """Every party books its slot two days before and declares the evening before."""
    from booking import bookings, health
    from booking.extensions import db
    from booking.hall import arrivals
    from booking.models import Slot
    from booking.verification import start_verification

    with app.app_context():
        for slot_id, row in zip(built["slots"], parties, strict=True):
            slot = db.session.get(Slot, slot_id)
            then = slot.starts_at - dt.timedelta(days=2)
            ids = {p.n: start_verification(phone(p.n), now=then) for p in row}
            codes = codes_by_phone(app, [phone(p.n) for p in row])
            for party in row:
                made = bookings.book(slot_id=slot_id, phone=phone(party.n), visitors=couple(party.n),
                                     verification=(ids[party.n], codes[phone(party.n)]), now=then)
                booking = made.booking
                health.declare(booking, [_answers(i) for i in range(2)], now=slot.starts_at - dt.timedelta(hours=14))
                party.booking_id = booking.id
                party.arrives = arrivals.window_of(booking)[0] + party.jitter
            db.session.remove()


def _answers(position: int) -> dict:
    return {"visitor": position, "temperature_c": 36.5, "symptoms": False, "risk_area_travel": False,
            "case_contact": False, "health_code": "green", "nat_negative_at": None}

# --- what a run shows ----------------------------------------------------------------------------

def minutes(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def summary(day: Day, hours=HOURS) -> dict:
    """Peak and average occupancy (people; the average over the opening hours), the waits at
    the door (arrival to admission, minutes), the most people waiting there at once, the stays
    in the hall (admission to leaving the counter) and the refusals by code."""
    tz = day.office.tz
    inside = [occ for now, occ, _ in day.samples
              if any(a <= now.astimezone(tz).time() < b for a, b in hours)]
    came_in = [p for p in day.parties if p.admitted]
    waits = sorted(minutes(p.admitted - p.arrives) for p in came_in)
    stays = sorted(minutes(p.leaves - p.admitted) for p in came_in)
    return {"parties": len(day.parties), "served": sum(p.done for p in day.parties),
            "turned_away": sum(bool(p.turned_away) for p in day.parties),
            "peak_occupancy": max(occ for _, occ, _ in day.samples),
            "average_occupancy": round(sum(inside) / len(inside), 1),
            "door_wait_minutes": {"longest": waits[-1], "average": round(sum(waits) / len(waits), 1),
                                  "p90": waits[int(0.9 * (len(waits) - 1))]},
            "peak_waiting_at_the_door": day.outside,
            "stay_minutes": {"longest": stays[-1], "average": round(sum(stays) / len(stays), 1)},
            "refused": dict(sorted(day.refused.items()))}


def level_summary(app, day: Day, change: dt.datetime) -> dict:
    """Around the level change: occupancy each minute from 10 minutes before to 40 after; who
    was inside then and how each left; the admissions after it against the new limit."""
    from booking.extensions import db
    from booking.models import Booking

    tz = day.office.tz
    around = [{"at": now.astimezone(tz).strftime("%H:%M"), "occupancy": occ, "limit": limit}
              for now, occ, limit in day.samples
              if change - dt.timedelta(minutes=10) <= now <= change + dt.timedelta(minutes=40) and now.second == 0]
    inside = [p for p in day.parties if p.admitted and p.admitted < change and (p.leaves is None or p.leaves > change)]
    with app.app_context():
        rows = {b.id: b for b in db.session.query(Booking).filter(Booking.id.in_([p.booking_id for p in inside]))}
        left_as_served = sum(rows[p.booking_id].status == "completed"
                             and rows[p.booking_id].completed_at == p.leaves for p in inside)
        db.session.remove()
    after = [(now, before, limit) for now, before, limit in day.admissions if now >= change]
    return {"at": change.astimezone(tz).strftime("%H:%M"),
            "limit_before": next(limit for now, _, limit in day.samples if now >= change - TICK),
            "limit_after": day.samples[-1][2],
            "occupancy_at_change": next(occ for now, occ, _ in day.samples if now >= change - TICK),
            "inside_at_change": sum(2 for _ in inside), "left_only_when_served": left_as_served == len(inside),
            "inside_left_at": sorted(p.leaves.astimezone(tz).strftime("%H:%M:%S") for p in inside),
            "first_admission_after": ({"at": after[0][0].astimezone(tz).strftime("%H:%M:%S"),
                                       "occupancy_before": after[0][1], "limit": after[0][2]} if after else None),
            "admissions_over_the_new_limit": sum(before + 2 > limit for _, before, limit in after),
            "listed_for_review": day.listed,
            "occupancy_each_minute": around}


def run_day(kind: str, *, windows: int, hall_limit: int, per_slot: int, counters: int = COUNTERS,
            hours=HOURS, early: float = EARLY, level_at: dt.time | None = None) -> dict:
    """One day on a fresh database: book it, run it, sum it up."""
    with temp_database(kind) as url:
        app = bench_app(url)
        try:
            create_schema(app)
            built = build_office(app, windows=windows, hall_limit=hall_limit, per_slot=per_slot,
                                 counters=counters, hours=hours)
            parties = plan(len(built["slots"]), per_slot, early=early)
            book_day(app, built, parties)
            with app.app_context():
                from booking.extensions import db
                from booking.models import Office

                tz = db.session.get(Office, built["office"]).tz
            change = dt.datetime.combine(DAY, level_at, tzinfo=tz) if level_at else None
            day = Day(app, built, [p for row in parties for p in row], change)
            day.run()
            result = {"windows": windows, "hall_limit": hall_limit, "counters": counters, "early": early,
                      "slots": len(built["slots"]),
                      **summary(day, hours)}
            if change is not None:
                result["level_change"] = level_summary(app, day, change)
            return result
        finally:
            dispose(app)


def parse_hours(text: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """"09:00-12:00,13:30-17:00" as opening periods."""
    periods = []
    for part in text.split(","):
        a, b = part.split("-")
        periods.append((dt.time.fromisoformat(a), dt.time.fromisoformat(b)))
    return tuple(periods)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--per-slot", type=int, default=8)
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--hall-limit", type=int, default=30)
    parser.add_argument("--level-hall-limit", type=int, default=8)
    parser.add_argument("--counters", type=int, default=COUNTERS)
    parser.add_argument("--early", type=float, default=EARLY, help="minutes people come early, on average")
    parser.add_argument("--hours", default="09:00-12:00,13:30-17:00")
    parser.add_argument("--runs", default="without_windows,with_windows,level_change",
                        help="which of without_windows, with_windows, level_change")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    common = {"per_slot": args.per_slot, "hours": parse_hours(args.hours), "counters": args.counters,
              "early": args.early}
    runs = {"without_windows": lambda: run_day(args.db, windows=1, hall_limit=args.hall_limit, **common),
            "with_windows": lambda: run_day(args.db, windows=args.windows, hall_limit=args.hall_limit, **common),
            "level_change": lambda: run_day(args.db, windows=1, hall_limit=args.level_hall_limit,
                                            level_at=LEVEL_AT, **common)}
    results = {name: runs[name]() for name in args.runs.split(",")}
    print(json.dumps(results, ensure_ascii=False, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, ensure_ascii=False, indent=1)
    level = results.get("level_change", {}).get("level_change")
    ok = level is None or (level["admissions_over_the_new_limit"] == 0 and level["left_only_when_served"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
