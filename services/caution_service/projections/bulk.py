"""Writing a batch's rows: on PostgreSQL one statement per table, elsewhere an executemany.

psycopg runs an executemany as one pipelined statement per row, which costs this process
25-50 µs a row. On PostgreSQL the rows therefore go as one JSON parameter that a single
INSERT or UPDATE expands with json_populate_recordset, typed by the table's own row type:
a few µs a row. Dates and times travel as ISO text, which PostgreSQL reads back as the same
value, so the stored rows are the same either way. SQLite's executemany loops in C and stays.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, TextClause, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql

_quote = postgresql.dialect().identifier_preparer.quote


def _iso(value: Any) -> str:
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


_json = json.JSONEncoder(ensure_ascii=False, default=_iso).encode

WriteStep = Callable[[Connection], None]  # a projection's writes for one batch, built before any of them run


def nothing_to_write(connection: Connection) -> None:
    pass


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT the rows; they all have the same keys."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(_postgresql_insert(table.name, tuple(rows[0])), {"rows": _json(rows)})
    else:
        connection.execute(_insert(table), rows)


def update_rows(connection: Connection, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    """UPDATE the row each dict names by its `key` column to its other values; they all have the same keys."""
    if not rows:
        return
    columns = tuple(name for name in rows[0] if name != key)
    if connection.dialect.name == "postgresql":
        connection.execute(_postgresql_update(table.name, key, columns), {"rows": _json(rows)})
    else:
        by_key = f"b_{key}"  # a column's own name is taken by its SET value
        connection.execute(_update(table, key),
                           [{**{name: row[name] for name in columns}, by_key: row[key]} for row in rows])


@lru_cache(maxsize=64)
def _insert(table: Table) -> Any:
    return insert(table)


@lru_cache(maxsize=64)
def _update(table: Table, key: str) -> Any:
    return update(table).where(table.c[key] == bindparam(f"b_{key}"))  # SETs the keys it is given


@lru_cache(maxsize=64)
def _postgresql_insert(table: str, columns: tuple[str, ...]) -> TextClause:
    names = ", ".join(_quote(name) for name in columns)
    return text(f"INSERT INTO {_quote(table)} ({names}) SELECT {names} "
                f"FROM json_populate_recordset(NULL::{_quote(table)}, CAST(:rows AS json))")


@lru_cache(maxsize=64)
def _postgresql_update(table: str, key: str, columns: tuple[str, ...]) -> TextClause:
    assignments = ", ".join(f"{_quote(name)} = v.{_quote(name)}" for name in columns)
    return text(f"UPDATE {_quote(table)} SET {assignments} "
                f"FROM json_populate_recordset(NULL::{_quote(table)}, CAST(:rows AS json)) AS v "
                f"WHERE {_quote(table)}.{_quote(key)} = v.{_quote(key)}")
