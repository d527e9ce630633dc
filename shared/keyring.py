"""Envelope encryption per person: each person's fields sealed under a data key of their own, wrapped by a master key.

Why: a compliance record must stay verifiable for a court, and must also forget a person when the law says
so (Data Protection Act 2018 s.47 erasure, s.39 retention). Sealing each person's fields under their own
key lets one person be erased alone by destroying that key (crypto-shredding): the sealed bytes stay where
they are, so an integrity chain over them still verifies, but nobody holding the database and the master
key can open them again.

Data keys are AES-256-GCM keys, stored only wrapped (AES-GCM under a master key) beside the id of the
master key that wrapped them. Master keys come from configuration with ids, so they can be rotated:
`rotate()` rewraps every data key under the current master key and touches no sealed data.

A seal is text, `p1.<data key id>.<base64url of nonce and ciphertext>`. The data key id is random (never
derived from personal data) and is bound into the ciphertext as associated data, so a seal moved to
another person's key does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

# Development's master keys (`id:base64url-key`, current first); production refuses them (each service's config).
DEV_MASTER_KEYS = "dev:Y2FyYS1kZXZlbG9wbWVudC1tYXN0ZXIta2V5LTMyYiE"
SEAL_PREFIX = "p1."
NONCE_BYTES = 12
KEY_BYTES = 32

metadata = MetaData()

person_keys = Table(
    "person_keys",
    metadata,
    Column("key_id", String(36), primary_key=True),
    Column("master_key_id", String(64), nullable=False),
    Column("wrapped", Text, nullable=False),  # base64url of nonce and the data key sealed under the master key
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class KeyUnavailable(Exception):
    """The data key is wrapped by a master key this process was not given: configuration, not the caller's fault."""


class Erased(Exception):
    """The person's data key was destroyed: what was sealed under it can never be opened again."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"data key {key_id} was destroyed")
        self.key_id = key_id


class BadSeal(ValueError):
    """Not a seal this keyring made, or one altered since."""


@dataclass(frozen=True)
class MasterKeys:
    """The master keys by id; `current` wraps new data keys, the others still unwrap until a rotation."""

    keys: Mapping[str, bytes]
    current: str

    @classmethod
    def parse(cls, spec: str) -> MasterKeys:
        """`id:base64url-key[,id:base64url-key...]`, current first; each key 32 random bytes."""
        keys: dict[str, bytes] = {}
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            key_id, sep, encoded = part.partition(":")
            if not sep or not key_id or len(key_id) > 64:
                raise ValueError("master keys are written id:base64url-key, separated by commas")
            try:
                key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except (binascii.Error, ValueError):
                raise ValueError(f"master key {key_id} is not base64url") from None
            if len(key) != KEY_BYTES:
                raise ValueError(f"master key {key_id} must be {KEY_BYTES} bytes, not {len(key)}")
            if key_id in keys:
                raise ValueError(f"master key id {key_id} is given twice")
            keys[key_id] = key
        if not keys:
            raise ValueError("at least one master key is needed")
        return cls(keys, next(iter(keys)))

    def derive(self, key_id: str, purpose: bytes) -> bytes:
        """A 256-bit key for one purpose (HKDF from the master key), so a key serves one use and no other."""
        master = self.keys.get(key_id)
        if master is None:
            raise KeyUnavailable(f"master key {key_id} is not configured")
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(master)

    @staticmethod
    def generate(key_id: str) -> str:
        """A new master key in the form `parse` reads (for `make` targets and tests)."""
        return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip('=')}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class KeyRing:
    """Data keys per person in the `person_keys` table; seals and opens their fields.

    Opened data keys are kept in memory for `cache_seconds`, so a key destroyed by another process may
    still open seals here for that long; the database no longer holds it at once.
    """

    def __init__(self, engine: Engine, masters: MasterKeys, clock: Callable[[], datetime] = _utc_now,
                 cache_seconds: float = 60.0, cache_size: int = 10_000) -> None:
        self._engine = engine
        self._masters = masters
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cache_size = cache_size
        self._cache: OrderedDict[str, tuple[float, AESGCM]] = OrderedDict()
        self._prepared: dict[str, dict[str, Any]] = {}
        self._wrappings: dict[str, AESGCM] = {}  # key id -> its person_keys row, until stored or discarded
        self._lock = threading.Lock()

    # ----- data keys ---------------------------------------------------------------------------

    def new_key(self) -> str:
        """A data key for one person, committed now, before anything is sealed under it; returns its id."""
        key_id = self.prepare_key()
        with self._engine.begin() as connection:
            connection.execute(insert(person_keys), self.prepared_rows([key_id]))
        self.discard_prepared([key_id])
        return key_id

    def prepare_key(self) -> str:
        """A data key for one person, made now and stored (`prepared_rows`) in the transaction that records
        the first seal under it, so a key exists exactly when something sealed under it was recorded."""
        key_id = str(uuid.uuid4())
        data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        row = {"key_id": key_id, "master_key_id": self._masters.current, "wrapped": self._wrap(key_id, data_key),
               "created_at": self._clock()}
        with self._lock:
            self._prepared[key_id] = row
        self._remember(key_id, AESGCM(data_key))
        return key_id

    def prepared_rows(self, key_ids: list[str]) -> list[dict[str, Any]]:
        """The `person_keys` rows of these prepared keys, for the caller to insert in the transaction that records
        the first seal under them (`discard_prepared` forgets them once it commits).

        An id this keyring did not prepare has no key to store: a caution made straight from domain values
        (tests, the benchmark's library baseline) names stand-in ids, and its seals read as erased."""
        with self._lock:
            return [self._prepared[key_id] for key_id in key_ids if key_id in self._prepared]

    def discard_prepared(self, key_ids: list[str]) -> None:
        """Forgets prepared keys: stored now, or never to be (the command that made them was refused)."""
        with self._lock:
            for key_id in key_ids:
                self._prepared.pop(key_id, None)

    def destroy(self, key_id: str) -> bool:
        """Erase everything sealed under this key; False when it was already gone."""
        with self._engine.begin() as connection:
            return self.destroy_in(connection, [key_id]) == 1

    def destroy_in(self, connection: Connection, key_ids: list[str]) -> int:
        """Destroys these keys in the caller's transaction (with the erasure it records); returns how many were held."""
        deleted = connection.execute(delete(person_keys).where(person_keys.c.key_id.in_(key_ids))).rowcount
        with self._lock:
            for key_id in key_ids:
                self._cache.pop(key_id, None)
        return int(deleted)

    def rotate(self, batch: int = 500) -> int:
        """Rewrap every data key not wrapped by the current master key; returns how many were rewrapped."""
        done = 0
        k = person_keys.c
        while True:
            with self._engine.begin() as connection:
                rows = connection.execute(select(k.key_id, k.master_key_id, k.wrapped).where(
                    k.master_key_id != self._masters.current).limit(batch)).all()
                for row in rows:
                    data_key = self._unwrap(row.key_id, row.master_key_id, row.wrapped)
                    connection.execute(update(person_keys).where(k.key_id == row.key_id).values(
                        master_key_id=self._masters.current, wrapped=self._wrap(row.key_id, data_key)))
            done += len(rows)
            if len(rows) < batch:
                return done

    # ----- sealing -----------------------------------------------------------------------------

    def seal(self, key_id: str, value: Any) -> str:
        """The value (anything JSON can hold) sealed under the person's data key."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._data_key(key_id).encrypt(nonce, orjson.dumps(value, option=orjson.OPT_SORT_KEYS),
                                                key_id.encode())
        return f"{SEAL_PREFIX}{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, seal: str) -> Any:
        """The sealed value; raises Erased once the person's key is destroyed, KeyUnavailable without its master."""
        key_id, raw = _parts(seal)
        try:
            plain = self._data_key(key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise BadSeal("the seal does not open with its person's key") from None
        return orjson.loads(plain)

    # ----- internals ---------------------------------------------------------------------------

    def _data_key(self, key_id: str) -> AESGCM:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key_id)
            if cached is not None and now - cached[0] < self._cache_seconds:
                return cached[1]
        k = person_keys.c
        with self._engine.connect() as connection:
            row = connection.execute(select(k.master_key_id, k.wrapped).where(k.key_id == key_id)).first()
        if row is not None:
            master_key_id, wrapped = row.master_key_id, row.wrapped
        else:
            with self._lock:
                prepared = self._prepared.get(key_id)
            if prepared is None:
                raise Erased(key_id)
            master_key_id, wrapped = prepared["master_key_id"], prepared["wrapped"]
        data_key = AESGCM(self._unwrap(key_id, master_key_id, wrapped))
        self._remember(key_id, data_key)
        return data_key

    def _remember(self, key_id: str, data_key: AESGCM) -> None:
        with self._lock:
            self._cache[key_id] = (time.monotonic(), data_key)
            self._cache.move_to_end(key_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _wrapping(self, master_key_id: str) -> AESGCM:
        """The cipher that wraps data keys under this master key, derived once (every caution issued wraps two)."""
        wrapping = self._wrappings.get(master_key_id)
        if wrapping is None:
            wrapping = self._wrappings[master_key_id] = AESGCM(self._masters.derive(master_key_id, _WRAPPING))
        return wrapping

    def _wrap(self, key_id: str, data_key: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        wrapping = self._wrapping(self._masters.current)
        return base64.urlsafe_b64encode(nonce + wrapping.encrypt(nonce, data_key, key_id.encode())).decode()

    def _unwrap(self, key_id: str, master_key_id: str, wrapped: str) -> bytes:
        raw = base64.urlsafe_b64decode(wrapped)
        try:
            wrapping = self._wrapping(master_key_id)
            return wrapping.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], key_id.encode())
        except KeyUnavailable:
            raise KeyUnavailable(f"data key {key_id} is wrapped by master key {master_key_id}, "
                                 "which is not configured") from None
        except InvalidTag:
            raise KeyUnavailable(f"master key {master_key_id} does not open data key {key_id}") from None


_WRAPPING = b"CARA person key wrapping"


def split_seal(seal: str, prefix: str) -> tuple[str, bytes]:
    """`<prefix><key id>.<base64url of nonce and ciphertext>` apart: the key id and the raw bytes."""
    key_id, sep, encoded = seal.removeprefix(prefix).rpartition(".")
    try:
        raw = base64.b64decode(encoded, altchars=b"-_", validate=True)
    except (ValueError, binascii.Error):
        raise BadSeal("not a seal") from None
    if not seal.startswith(prefix) or not sep or not key_id or len(raw) <= NONCE_BYTES:
        raise BadSeal("not a seal")
    return key_id, raw


def _parts(seal: str) -> tuple[str, bytes]:
    key_id, raw = split_seal(seal, SEAL_PREFIX)
    try:
        uuid.UUID(key_id)
    except ValueError:
        raise BadSeal("not a person seal") from None
    return key_id, raw
