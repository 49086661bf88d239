"""The reference data's version: one counter that every change to offices, services, opening
hours and closures moves, by a trigger in the database, whatever made the change (the app,
a migration, an operator in psql). Processes that keep reference data in memory
(booking.reference) read it with their first statement and reload when it moved."""

from __future__ import annotations

from sqlalchemy import DDL, BigInteger, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# The tables whose rows the booking path keeps in memory.
REFERENCE_TABLES = ("office", "service", "opening_hours", "closure")


class ReferenceVersion(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)  # a single row, id 1
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def postgresql_ddl() -> list[str]:
    """One statement-level trigger per table (a bulk UPDATE moves the version once)."""
    return [
        "INSERT INTO reference_version (id, version) VALUES (1, 0) ON CONFLICT DO NOTHING",
        "CREATE OR REPLACE FUNCTION bump_reference_version() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$",
        *(f"CREATE OR REPLACE TRIGGER {table}_moves_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
          f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version()"
          for table in REFERENCE_TABLES),
    ]


def sqlite_ddl() -> list[str]:
    """SQLite has row triggers only: one per table and kind of change."""
    return [
        "INSERT OR IGNORE INTO reference_version (id, version) VALUES (1, 0)",
        # bandit B608: table names from REFERENCE_TABLES, a constant
        *(f"CREATE TRIGGER IF NOT EXISTS {table}_{change.lower()}_moves_reference_version AFTER {change}"  # nosec B608
          f" ON {table} BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END"
          for table in REFERENCE_TABLES for change in ("INSERT", "UPDATE", "DELETE")),
    ]


# create_all (tests, bench, `flask demo` on a new file) makes them too; the migration
# 7f3a9c2e5b18 does for databases made by `flask db upgrade`.
for _sql in postgresql_ddl():
    event.listen(db.metadata, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
for _sql in sqlite_ddl():
    event.listen(db.metadata, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
