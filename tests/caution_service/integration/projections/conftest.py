"""The projector's tests run on each backend: `url` is SQLite, then PostgreSQL; `steps` a quiet app on it
(no projector thread, so each test drives the projector itself). `sqlite_steps` is the same on SQLite alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.caution_service.integration.test_read_support import BACKENDS, ReadSteps, backend_url, quiet_client
from tests.support import FakeClock


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest) -> str:
    return backend_url(request)


@pytest.fixture
def steps(url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(url, clock) as client:
        yield ReadSteps(client, clock)


@pytest.fixture
def sqlite_steps(sqlite_url: str, clock: FakeClock) -> Iterator[ReadSteps]:
    with quiet_client(sqlite_url, clock) as client:
        yield ReadSteps(client, clock)
