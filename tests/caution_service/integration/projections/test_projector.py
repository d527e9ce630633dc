"""Projections take effect exactly once: incremental equals rebuilt, a failed batch leaves no trace,
and a second projector racing the first can never double a row (compare-and-set on positions)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from services.caution_service.domain.caution import Caution
from services.caution_service.main import build_application
from services.caution_service.projections.bulk import WriteStep, nothing_to_write
from services.caution_service.projections.history import HistoryProjection
from services.caution_service.projections.projector import ProjectionConflict, Projector
from services.caution_service.projections.summary import SummaryProjection
from services.caution_service.projections.tables import history, summaries
from services.caution_service.projections.wiring import build_projector
from tests.caution_service.integration.test_read_support import (
    ReadSteps,
    populate,
    quiet_settings,
    read_model,
    stored_positions,
)
from tests.support import FakeClock, app_state

WAIT_SECONDS = 10.0
counted = MetaData()
seen = Table("test_seen_events", counted, Column("position", Integer, nullable=False), Column("event", String(64)))


class CountingProjection:
    """Records every event it is given, with no unique constraint: doubling would show as extra rows."""

    name = "test_seen_events"
    tables = (seen,)

    def __init__(self, before_first_apply: Any = None) -> None:
        self.before_first_apply = before_first_apply

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        if self.before_first_apply is not None:
            hook, self.before_first_apply = self.before_first_apply, None
            hook()
        session.execute(insert(seen).values(position=position, event=type(event).__name__))

    def prepare(self, session: Session) -> WriteStep:
        return nothing_to_write

    def discard(self) -> None:
        pass

    def clear(self, session: Session) -> None:
        session.execute(seen.delete())


class ExplodingProjection:
    """Raises on the Nth event it sees (counting across batches), while `armed`."""

    name = "test_exploding"
    tables = ()

    def __init__(self, on_event: int) -> None:
        self.on_event, self.calls, self.armed = on_event, 0, True

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        self.calls += 1
        if self.armed and self.calls == self.on_event:
            raise RuntimeError(f"projection failed on event at position {position}")

    def prepare(self, session: Session) -> WriteStep:
        return nothing_to_write

    def discard(self) -> None:
        pass

    def clear(self, session: Session) -> None:
        pass


def _second_app(url: str, clock: FakeClock) -> Any:
    return _with_seen_table(build_application(quiet_settings(url), clock))


def _with_seen_table(app: Any) -> Any:
    """The counting projection's table is the test's own: the service's migrations make only the service's."""
    seen.create(app.recorder.datastore.engine, checkfirst=True)
    return app


def _count(engine: Any, table: Table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def _head(steps: ReadSteps) -> int:
    return app_state(steps.client).cautions.recorder.max_notification_id()


class _ProjectingSteps(ReadSteps):
    """Projects after every successful command, as the live projector thread would."""

    def post(self, caution_id: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        response = super().post(caution_id, path, body, headers)
        self.project()
        return response

    def issue(self, **overrides: Any) -> dict[str, Any]:
        body = super().issue(**overrides)
        self.project()
        return body

    def issue_with_victim(self, *args: Any, **overrides: Any) -> dict[str, Any]:
        body = super().issue_with_victim(*args, **overrides)
        self.project()
        return body


def test_incremental_projection_equals_a_fresh_rebuild_row_for_row(steps: ReadSteps) -> None:
    live = _ProjectingSteps(steps.client, steps.clock)
    populate(live)
    incremental = read_model(steps.engine)
    head = _head(steps)
    assert len(incremental["compliance_history"]) == head  # one entry per event, none doubled or lost
    assert len(incremental["caution_summaries"]) == 6
    assert {p["position"] for p in incremental["projection_positions"]} == {head}

    projector = app_state(steps.client).projector
    projector.reset()
    assert read_model(steps.engine)["compliance_history"] == []
    assert set(stored_positions(steps.engine).values()) == {0}
    assert projector.run_until_caught_up() == head

    assert read_model(steps.engine) == incremental


def test_rebuild_in_tiny_batches_with_a_tiny_state_cache_equals_one_big_batch(sqlite_steps: ReadSteps,
                                                                             sqlite_url: str) -> None:
    """Small batches and a one-caution cache force state reloads from the store (through snapshots)."""
    steps, url = sqlite_steps, sqlite_url
    populate(steps, snapshotted=True)
    steps.project()
    expected = read_model(steps.engine)

    app = _second_app(url, steps.clock)
    tiny = Projector(app, [SummaryProjection(), HistoryProjection()], batch_size=3, cache_size=1)
    tiny.reset()
    runs = 0
    while tiny.run_once():
        runs += 1
    assert runs == -(-_head(steps) // 3)
    assert read_model(steps.engine) == expected


def test_a_batch_that_fails_midway_commits_nothing_and_the_position_stays(steps: ReadSteps, url: str) -> None:
    populate(steps)
    app = app_state(steps.client).cautions
    exploding = ExplodingProjection(on_event=5)
    projector = Projector(app, [SummaryProjection(), HistoryProjection(), exploding], batch_size=100)
    projector.reset()

    with pytest.raises(RuntimeError, match="position 5"):
        projector.run_once()

    assert read_model(steps.engine)["caution_summaries"] == []
    assert read_model(steps.engine)["compliance_history"] == []
    assert set(stored_positions(steps.engine).values()) == {0}
    assert projector.position() == 0

    exploding.armed = False
    assert projector.run_until_caught_up() == _head(steps)
    after_retry = read_model(steps.engine)
    app_state(steps.client).projector.reset()
    steps.project()
    fresh = read_model(steps.engine)
    assert after_retry["compliance_history"] == fresh["compliance_history"]
    assert after_retry["caution_summaries"] == fresh["caution_summaries"]


def test_a_failure_in_a_later_batch_keeps_the_earlier_batches_only(sqlite_steps: ReadSteps) -> None:
    steps = sqlite_steps
    populate(steps)
    app = app_state(steps.client).cautions
    exploding = ExplodingProjection(on_event=8)  # inside the third batch of three
    projector = Projector(app, [SummaryProjection(), HistoryProjection(), exploding], batch_size=3)
    projector.reset()

    assert projector.run_once() == 3
    assert projector.run_once() == 3
    with pytest.raises(RuntimeError):
        projector.run_once()

    assert set(projector.positions().values()) == {6}
    rows = read_model(steps.engine)["compliance_history"]
    assert sorted(r["position"] for r in rows) == [1, 2, 3, 4, 5, 6]

    exploding.armed = False
    projector.run_until_caught_up()
    assert sorted(r["position"] for r in read_model(steps.engine)["compliance_history"]) == list(
        range(1, _head(steps) + 1))


def test_a_racing_projector_fails_its_compare_and_set_instead_of_doubling(steps: ReadSteps, url: str) -> None:
    """The second projector commits in between the first one reading its position and writing."""
    populate(steps)
    head = _head(steps)
    rival = Projector(_second_app(url, steps.clock), [CountingProjection()], batch_size=1000)

    def rival_catches_up_first() -> None:
        done: list[int] = []
        worker = threading.Thread(target=lambda: done.append(rival.run_until_caught_up()))
        worker.start()
        worker.join(timeout=30)
        assert done == [head]

    first = Projector(_second_app(url, steps.clock), [CountingProjection(rival_catches_up_first)], batch_size=1000)
    with pytest.raises(ProjectionConflict):
        first.run_once()

    assert _count(steps.engine, seen) == head  # the rival's rows only; the first's batch rolled back
    assert stored_positions(steps.engine)["test_seen_events"] == head
    assert first.run_until_caught_up() == 0  # it then sees the moved position and has nothing to do
    assert _count(steps.engine, seen) == head


def test_two_projectors_racing_in_threads_never_double_a_row(steps: ReadSteps, url: str) -> None:
    populate(steps)
    head = _head(steps)
    steps.project()
    expected = read_model(steps.engine)
    app_state(steps.client).projector.reset()
    Projector(_with_seen_table(app_state(steps.client).cautions), [CountingProjection()]).reset()

    failures: list[str] = []
    start = threading.Barrier(2)

    def race() -> None:
        projector = Projector(_second_app(url, steps.clock), [SummaryProjection(), HistoryProjection(),
                                                            CountingProjection()], batch_size=4)
        start.wait()
        for _ in range(500):
            if projector.position() >= head:
                return
            try:
                projector.run_once()
            except Exception as e:  # the loser of each race fails its batch and retries
                failures.append(type(e).__name__)

    threads = [threading.Thread(target=race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()

    assert _count(steps.engine, seen) == head
    with steps.engine.connect() as connection:
        assert sorted(connection.execute(select(seen.c.position)).scalars()) == list(range(1, head + 1))
    model = read_model(steps.engine)
    assert model["caution_summaries"] == expected["caution_summaries"]
    assert model["compliance_history"] == expected["compliance_history"]
    assert set(failures) <= {"ProjectionConflict", "IntegrityError", "OperationalError"}, failures


def test_reset_of_one_projection_rebuilds_only_that_one(sqlite_steps: ReadSteps) -> None:
    steps = sqlite_steps
    populate(steps)
    steps.project()
    expected = read_model(steps.engine)
    projector = app_state(steps.client).projector
    projector.reset(["compliance_history"])

    assert _count(steps.engine, history) == 0
    assert _count(steps.engine, summaries) == 6
    assert stored_positions(steps.engine) == {"caution_summaries": _head(steps), "compliance_history": 0,
                                              "offender_search": _head(steps), "workshop_sessions": _head(steps),
                                              "worklist_items": _head(steps),
                                              "panel_cases": _head(steps),
                                              "outcomes": _head(steps)}
    assert projector.lag() == _head(steps)
    projector.run_until_caught_up()
    assert read_model(steps.engine) == expected
    assert projector.lag() == 0


def test_a_projector_built_on_a_fresh_process_resumes_from_the_stored_position(sqlite_steps: ReadSteps,
                                                                              sqlite_url: str) -> None:
    steps, url = sqlite_steps, sqlite_url
    ids = populate(steps)
    steps.project()
    done = _head(steps)
    steps.run(steps.schedule(ids["varied"], "B", 50, occurred=46))

    resumed = build_projector(_second_app(url, steps.clock))
    assert resumed.position() == done
    assert resumed.run_until_caught_up() == 1
    rows = [r for r in read_model(steps.engine)["compliance_history"] if r["caution_id"] == ids["varied"]]
    assert [r["event_type"] for r in rows][-1] == "WorkshopScheduled"
    assert rows[-1]["previous_hash"] == rows[-2]["entry_hash"]


def test_the_rebuild_command_replays_the_whole_store_and_repairs_the_read_models(
    sqlite_steps: ReadSteps, sqlite_url: str
) -> None:
    steps = sqlite_steps
    populate(steps)
    steps.project()
    expected = read_model(steps.engine)
    head = _head(steps)
    with steps.engine.begin() as connection:  # damage both read models
        connection.execute(history.delete().where(history.c.entry > 2))
        connection.execute(summaries.update().values(status="withdrawn"))

    root = Path(__file__).resolve().parents[4]
    env = {**os.environ, "CARA_DATABASE_URL": sqlite_url, "CARA_ENVIRONMENT": "test", "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-m", "services.caution_service.rebuild", "--batch-size", "7"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert f"{head}/{head} events" in done.stderr
    rebuilt = ("caution_summaries, compliance_history, offender_search, workshop_sessions, worklist_items, "
               "panel_cases, outcomes")
    assert f"rebuilt {rebuilt}: {head} events" in done.stderr
    assert read_model(steps.engine) == expected


def test_one_projector_called_from_two_threads_runs_one_batch_at_a_time(sqlite_steps: ReadSteps) -> None:
    """The embedded thread and an in-line caller share one projector: the second waits for the first's
    batch, instead of projecting the same events into the same buffers and colliding on a row."""
    steps = sqlite_steps
    populate(steps)
    inside, release = threading.Event(), threading.Event()

    def hold_the_batch() -> None:
        inside.set()
        assert release.wait(WAIT_SECONDS)

    projector = Projector(_with_seen_table(app_state(steps.client).cautions),
                          [SummaryProjection(), CountingProjection(hold_the_batch)],
                          batch_size=1000)
    first = threading.Thread(target=projector.run_once)
    first.start()
    assert inside.wait(WAIT_SECONDS)
    second_done = threading.Event()
    def catch_up() -> None:
        projector.run_until_caught_up()
        second_done.set()

    second = threading.Thread(target=catch_up)
    second.start()
    assert not second_done.wait(0.3)  # held behind the first batch
    release.set()
    first.join(WAIT_SECONDS)
    second.join(WAIT_SECONDS)
    assert second_done.is_set()
    assert _count(steps.engine, seen) == _head(steps)  # every event once


class ProbeProjection:
    """Prepared last: checks that the batch's transaction has not taken SQLite's write lock yet, by writing
    from another connection that will not wait for it; its own write step is recorded."""

    name = "test_probe"
    tables = ()

    def __init__(self, database_file: str) -> None:
        self.database_file = database_file
        self.log: list[str] = []

    def apply(self, session: Session, event: Any, caution: Caution, position: int) -> None:
        pass

    def prepare(self, session: Session) -> WriteStep:
        other = sqlite3.connect(self.database_file, timeout=0)
        try:
            other.execute("CREATE TABLE IF NOT EXISTS test_probe_writes (n INTEGER)")
            other.execute("INSERT INTO test_probe_writes VALUES (1)")
            other.commit()
            self.log.append("another writer got in while the batch prepared")
        except sqlite3.OperationalError as e:  # "database is locked"
            self.log.append(f"locked: {e}")
        finally:
            other.close()
        return lambda connection: self.log.append("write step")

    def discard(self) -> None:
        pass

    def clear(self, session: Session) -> None:
        pass


def test_a_batch_takes_the_sqlite_write_lock_only_once_every_projection_has_prepared(
    sqlite_steps: ReadSteps, sqlite_url: str
) -> None:
    """The API workers wait for that lock, so it is held for the batch's writes alone."""
    steps = sqlite_steps
    populate(steps)
    probe = ProbeProjection(sqlite_url.removeprefix("sqlite:///"))
    projector = Projector(_second_app(sqlite_url, steps.clock), [SummaryProjection(), HistoryProjection(), probe],
                          batch_size=1000)
    projector.reset(["caution_summaries", "compliance_history"])

    assert projector.run_once() == _head(steps)

    assert probe.log == ["another writer got in while the batch prepared", "write step"]
    assert _count(steps.engine, summaries) > 0 and _count(steps.engine, history) == _head(steps)
