"""Fixtures for every tier: settings on a fresh SQLite file, PostgreSQL when reachable, a test client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.main import create_app
from tests.httpx_tls_context import share_the_default_tls_context
from tests.support import FakeClock
from tests.worker_cores import WorkerCores

# Fixtures every tier of both services' tests may use: a caution driven over HTTP, services as processes.
pytest_plugins = ["tests.caution_fixtures", "tests.process_fixtures"]

CORES = pytest.StashKey[WorkerCores]()


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each worker's basetemp is a folder of the run's own basetemp: the workers' locks go
    there (pytest removes old runs' folders)."""
    share_the_default_tls_context()
    if hasattr(config, "workerinput") and config.option.basetemp:
        config.stash[CORES] = WorkerCores(Path(config.option.basetemp).parent)


def pytest_unconfigure(config: pytest.Config) -> None:
    if CORES in config.stash:
        config.stash[CORES].close()


FAULTS = Path(__file__).parent / "faults"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each fault test drives a service under a load that takes both cores, and several bound how long the
    recovery may take: none shares the machine with another worker's test."""
    for item in items:
        if FAULTS in item.path.parents:
            item.add_marker(pytest.mark.alone)


def _alone(item: pytest.Item | None) -> bool:
    return item is not None and item.get_closest_marker("alone") is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Around the whole protocol, so a module's fixtures set up or torn down with a test are inside too. A run of
    `alone` tests keeps the cores from one to the next, rather than queueing behind the other worker each time."""
    cores = item.config.stash.get(CORES, None)
    if cores is None:
        return (yield)
    cores.take(alone=_alone(item))
    try:
        return (yield)
    finally:
        if not (_alone(item) and _alone(nextitem)):
            cores.release()


POSTGRES_URL = os.environ.get("CARA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """PostgreSQL must be there in CI (fail loudly); elsewhere skip with the reason."""
    if postgres_reachable():
        return POSTGRES_URL
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} but CI requires it")
    pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} (outside CI)")


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A fresh schema per test, so tests never see each other's tables."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = postgres_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cautions.sqlite3"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(environment="test", database_url=sqlite_url)


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        yield c


NATS_URL = os.environ.get("CARA_TEST_NATS_URL", "nats://127.0.0.1:4222")


def nats_reachable() -> bool:
    import socket
    from urllib.parse import urlparse

    parsed = urlparse(NATS_URL)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 4222), timeout=3):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def nats_url() -> str:
    """NATS JetStream must be there in CI (fail loudly); elsewhere skip with the reason."""
    if nats_reachable():
        return NATS_URL
    if os.environ.get("CI"):
        pytest.fail(f"NATS is not reachable at {NATS_URL} but CI requires it")
    pytest.skip(f"NATS not reachable at {NATS_URL} (outside CI)")
