"""`flask --app wsgi retention purge`: health data removed after its retention period.

Health answers are kept HEALTH_RETENTION_DAYS (default 28) days after the visit, then emptied:
the answers and the figures inside the reasons go; the verdict (passed), the reason codes, the
rules version and the times stay, because the daily reports count them. Door refusals lose
their measured temperatures the same way and keep their reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select, update

from .extensions import db
from .models import DoorRefusal, HealthDeclaration, utcnow

retention_cli = AppGroup("retention", help="Remove personal data past its retention period.")

ANSWERS = dict(symptoms=None, risk_area_travel=None, case_contact=None, health_code=None,
               temperature_c=None, nat_negative_at=None)
BATCH = 500


@dataclass(frozen=True)
class Purged:
    declarations: int
    refusals: int


def retention_days() -> int:
    return int(current_app.config.get("HEALTH_RETENTION_DAYS", 28))


def _purge_declarations(cutoff: dt.datetime, now: dt.datetime) -> int:
    """Empty the answers of declarations for visits before the cutoff, in batches."""
    total = 0
    while True:
        rows = db.session.scalars(
            select(HealthDeclaration).where(HealthDeclaration.visit_at < cutoff,
                                            HealthDeclaration.purged_at.is_(None))
            .order_by(HealthDeclaration.id).limit(BATCH)).all()
        for row in rows:
            # Keep what each reason concluded, drop the personal figures it quoted.
            reasons = [{"question": r["question"], "code": r["code"], "passed": r["passed"],
                        "values": {}} for r in row.reasons or []]
            db.session.execute(update(HealthDeclaration).where(HealthDeclaration.id == row.id)
                               .values(reasons=reasons, purged_at=now, **ANSWERS))
        db.session.commit()
        total += len(rows)
        if len(rows) < BATCH:
            return total


def _purge_refusals(cutoff: dt.datetime, now: dt.datetime) -> int:
    result = db.session.execute(
        update(DoorRefusal).where(DoorRefusal.at < cutoff, DoorRefusal.purged_at.is_(None))
        .values(detail=None, purged_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount


def purge(now: dt.datetime | None = None, days: int | None = None) -> Purged:
    """Empty health answers of visits more than `days` (HEALTH_RETENTION_DAYS) ago. Commits."""
    now = now or utcnow()
    days = retention_days() if days is None else days
    cutoff = now - dt.timedelta(days=days)
    return Purged(_purge_declarations(cutoff, now), _purge_refusals(cutoff, now))


@retention_cli.command("purge")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep this many days after the visit (default HEALTH_RETENTION_DAYS, 28).")
def purge_command(days):
    """Remove health answers of visits past the retention period; counts stay for reports."""
    done = purge(days=days)
    click.echo(f"Purged health answers of {done.declarations} declarations and the details of "
               f"{done.refusals} door refusals older than {days or retention_days()} days.")
