"""The hot path's statements: SQL written once, compiled once per database, run on the session's
own DBAPI connection, inside the use case's transaction.

Through the ORM a booking sent thirteen statements, each costing 0.2-0.5 ms of Python (the
session, the unit of work, the statement's cache key, the result machinery), more than
PostgreSQL spends running it; now it sends six, each a few tens of microseconds through psycopg,
and psycopg prepares it on the server after its fifth use on a connection (server-side
prepared statements: `prepare_threshold`, psycopg's documentation, "Prepared statements").
docs/benchmarks.md has the profile that led here.

What SQLAlchemy would do around a statement is kept: bind and result values go through the
columns' types (UTCDateTime: aware UTC datetimes in and out, naive UTC stored), errors come
out as SQLAlchemy's (IntegrityError, OperationalError: the outage page still answers 503, a
lost connection is invalidated), and the engine's before_cursor_execute listeners see every
statement (tests/test_query_counts.py counts them).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from sqlalchemy import bindparam, exc, text
from sqlalchemy.types import TypeEngine

from .extensions import db


class Prepared:
    """One statement. `sql` uses :name parameters; a dict {dialect name: sql} where PostgreSQL
    and SQLite need different words. `params` and `columns` name the types of the parameters
    and result columns that need converting (others pass as they are)."""

    def __init__(self, sql: str | Mapping[str, str], *, params: Mapping[str, TypeEngine] | None = None,
                 columns: Mapping[str, TypeEngine] | None = None):
        self._sql = dict(sql) if isinstance(sql, Mapping) else {"*": sql}
        self._params = dict(params or {})
        self._columns = dict(columns or {})
        self._by_dialect: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def all(self, **values) -> list[tuple]:
        """The rows, as tuples (after the result types' conversions)."""
        return _run(self, [values], fetch=True)[0]

    def first(self, **values) -> tuple | None:
        rows = self.all(**values)
        return rows[0] if rows else None

    def scalar(self, **values):
        row = self.first(**values)
        return None if row is None else row[0]

    def rowcount(self, **values) -> int:
        """Runs the statement; how many rows it changed."""
        return _run(self, [values], fetch=False)[1]

    def many(self, rows: Sequence[Mapping]) -> None:
        """Runs the statement once per row of values (psycopg sends them in one pipeline)."""
        if rows:
            _run(self, list(rows), fetch=False)

    def compiled(self, dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            with self._lock:
                found = self._by_dialect.setdefault(dialect.name, _Compiled(self, dialect))
        return found


class _Compiled:
    """A statement as one database's driver takes it: the SQL string, the parameters' order
    (for positional drivers) and the type conversions to apply."""

    def __init__(self, prepared: Prepared, dialect):
        sql = prepared._sql.get(dialect.name, prepared._sql.get("*"))
        clause = text(sql).bindparams(*(bindparam(name, type_=type_) for name, type_ in prepared._params.items()))
        compiled = clause.compile(dialect=dialect)
        self.sql = compiled.string
        self.positions = compiled.positiontup if compiled.positional else None
        self.names = list(compiled.binds)
        self.bind = {name: proc for name, type_ in prepared._params.items()
                     if (proc := type_._cached_bind_processor(dialect)) is not None}
        self.result = {name: proc for name, type_ in prepared._columns.items()
                       if (proc := type_._cached_result_processor(dialect, None)) is not None}
        self._converters: list[tuple[int, object]] | None = None

    def parameters(self, values: Mapping):
        if self.bind:
            values = {name: (self.bind[name](value) if name in self.bind else value)
                      for name, value in values.items()}
        if self.positions is not None:
            return tuple(values[name] for name in self.positions)
        return values

    def rows(self, cursor) -> list[tuple]:
        rows = cursor.fetchall()
        if not self.result:
            return rows
        converters = self._converters
        if converters is None:  # the columns' order is the statement's: found once
            converters = self._converters = [(i, self.result[column[0]]) for i, column
                                             in enumerate(cursor.description) if column[0] in self.result]
        converted = []
        for row in rows:
            row = list(row)
            for i, convert in converters:
                row[i] = convert(row[i])
            converted.append(tuple(row))
        return converted


_KEPT = "prepared.connection"  # session.info key: (root transaction, Connection, DBAPI cursor)


def _connection_and_cursor():
    """The Connection of the session's transaction (begun if it was not) and a DBAPI cursor on
    it. Asking the session each time costs more than the statement's own Python (its state
    machine), and so does a new psycopg cursor (its adapters' map): both are kept in
    session.info beside the transaction they belong to, and used while it is active."""
    session = db.session()
    transaction = session.get_transaction()
    kept = session.info.get(_KEPT)
    if kept is not None and transaction is kept[0] and transaction.is_active:
        return kept[1], kept[2]
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()
    session.info[_KEPT] = (session.get_transaction(), connection, cursor)
    return connection, cursor


def _run(prepared: Prepared, values: list[Mapping], fetch: bool) -> tuple[list[tuple], int]:
    connection, cursor = _connection_and_cursor()  # the use case's transaction
    dialect = connection.dialect
    compiled = prepared.compiled(dialect)
    parameters = [compiled.parameters(v) for v in values]
    many = len(parameters) > 1
    if connection._has_events or connection.engine._has_events:
        connection.dispatch.before_cursor_execute(connection, cursor, compiled.sql,
                                                  parameters if many else parameters[0], None, many)
    try:
        if many:
            cursor.executemany(compiled.sql, parameters)
        else:
            cursor.execute(compiled.sql, parameters[0])
        rows = compiled.rows(cursor) if fetch else []
        return rows, cursor.rowcount
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, connection.connection.driver_connection, cursor)
        if lost:
            connection.invalidate(error)
        raise exc.DBAPIError.instance(compiled.sql, parameters, error, dialect.loaded_dbapi.Error,
                                      connection_invalidated=lost, dialect=dialect) from error
