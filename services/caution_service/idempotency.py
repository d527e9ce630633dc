"""Durable Idempotency-Key records, written in the same transaction as the events they answer for."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from .driver_sql import InListSelect, InsertMany
from .fingerprint_keys import FingerprintKeys
from .vault import VictimVault


class Base(DeclarativeBase):
    pass


class IdempotencyRecord(Base):
    __tablename__ = "cautions_idempotency"

    principal_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # HMAC of the request's digest under the key of the master key named beside it (fingerprint_keys.py);
    # a record from before keying holds the bare digest until start-up keys it (`key_legacy_fingerprints`).
    fingerprint: Mapped[str] = mapped_column(String(64))
    fingerprint_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_code: Mapped[int] = mapped_column(Integer)
    headers: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The store position the answer reports, kept beside the sealed body rather than in it: the
    # writer seals the body before its transaction, and the position is known only once the events
    # are inserted (writer.py). Null in records written before this column (migration 0002), whose bodies hold it.
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)


class KeyReused(Exception):
    """The caller sent a different request under a key it had used already: refused, never answered as the first."""


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def at_position(self, position: int | None) -> StoredResponse:
        """The same answer with the store position it reports filled in (a body without one is kept)."""
        if position is None or not isinstance(self.body, dict) or "position" not in self.body:
            return self
        return StoredResponse(self.status_code, {**self.body, "position": position}, self.headers)


@dataclass(frozen=True)
class Receipt:
    """What a caller asked under one key, and how to render the answer once the events are saved."""

    principal_id: str
    key: str
    fingerprint: str
    render: Callable[[Any, int | None], StoredResponse]


# Built once: json.dumps builds a new encoder on every call that passes options.
_canonical_json = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return _digest(method, path, body)
    return fingerprint_of(method, path, data)


def fingerprint_of(method: str, path: str, data: Any) -> str:
    """The fingerprint of a body already parsed (e.g. `model.model_dump(mode="json")`), without a JSON round trip.

    Records stored earlier hold fingerprints made this way too, so the canonical form must not change."""
    return _digest(method, path, _canonical_json(data).encode())


def _digest(method: str, path: str, canonical: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


# What a replay needs (created_at is for housekeeping, and SQLite's driver would give it as text).
_FOUND_COLUMNS = ("principal_id", "key", "fingerprint", "fingerprint_key", "status_code", "headers", "body", "position")


class IdempotencyStore:
    def __init__(self, engine: Engine, vault: VictimVault, fingerprints: FingerprintKeys) -> None:
        self._engine = engine
        self._vault = vault  # seals stored bodies: a victim contact's response holds victim details
        self._fingerprints = fingerprints
        table = Base.metadata.tables[IdempotencyRecord.__tablename__]  # the mapped class's table, typed as a Table
        # Two plain INs use the primary key on every database (SQLite scans for a row-value IN); the
        # cross-product's extra rows are dropped by the caller.
        self._find = InListSelect(engine.dialect, [table.c[name] for name in _FOUND_COLUMNS],
                                  [table.c.key, table.c.principal_id])
        self._insert = InsertMany(engine.dialect, list(table.c))  # the table is made by migrations/

    def find(self, principal_id: str, key: str) -> IdempotencyRecord | None:
        return self.find_many([(principal_id, key)]).get((principal_id, key))

    def find_many(
        self, slots: list[tuple[str, str]], connection: Connection | Session | None = None
    ) -> dict[tuple[str, str], IdempotencyRecord]:
        """The records already stored for these (caller, key) pairs, bodies opened.

        Given a connection or session, reads through it (the writer shares one per batch).
        """
        keys, principals = list({key for _, key in slots}), list({p for p, _ in slots})
        if connection is None:
            with self._engine.connect() as own:
                rows = self._find.rows(own, keys, principals)
        else:
            rows = self._find.rows(_connection_of(connection), keys, principals)
        wanted, found = set(slots), {}
        for row in rows:
            values = dict(zip(_FOUND_COLUMNS, row, strict=True))  # the row holds exactly these columns
            slot = (values["principal_id"], values["key"])
            if slot in wanted:
                opened = self._vault.open(values["body"])
                assert opened is not None  # row() always seals {"body": ...}, which is never empty
                values["body"] = json.dumps(opened["body"])
                found[slot] = IdempotencyRecord(**values)
        return found

    def row(self, receipt: Receipt, response: StoredResponse, now: datetime) -> dict[str, Any]:
        """The record to insert, sealed now; the caller sets row["position"] once the events are inserted."""
        return {
            "principal_id": receipt.principal_id,
            "key": receipt.key,
            "fingerprint": self._fingerprints.keyed(receipt.fingerprint),
            "fingerprint_key": self._fingerprints.current,
            "status_code": response.status_code,
            "headers": orjson.dumps(response.headers).decode(),  # read back with json.loads
            "body": self._vault.seal({"body": response.body}),
            "created_at": now,
            "position": None,
        }

    def same_request(self, record: IdempotencyRecord, receipt: Receipt) -> bool:
        """Whether the stored record answers this request (the same caller, key and request body)."""
        return self._fingerprints.same(record.fingerprint, record.fingerprint_key, receipt.fingerprint)

    def key_legacy_fingerprints(self, batch: int = 500) -> int:
        """Keys the bare digests of records stored before fingerprints were keyed; returns how many.

        Run at start-up, after the migrations: until then a database reader could test guesses of a
        request (a victim's phone number) against them. Two processes doing it at once write the same values.
        """
        table, done = Base.metadata.tables[IdempotencyRecord.__tablename__], 0
        c, keys = table.c, self._fingerprints
        while True:
            with self._engine.begin() as connection:
                rows = connection.execute(select(c.principal_id, c.key, c.fingerprint)
                                          .where(c.fingerprint_key.is_(None)).limit(batch)).all()
                for row in rows:
                    unkeyed = (c.principal_id == row.principal_id, c.key == row.key, c.fingerprint_key.is_(None))
                    connection.execute(update(table).where(*unkeyed).values(
                        fingerprint=keys.keyed(row.fingerprint), fingerprint_key=keys.current))
            done += len(rows)
            if len(rows) < batch:
                return done

    def insert(self, session: Session | Connection, rows: list[dict[str, Any]]) -> None:
        """Executed now, not at flush, so a duplicate key surfaces inside the caller's transaction."""
        if rows:
            self._insert.execute(_connection_of(session), rows)


def _connection_of(connection: Connection | Session) -> Connection:
    return connection.connection() if isinstance(connection, Session) else connection


def replay(record: IdempotencyRecord) -> StoredResponse:
    stored = StoredResponse(record.status_code, json.loads(record.body), json.loads(record.headers))
    return stored.at_position(record.position)

