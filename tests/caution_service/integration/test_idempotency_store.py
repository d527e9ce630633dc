"""The Idempotency-Key table on a real database: records from before the position column still replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from services.caution_service.config import DEV_MASTER_KEYS, DEV_VAULT_KEY
from services.caution_service.fingerprint_keys import FingerprintKeys
from services.caution_service.idempotency import IdempotencyStore, Receipt, StoredResponse, replay
from services.caution_service.migrations import migrate
from services.caution_service.vault import VictimVault
from shared.keyring import KeyUnavailable, MasterKeys
from tests.shared.legacy_schemas import CAUTIONS_BEFORE_POSITION, create_legacy

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
FINGERPRINTS = FingerprintKeys(MasterKeys.parse(DEV_MASTER_KEYS))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def _receipt(key: str, digest: str = "f" * 64) -> Receipt:
    return Receipt("CAMBS/provider/p-1", key, digest, lambda caution, position: StoredResponse(200, {}))


def test_a_table_from_before_the_position_column_gains_it_and_its_records_replay(engine: Engine) -> None:
    vault = VictimVault(DEV_VAULT_KEY)
    old_body = {"id": "c-1", "version": 2, "position": 7}
    # A database that served requests then held every table of its time, this one without the column.
    create_legacy(engine, CAUTIONS_BEFORE_POSITION)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO cautions_idempotency VALUES (:p, :k, :f, 200, :h, :b, :t)"),
            {"p": "CAMBS/provider/p-1", "k": "old", "f": "f" * 64, "h": json.dumps({"ETag": '"2"'}),
             "b": vault.seal({"body": old_body}), "t": NOW},
        )

    migrate(engine)  # as every process of the service does at start-up
    assert "position" in {column["name"] for column in inspect(engine).get_columns("cautions_idempotency")}
    migrate(engine)  # a second process starting later finds the column there
    store = IdempotencyStore(engine, vault, FINGERPRINTS)

    new = StoredResponse(200, {"id": "c-2", "version": 3, "position": None}, {"ETag": '"3"'})
    row = store.row(_receipt("new"), new, NOW)
    row["position"] = 12
    with engine.begin() as connection:
        store.insert(connection, [row])

    old_record, new_record = store.find("CAMBS/provider/p-1", "old"), store.find("CAMBS/provider/p-1", "new")
    assert old_record is not None and new_record is not None
    assert old_record.position is None and replay(old_record).body == old_body
    assert replay(new_record).body == {"id": "c-2", "version": 3, "position": 12}
    assert replay(new_record).headers == {"ETag": '"3"'}


def test_a_row_is_sealed_without_the_position_which_comes_later(engine: Engine) -> None:
    vault = VictimVault(DEV_VAULT_KEY)
    store = IdempotencyStore(engine, vault, FINGERPRINTS)
    answer = StoredResponse(201, {"id": "c-3", "position": None})
    row = store.row(_receipt("k"), answer, NOW)
    assert vault.open(row["body"]) == {"body": {"id": "c-3", "position": None}}
    assert row["position"] is None  # the writer sets it once the events are inserted


def test_a_body_without_a_position_is_replayed_as_stored() -> None:
    plain = StoredResponse(200, ["not", "a", "caution"])
    assert plain.at_position(9) is plain
    assert StoredResponse(200, {"id": "c"}).at_position(9).body == {"id": "c"}
    assert StoredResponse(200, {"position": None}).at_position(None).body == {"position": None}


def test_fingerprints_from_before_keying_are_keyed_at_start_and_still_match_their_retry(engine: Engine) -> None:
    vault = VictimVault(DEV_VAULT_KEY)
    migrate(engine)
    digest = "ab" * 32  # a bare digest, as records made before keying hold
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO cautions_idempotency (principal_id, key, fingerprint, status_code, "
                                "headers, body, created_at) VALUES (:p, :k, :f, 200, '{}', :b, :t)"),
                           {"p": "CAMBS/provider/p-1", "k": "old", "f": digest, "b": vault.seal({"body": {}}),
                            "t": NOW})
    store = IdempotencyStore(engine, vault, FINGERPRINTS)
    assert store.key_legacy_fingerprints() == 1
    assert store.key_legacy_fingerprints() == 0  # once
    record = store.find("CAMBS/provider/p-1", "old")
    assert record is not None and record.fingerprint_key == "dev" and record.fingerprint != digest
    assert store.same_request(record, _receipt("old", digest))
    assert not store.same_request(record, _receipt("old", "cd" * 32))


def test_a_record_keyed_under_a_master_key_no_longer_configured_cannot_be_checked(engine: Engine) -> None:
    vault, retired = VictimVault(DEV_VAULT_KEY), MasterKeys.generate("2025-01")
    migrate(engine)
    before = IdempotencyStore(engine, vault, FingerprintKeys(MasterKeys.parse(retired)))
    row = before.row(_receipt("k", "ef" * 32), StoredResponse(200, {}), NOW)
    with engine.begin() as connection:
        before.insert(connection, [row])
    after = IdempotencyStore(engine, vault, FINGERPRINTS)
    record = after.find("CAMBS/provider/p-1", "k")
    assert record is not None
    with pytest.raises(KeyUnavailable, match="2025-01"):
        after.same_request(record, _receipt("k", "ef" * 32))
