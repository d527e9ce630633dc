"""Capacity holds under concurrent bookings: 20 at once for 12 places, on SQLite and PostgreSQL (issue 18)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.caution_service.config import Settings
from services.caution_service.domain.values import Workshop
from services.caution_service.main import create_app
from tests.caution_fixtures import Steps, assert_problem
from tests.caution_service.integration.session_steps import SessionSteps
from tests.caution_service.integration.test_http_concurrency import race
from tests.support import FakeClock, auth

CALLERS, PLACES = 20, 12


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_client(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[TestClient]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_schema_url")
    settings = Settings(environment="test", database_url=url, rate_limit_writes="off",
                        rate_limit_writes_per_address="off")
    with TestClient(create_app(settings, clock),
                    raise_server_exceptions=False) as client:
        yield client


def test_twenty_bookings_at_once_for_twelve_places(backend_client: TestClient, clock: FakeClock) -> None:
    s = SessionSteps(Steps(backend_client, clock))
    session_id = s.planned(capacity=PLACES)["id"]
    cautions = [s.issue() for _ in range(CALLERS)]
    callers = [auth("provider", subject=f"booker-{i}") for i in range(CALLERS)]

    responses = race(lambda i: s.book(session_id, cautions[i], headers=callers[i]), CALLERS)

    counts = Counter(r.status_code for r in responses)
    unexpected = [r.text for r in responses if r.status_code not in (200, 409)]
    assert counts == {200: PLACES, 409: CALLERS - PLACES}, unexpected
    for refused in (r for r in responses if r.status_code == 409):
        assert assert_problem(refused, 409)["errors"][0]["rule"] == "session_full"
    winners = {cautions[i] for i, r in enumerate(responses) if r.status_code == 200}
    session = s.session(session_id)
    assert set(session.bookings) == winners and session.places_left == 0
    for i, caution_id in enumerate(cautions):
        booking = s.caution(caution_id).booking(Workshop.A)
        assert (booking is not None) == (caution_id in winners), i
