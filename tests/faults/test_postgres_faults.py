"""PostgreSQL going away, freezing or holding a lock: commands and reads answer 503 with Retry-After, within bounds.

Through a TCP gate (tcp_gate.py) between the service and the shared server, in a schema of the test's own. Before
issue 15 item 3, the writer's SQLAlchemy OperationalError (a new connection refused) was a 500, and a frozen
server or a held lock kept requests waiting for as long as it lasted.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.faults.tcp_gate import TcpGate
from tests.support import auth, caution_payload

pytestmark = pytest.mark.postgres
CONNECT_SECONDS, STATEMENT_SECONDS = 2.0, 2.0
SLACK = 3.0  # a busy two-core machine, and the pool's own retry of a dead connection


@pytest.fixture
def gate(postgres_schema_url: str) -> Iterator[tuple[TcpGate, str]]:
    url = make_url(postgres_schema_url)
    through = TcpGate((url.host or "127.0.0.1", url.port or 5432))
    yield through, url.set(host="127.0.0.1", port=through.port).render_as_string(hide_password=False)
    through.close()


@pytest.fixture
def client(gate: tuple[TcpGate, str]) -> Iterator[TestClient]:
    settings = Settings(environment="test", database_url=gate[1], run_projections=False,
                        database_connect_timeout_seconds=CONNECT_SECONDS,
                        database_statement_timeout_seconds=STATEMENT_SECONDS)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def _issue(client: TestClient) -> tuple[int, dict[str, str], float]:
    payload = caution_payload(occurred_at=(datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0))
    started = time.monotonic()
    answer = client.post("/v1/cautions", json=payload, headers={**auth("police"), "Idempotency-Key": uuid.uuid4().hex})
    return answer.status_code, dict(answer.headers), time.monotonic() - started


def test_a_server_that_refuses_connections_is_503_on_commands_and_reads(
    client: TestClient, gate: tuple[TcpGate, str],
) -> None:
    assert _issue(client)[0] == 201
    gate[0].cut()
    statuses = [_issue(client) for _ in range(5)]  # the writer's own SQLAlchemy errors, not the event store's
    assert [s for s, _, _ in statuses] == [503] * 5
    assert all(int(h["retry-after"]) > 0 for _, h, _ in statuses)
    read = client.get("/v1/cautions", headers=auth("police"))
    assert read.status_code == 503 and int(read.headers["retry-after"]) > 0
    assert client.get("/readyz").status_code == 503
    gate[0].open()
    assert _issue(client)[0] == 201  # and back without a restart


def test_a_frozen_server_is_503_within_the_connect_timeout(client: TestClient, gate: tuple[TcpGate, str]) -> None:
    assert _issue(client)[0] == 201
    gate[0].freeze()
    attempts = [_issue(client) for _ in range(3)]  # the first may fail fast on its broken pooled connection
    assert all(status == 503 and int(headers["retry-after"]) > 0 for status, headers, _ in attempts)
    took = [t for _, _, t in attempts]
    assert max(took) >= CONNECT_SECONDS * 0.8, took  # a new connection was tried, and waited for...
    assert max(took) < CONNECT_SECONDS * 2 + SLACK, took  # ...no longer than the connect timeout allows


def test_a_statement_stalled_behind_a_lock_is_503_within_the_statement_timeout(
    client: TestClient, postgres_schema_url: str,
) -> None:
    assert _issue(client)[0] == 201
    url = make_url(postgres_schema_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as holder:
        holder.execute("LOCK TABLE cautions_events IN ACCESS EXCLUSIVE MODE")
        status, headers, took = _issue(client)
        holder.rollback()
    assert status == 503 and int(headers["retry-after"]) > 0
    assert STATEMENT_SECONDS * 0.8 < took < STATEMENT_SECONDS + SLACK, took
