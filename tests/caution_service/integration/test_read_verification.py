"""GET .../compliance-history/verification recomputes the chain from the event store and finds any
stored entry that was altered directly in the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from services.caution_service.projections.entries import entry_from_row, entry_hash
from services.caution_service.projections.tables import history
from tests.caution_service.integration.test_read_support import BACKENDS, ReadSteps, backend_url, ok, quiet_client
from tests.support import FakeClock, app_state


@pytest.fixture
def steps(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[ReadSteps]:
    """SQLite unless a test asks for both backends with `@BOTH`."""
    with quiet_client(backend_url(request), clock) as client:
        yield ReadSteps(client, clock)


BOTH = pytest.mark.parametrize("steps", BACKENDS, indirect=True)


@pytest.fixture
def lifecycle(steps: ReadSteps) -> str:
    """A completed caution with a correction (8 entries), plus an untouched neighbour."""
    cid = steps.completable()["id"]
    steps.run(steps.correct(cid, 4, "Attendance sheet signed late."), steps.complete(cid, 41))
    steps.neighbour = steps.issue()["id"]
    steps.project()
    return cid


def _tamper(steps: ReadSteps, cid: str, entry: int, **values: Any) -> None:
    with steps.engine.begin() as connection:
        changed = connection.execute(
            update(history).where(history.c.caution_id == cid, history.c.entry == entry).values(**values))
        assert changed.rowcount == 1


def _row(steps: ReadSteps, cid: str, entry: int) -> Any:
    with steps.engine.connect() as connection:
        return connection.execute(
            select(history).where(history.c.caution_id == cid, history.c.entry == entry)).one()


@BOTH
def test_intact_after_a_whole_lifecycle(steps: ReadSteps, lifecycle: str) -> None:
    report = steps.verification(lifecycle)
    assert report == {
        "caution_id": lifecycle, "as_of": None, "on": None, "intact": True, "entries_checked": 8, "entries_pending": 0,
        "digest": ok(steps.history(lifecycle))["digest"], "first_broken_entry": None, "problem": None,
    }


@BOTH
def test_events_not_yet_projected_are_pending_not_broken(steps: ReadSteps, lifecycle: str) -> None:
    steps.run(steps.contact_victim(lifecycle, 43, stage="on_completion"))
    report = steps.verification(lifecycle)
    assert (report["intact"], report["entries_checked"], report["entries_pending"]) == (True, 8, 1)
    assert report["digest"] == ok(steps.history(lifecycle))["digest"]
    steps.project()
    assert steps.verification(lifecycle)["entries_pending"] == 0


@pytest.mark.parametrize("column, value, problem", [
    ("summary", "Attended workshop A in full and stayed for the next session.", "differs from the event"),
    ("occurred_at", "2026-03-11T20:00:00+00:00", "differs from the event"),
    ("recorded_by_id", "officer-someone-else", "differs from the event"),
    ("details", '{"note": "added later"}', "differs from the event"),
    ("entry_hash", "f" * 64, "hash does not match"),
    ("previous_hash", "0" * 64, "hash does not match"),
])
def test_an_entry_edited_in_the_database_is_named(
    steps: ReadSteps, lifecycle: str, column: str, value: str, problem: str
) -> None:
    before = ok(steps.history(lifecycle))["digest"]
    _tamper(steps, lifecycle, 4, **{column: value})

    report = steps.verification(lifecycle)
    assert report["intact"] is False
    assert report["first_broken_entry"] == 4
    assert report["entries_checked"] == 3  # entries 1-3 matched before the break
    assert report["problem"].startswith("Entry 4") and problem in report["problem"]
    assert report["digest"] == before  # the digest recomputed from the event store is unchanged
    assert steps.verification(steps.neighbour)["intact"] is True


@BOTH
def test_rewriting_the_whole_chain_after_an_edit_is_still_caught(steps: ReadSteps, lifecycle: str) -> None:
    """A tamperer who recomputes every later hash still cannot match the event store."""
    _tamper(steps, lifecycle, 2, summary="Workshop A booked for a different day.")
    previous = _row(steps, lifecycle, 1).entry_hash
    for number in range(2, 9):
        row = _row(steps, lifecycle, number)
        digest = entry_hash(entry_from_row(row).content(), previous)
        _tamper(steps, lifecycle, number, previous_hash=previous, entry_hash=digest)
        previous = digest
    served = ok(steps.history(lifecycle))
    assert served["entries"][1]["summary"] == "Workshop A booked for a different day."

    report = steps.verification(lifecycle)
    assert (report["intact"], report["first_broken_entry"]) == (False, 2)
    assert report["digest"] != served["digest"]  # the court's copy would not match a fresh verification


def test_a_deleted_entry_is_reported_missing(steps: ReadSteps, lifecycle: str) -> None:
    with steps.engine.begin() as connection:
        connection.execute(delete(history).where(history.c.caution_id == lifecycle, history.c.entry == 5))
    report = steps.verification(lifecycle)
    assert (report["intact"], report["first_broken_entry"]) == (False, 5)
    assert report["problem"] == "Entry 5 is missing from the stored history."


def test_a_rebuild_repairs_a_tampered_history(steps: ReadSteps, lifecycle: str) -> None:
    _tamper(steps, lifecycle, 6, summary="Did not attend workshop B.")
    assert steps.verification(lifecycle)["intact"] is False
    app_state(steps.client).projector.reset()
    steps.project()
    assert steps.verification(lifecycle)["intact"] is True


def test_verification_is_for_court_and_police_of_the_same_force(steps: ReadSteps, lifecycle: str) -> None:
    from tests.support import auth

    url = f"/v1/cautions/{lifecycle}/compliance-history/verification"
    assert steps.client.get(url, headers=steps.police).status_code == 200
    assert steps.client.get(url, headers=auth("provider")).status_code == 403
    assert steps.client.get(url, headers=auth("court", "ESSEX")).status_code == 404
