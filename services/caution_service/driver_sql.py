"""Small SELECTs with IN lists, sent as plain SQL through the driver: the writer's reads before every batch.

Built with SQLAlchemy Core, each of those reads cost about four times its SQL (an execution context,
the expanding IN rendered anew, result processing), and together they were a fifth of the writer's
CPU (measured per batch phase). Here the text for each length of list is rendered once, in the
driver's parameter style. On SQLite, values pass through the column types' own converters (a UUID is
stored as 16 bytes), so they are written and read exactly as SQLAlchemy would. psycopg adapts UUIDs,
strings and integers itself, both ways, so on PostgreSQL they pass as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Connection
from sqlalchemy.engine import Dialect


def _identity(value: Any) -> Any:
    return value


class InListSelect:
    """`SELECT <columns> FROM <table> WHERE <in_columns[0]> IN (...) AND <in_columns[1]> IN (...) <tail>`."""

    def __init__(self, dialect: Dialect, columns: Sequence[Column[Any]], in_columns: Sequence[Column[Any]],
                 tail: str = "", select_list: str | None = None) -> None:
        quote = dialect.identifier_preparer
        table = columns[0].table
        self._head = (f"SELECT {select_list or ', '.join(quote.quote(c.name) for c in columns)} "
                      f"FROM {quote.format_table(table)} WHERE ")  # type: ignore[arg-type]
        self._in_names = [quote.quote(c.name) for c in in_columns]
        self._tail = f" {tail}" if tail else ""
        self._placeholder = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
        converts = dialect.name != "postgresql"
        self._binds: list[Callable[[Any], Any]] = [
            (c.type.bind_processor(dialect) if converts else None) or _identity for c in in_columns]
        self._results: list[Callable[[Any], Any]] = [
            (c.type.result_processor(dialect, None) if converts else None) or _identity for c in columns]
        self._texts: dict[tuple[int, ...], str] = {}

    def text(self, lengths: tuple[int, ...]) -> str:
        sql = self._texts.get(lengths)
        if sql is None:
            conditions = [f"{name} IN ({', '.join([self._placeholder] * n)})" for name, n in zip(self._in_names, lengths)]
            sql = self._texts[lengths] = self._head + " AND ".join(conditions) + self._tail
        return sql

    def rows(self, connection: Connection, *lists: Sequence[Any]) -> list[tuple[Any, ...]]:
        params = tuple(bind(value) for bind, values in zip(self._binds, lists) for value in values)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.text(tuple(len(values) for values in lists)), params)
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        results = self._results
        return [tuple(convert(value) for convert, value in zip(results, row)) for row in fetched]
