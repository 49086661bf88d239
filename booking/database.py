"""Engine settings per database.

SQLite: WAL so readers never block the writer, a busy timeout so writers wait for each other
instead of failing with "database is locked", and BEGIN IMMEDIATE so a transaction takes the
write lock when it starts, not halfway through (when SQLite can only fail it). pysqlite's own
transaction handling is turned off so that our BEGIN is the one that runs. A request that only
reads says so (read_only_transaction) and begins deferred: it reads its WAL snapshot without
queueing for the write lock behind the bookings being made.
"""

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_on_connect(dbapi_connection, connection_record):
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: durable at checkpoints
    cursor.close()


def _sqlite_begin(connection):
    reader = connection.get_execution_options().get("read_only", False)
    connection.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")


def read_only_transaction() -> None:
    """Begin this request's transaction as one that never writes (call before its first query;
    on SQLite a write after it could fail with SQLITE_BUSY instead of waiting)."""
    if not db.session().in_transaction():
        db.session.connection(execution_options={"read_only": True})
