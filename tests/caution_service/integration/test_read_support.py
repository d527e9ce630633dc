"""Helpers shared by the read-side tests (this module holds no tests).

Apps here run with `run_projections=False`: a test projects explicitly with
`steps.project()`, so what the read models hold is always deterministic.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from services.caution_service.config import Settings
from services.caution_service.event_store import engine_of
from services.caution_service.main import create_app
from services.caution_service.projections.tables import history, offender_search, positions, summaries
from tests.caution_fixtures import Steps
from tests.support import FakeClock, app_state, at, caution_payload, iso

VICTIM_NAME = "Samantha Quillfeather"
VICTIM_PHONE = "07700 900987"
VICTIM_EMAIL = "sam.quillfeather@example.org"
VICTIM_ADDRESS = "14 Larkspur Close, Cambridge CB4 9ZZ"
VICTIM_NOTE = "She is staying with her sister at 3 Heron Row until June"
VICTIM_SECRETS = (VICTIM_NAME, VICTIM_PHONE, VICTIM_EMAIL, VICTIM_ADDRESS, VICTIM_NOTE, "Heron Row", "Larkspur")


def quiet_settings(url: str, **extra: Any) -> Settings:
    """Settings whose app starts no projector or deadline thread: the test drives them."""
    return Settings(environment="test", database_url=url, run_projections=False, **extra)


@contextmanager
def quiet_client(url: str, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(quiet_settings(url), clock), raise_server_exceptions=False) as client:
        yield client


def backend_url(request: pytest.FixtureRequest) -> str:
    """The database URL for a fixture parametrized over "sqlite" and "postgres" (SQLite when not parametrized)."""
    if getattr(request, "param", "sqlite") == "postgres":
        return request.getfixturevalue("postgres_schema_url")
    return request.getfixturevalue("sqlite_url")


BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


def victim_payload(occurred_at: datetime = at(0), **overrides: Any) -> dict[str, Any]:
    """A valid caution whose victim has full contact details that must never leak."""
    details = {"name": VICTIM_NAME, "phone": VICTIM_PHONE, "email": VICTIM_EMAIL, "address": VICTIM_ADDRESS}
    return caution_payload(occurred_at=occurred_at, victim={"contact_details": details}, **overrides)


class ReadSteps(Steps):
    """Steps plus the police decisions, corrections and the read-side requests."""

    # set by the scenarios that need them: the caution under test, and one left untouched beside it
    cid: str
    neighbour: str

    def project(self) -> int:
        return app_state(self.client).projector.run_until_caught_up()

    @property
    def engine(self) -> Engine:
        return engine_of(app_state(self.client).cautions)

    def issue_with_victim(self, occurred_at: datetime = at(0), **overrides: Any) -> dict[str, Any]:
        response = self.client.post("/v1/cautions", json=victim_payload(occurred_at, **overrides), headers=self.police)
        return ok(response, 201)

    def miss(self, cid: str, workshop: str, day: int, reason: str = "did_not_attend", note: str = "No show.") -> Any:
        body = {"occurred_at": iso(self.tick(at(day, 20))), "reason": reason, "note": note}
        return self.post(cid, f"workshops/{workshop}/non-attendance", body, self.provider)

    def decide_excuse(self, cid: str, day: int, accepted: bool, reason: str) -> Any:
        body = {"occurred_at": iso(self.tick(at(day, 9))), "accepted": accepted, "reason": reason}
        return self.post(cid, "excuse-decisions", body, self.police)

    def vary(self, cid: str, day: int, period_ends_on: date, reason: str = "Provider cancelled sessions") -> Any:
        body = {"occurred_at": iso(self.tick(at(day, 9))), "period_ends_on": period_ends_on.isoformat(),
                "reason": reason, "authorised_by": "INSP-2002"}
        return self.post(cid, "variations", body, self.police)

    def breach(self, cid: str, day: int, reason: str, outcome: str = "prosecute") -> Any:
        body = {"occurred_at": iso(self.tick(at(day, 9))), "outcome": outcome, "reason": reason}
        return self.post(cid, "breach", body, self.police)

    def withdraw(self, cid: str, day: int, reason: str) -> Any:
        return self.post(cid, "withdrawal", {"occurred_at": iso(self.tick(at(day, 9))), "reason": reason}, self.police)

    def correct(self, cid: str, entry: int, reason: str, corrected_occurred_at: datetime | None = None) -> Any:
        body: dict[str, Any] = {"corrects_entry": entry, "reason": reason}
        if corrected_occurred_at is not None:
            body["corrected_occurred_at"] = iso(self.tick(corrected_occurred_at))
        return self.post(cid, "corrections", body, self.police)

    def history(self, cid: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(f"/v1/cautions/{cid}/compliance-history", params=params, headers=headers or self.court)

    def verification(self, cid: str) -> dict[str, Any]:
        return ok(self.client.get(f"/v1/cautions/{cid}/compliance-history/verification", headers=self.court))

    def listing(self, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get("/v1/cautions", params=params, headers=headers or self.police)

    def run(self, *responses: Any) -> Any:
        """Every response was a success; returns the last body."""
        body = None
        for response in responses:
            body = ok(response)
        return body


def populate(steps: ReadSteps, *, snapshotted: bool = False) -> dict[str, str]:
    """A varied set of cautions covering every kind of event; returns their ids by story.

    `snapshotted` adds a caution rescheduled 20 times, so the store also holds a snapshot of it.
    """
    ids: dict[str, str] = {}
    s = steps
    ids["completed"] = s.completable()["id"]
    s.run(s.complete(ids["completed"], 41), s.contact_victim(ids["completed"], 43, stage="on_completion"))

    ids["excused"] = cid = s.issue_with_victim()["id"]
    s.run(s.schedule(cid, "A", 10), s.miss(cid, "A", 10, "arrived_late", "Arrived 20 minutes late."),
          s.decide_excuse(cid, 11, True, "Bus cancelled; ticket shown."), s.schedule(cid, "A", 20, occurred=12),
          s.attend(cid, "A", 20), s.contact_victim(cid, 21, notes="Safe; no further incidents"))

    ids["breached"] = cid = s.issue()["id"]
    s.run(s.schedule(cid, "A", 10), s.miss(cid, "A", 10), s.decide_excuse(cid, 12, False, "No excuse offered."),
          s.breach(cid, 14, "Did not attend workshop A and gave no excuse."))

    ids["withdrawn"] = cid = s.issue()["id"]
    s.run(s.schedule(cid, "A", 10), s.withdraw(cid, 5, "Issued in error: offender already on a community order."))

    ids["varied"] = cid = s.issue()["id"]
    s.run(s.schedule(cid, "A", 10), s.attend(cid, "A", 10), s.correct(cid, 3, "Session started at 19:00.", at(10, 19)),
          s.vary(cid, 45, date(2026, 7, 10)))

    if snapshotted:
        ids["rescheduled"] = cid = s.issue()["id"]
        s.run(s.schedule(cid, "A", 10))
        for day in range(11, 31):
            s.run(s.schedule(cid, "A", day, occurred=2, reason=f"Venue unavailable ({day})"))

    other = type(s)(s.client, s.clock, force="ESSEX")
    ids["other_force"] = other.issue()["id"]
    return ids


def read_model(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every read-model row, in a stable order, for row-for-row comparison."""
    with engine.connect() as connection:
        return {
            "caution_summaries": [dict(r) for r in connection.execute(
                select(summaries).order_by(summaries.c.caution_id)).mappings()],
            "compliance_history": [dict(r) for r in connection.execute(
                select(history).order_by(history.c.caution_id, history.c.entry)).mappings()],
            "offender_search": [dict(r) for r in connection.execute(
                select(offender_search).order_by(offender_search.c.caution_id, offender_search.c.term)).mappings()],
            "projection_positions": [dict(r) for r in connection.execute(
                select(positions).order_by(positions.c.name)).mappings()],
        }


def stored_positions(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {name: position for name, position in connection.execute(select(positions.c.name, positions.c.position))}
