"""The writer's statements on every batch, sent as plain SQL through the driver.

Built with SQLAlchemy Core, each of the batch's reads cost about four times its SQL (an execution
context, an expanding IN rendered anew, result processing), and the inserts half as much again as
theirs: together a quarter of the writer's CPU (measured per batch phase). Here the text for each
length of list is rendered once, in the driver's parameter style. On SQLite, values pass through the
column types' own converters (a UUID is stored as 16 bytes, a time as text), so they are written and
read exactly as SQLAlchemy would. psycopg adapts UUIDs, strings, bytes, integers and times itself,
both ways, so on PostgreSQL they pass as they are. The driver's errors are raised as the event
store's own (a broken unique key as its IntegrityError), as SQLAlchemy's would have been.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from eventsourcing import persistence
from sqlalchemy import Column, Connection, Table
from sqlalchemy.engine import Dialect

# Each statement's parameters stay far below the drivers' limits (SQLite 32,766, PostgreSQL 65,535)
# whatever the table, and a writer's batch (64 commands) still goes in one.
ROWS_PER_STATEMENT = 500


# The driver's errors (PEP 249), most specific first, as the event store's own: what SQLAlchemy's
# errors became in the event store's transactions, so callers and the API's handlers see the same
# (a duplicate key falls back to one command at a time; a database that stays locked is a 503).
_STORE_ERRORS = [
    (name, getattr(persistence, name))
    for name in ("IntegrityError", "OperationalError", "DataError", "ProgrammingError", "NotSupportedError",
                 "InternalError", "InterfaceError", "DatabaseError")
] + [("Error", persistence.PersistenceError)]


def _identity(value: Any) -> Any:
    return value


class _DriverStatement:
    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._quote = dialect.identifier_preparer
        # pysqlite takes `?`; psycopg (pyformat) takes positional `%s` with a tuple. Others are not supported.
        if dialect.paramstyle not in ("qmark", "format", "pyformat"):
            raise ValueError(f"no positional placeholder known for paramstyle {dialect.paramstyle!r}")
        self._placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
        self._converts = dialect.name != "postgresql"
        dbapi = dialect.loaded_dbapi
        self._errors = [(getattr(dbapi, name), ours) for name, ours in _STORE_ERRORS if hasattr(dbapi, name)]
        self._texts: dict[tuple[int, ...], str] = {}

    def _bind(self, column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
        return (column.type.bind_processor(dialect) if self._converts else None) or _identity

    def _result(self, column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
        return (column.type.result_processor(dialect, None) if self._converts else None) or _identity

    def _table(self, table: Table) -> str:
        return self._quote.format_table(table)

    def _placeholders(self, n: int) -> str:
        return ", ".join([self._placeholder] * n)

    @contextmanager
    def _cursor(self, connection: Connection) -> Iterator[Any]:
        driver = connection.connection.driver_connection
        assert driver is not None  # a connection checked out of the pool has one
        cursor = driver.cursor()
        try:
            yield cursor
        except Exception as e:
            if isinstance(e, self._dialect.loaded_dbapi.Error) and self._dialect.is_disconnect(e, driver, cursor):
                # What SQLAlchemy does for its own statements: a connection the server dropped is not given back to
                # the pool to fail the next caller too (or hang it while its reset is tried on a dead socket).
                with suppress(Exception):
                    connection.invalidate(e)
            for theirs, ours in self._errors:
                if isinstance(e, theirs):
                    raise ours(str(e)) from e
            raise
        finally:
            cursor.close()


class InListSelect(_DriverStatement):
    """`SELECT <columns> FROM <table> WHERE <in_columns[0]> IN (...) AND <in_columns[1]> IN (...) <tail>`."""

    def __init__(self, dialect: Dialect, columns: Sequence[Column[Any]], in_columns: Sequence[Column[Any]],
                 tail: str = "", select_list: str | None = None) -> None:
        super().__init__(dialect)
        self._head = (f"SELECT {select_list or ', '.join(self._quote.quote(c.name) for c in columns)} "
                      f"FROM {self._table(columns[0].table)} WHERE ")
        self._in_names = [self._quote.quote(c.name) for c in in_columns]
        self._tail = f" {tail}" if tail else ""
        self._binds = [self._bind(c, dialect) for c in in_columns]
        self._results = [self._result(c, dialect) for c in columns]

    def text(self, lengths: tuple[int, ...]) -> str:
        sql = self._texts.get(lengths)
        if sql is None:
            conditions = [f"{name} IN ({self._placeholders(n)})"
                          for name, n in zip(self._in_names, lengths, strict=True)]
            sql = self._texts[lengths] = self._head + " AND ".join(conditions) + self._tail
        return sql

    def rows(self, connection: Connection, *lists: Sequence[Any]) -> list[tuple[Any, ...]]:
        if not all(lists):
            return []  # `IN ()` matches nothing, and PostgreSQL refuses to parse it
        params = tuple(bind(value) for bind, values in zip(self._binds, lists, strict=True) for value in values)
        with self._cursor(connection) as cursor:
            cursor.execute(self.text(tuple(len(values) for values in lists)), params)
            fetched = cursor.fetchall()
        results = self._results
        return [tuple(convert(value) for convert, value in zip(results, row, strict=True)) for row in fetched]


class FixedSelect(_DriverStatement):
    """A SELECT whose text never changes: `{table}` is the columns' table, `{p}` a placeholder of the driver's."""

    def __init__(self, dialect: Dialect, columns: Sequence[Column[Any]], where: str) -> None:
        super().__init__(dialect)
        names = ", ".join(self._quote.quote(c.name) for c in columns)
        self._sql = f"SELECT {names} FROM {self._table(columns[0].table)} WHERE " + where.replace(
            "{p}", self._placeholder)
        self._results = [self._result(c, dialect) for c in columns]

    def rows(self, connection: Connection, *params: Any) -> list[tuple[Any, ...]]:
        with self._cursor(connection) as cursor:
            cursor.execute(self._sql, params)
            fetched = cursor.fetchall()
        results = self._results
        return [tuple(convert(value) for convert, value in zip(results, row, strict=True)) for row in fetched]


class InsertMany(_DriverStatement):
    """`INSERT INTO <table> (<columns>) VALUES (...), (...) [RETURNING <returning>]`, one statement for all rows."""

    def __init__(self, dialect: Dialect, columns: Sequence[Column[Any]], returning: Sequence[Column[Any]] = ()) -> None:
        super().__init__(dialect)
        self._names = [c.name for c in columns]
        self._head = (f"INSERT INTO {self._table(columns[0].table)} "
                      f"({', '.join(self._quote.quote(name) for name in self._names)}) VALUES ")
        self._returning = f" RETURNING {', '.join(self._quote.quote(c.name) for c in returning)}" if returning else ""
        self._binds = [self._bind(c, dialect) for c in columns]
        self._results = [self._result(c, dialect) for c in returning]

    def text(self, rows: int) -> str:
        sql = self._texts.get((rows,))
        if sql is None:
            one = f"({self._placeholders(len(self._names))})"
            sql = self._texts[(rows,)] = self._head + ", ".join([one] * rows) + self._returning
        return sql

    def execute(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Inserts the rows (dicts keyed by column name), in statements of at most ROWS_PER_STATEMENT rows
        in the order given; returns the RETURNING rows, in no promised order."""
        binds = list(zip(self._names, self._binds, strict=True))
        results, fetched = self._results, []
        with self._cursor(connection) as cursor:
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start:start + ROWS_PER_STATEMENT]
                cursor.execute(self.text(len(chunk)), tuple(bind(row[name]) for row in chunk for name, bind in binds))
                if self._returning:
                    fetched.extend(cursor.fetchall())
        return [tuple(convert(value) for convert, value in zip(results, row, strict=True)) for row in fetched]
