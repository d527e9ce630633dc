"""The Idempotency-Key table on a real database: records from before the position column still replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from services.caution_service.config import DEV_VAULT_KEY
from services.caution_service.idempotency import IdempotencyStore, Receipt, StoredResponse, replay
from services.caution_service.migrations import migrate
from services.caution_service.vault import VictimVault

OLD_TABLE = """CREATE TABLE cautions_idempotency (
    principal_id VARCHAR(400) NOT NULL, key VARCHAR(200) NOT NULL, fingerprint VARCHAR(64) NOT NULL,
    status_code INTEGER NOT NULL, headers TEXT NOT NULL, body TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (principal_id, key))"""
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def _receipt(key: str) -> Receipt:
    return Receipt("CAMBS/provider/p-1", key, "f" * 64, lambda caution, position: StoredResponse(200, {}))


def test_a_table_from_before_the_position_column_gains_it_and_its_records_replay(engine: Engine) -> None:
    vault = VictimVault(DEV_VAULT_KEY)
    old_body = {"id": "c-1", "version": 2, "position": 7}
    with engine.begin() as connection:
        connection.execute(text(OLD_TABLE))
        connection.execute(
            text("INSERT INTO cautions_idempotency VALUES (:p, :k, :f, 200, :h, :b, :t)"),
            {"p": "CAMBS/provider/p-1", "k": "old", "f": "f" * 64, "h": json.dumps({"ETag": '"2"'}),
             "b": vault.seal({"body": old_body}), "t": NOW},
        )

    migrate(engine)  # as every process of the service does at start-up
    assert "position" in {column["name"] for column in inspect(engine).get_columns("cautions_idempotency")}
    migrate(engine)  # a second process starting later finds the column there
    store = IdempotencyStore(engine, vault)

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
    store = IdempotencyStore(engine, vault)
    answer = StoredResponse(201, {"id": "c-3", "position": None})
    row = store.row(_receipt("k"), answer, NOW)
    assert vault.open(row["body"]) == {"body": {"id": "c-3", "position": None}}
    assert row["position"] is None  # the writer sets it once the events are inserted


def test_a_body_without_a_position_is_replayed_as_stored() -> None:
    plain = StoredResponse(200, ["not", "a", "caution"])
    assert plain.at_position(9) is plain
    assert StoredResponse(200, {"id": "c"}).at_position(9).body == {"id": "c"}
    assert StoredResponse(200, {"position": None}).at_position(None).body == {"position": None}
