"""What keeps the projector cheap per event, checked without timing anything: a batch costs a fixed
handful of statements however many events it holds, an idle projector only reads, a restarted one
continues every hash chain with one read, and the bulk writes store exactly what row-by-row writes do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.engine import Engine

from services.caution_service.event_store import engine_of
from services.caution_service.main import build_application
from services.caution_service.projections.bulk import insert_rows, update_rows
from services.caution_service.projections.tables import history, summaries
from services.caution_service.projections.wiring import build_projector
from tests.caution_service.integration.test_read_support import (
    ReadSteps,
    ok,
    populate,
    quiet_settings,
    read_model,
)
from tests.support import FakeClock, app_state


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, bool]]]:
    """Every statement sent to the database meanwhile, as (SQL, executemany)."""
    seen: list[tuple[str, bool]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((" ".join(statement.split()), executemany))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _schedule_a_on_new_cautions(steps: ReadSteps, count: int) -> list[str]:
    ids = [steps.issue()["id"] for _ in range(count)]
    for cid in ids:
        ok(steps.schedule(cid, "A", 10))
    return ids


def _writes(seen: list[tuple[str, bool]]) -> list[str]:
    return [sql for sql, _ in seen if not sql.upper().startswith("SELECT")]


def test_a_batch_costs_the_same_statements_for_three_events_as_for_thirty(steps: ReadSteps, url: str) -> None:
    projector = app_state(steps.client).projector
    populate(steps)
    steps.project()
    counts = []
    for cautions in (1, 10):  # 3 and 30 events: issue and schedule A on every caution
        _schedule_a_on_new_cautions(steps, cautions)
        ok(steps.schedule(steps.issue()["id"], "A", 10))  # ... and one more, so the batch also updates rows
        with statements(steps.engine) as seen:
            assert projector.run_once() == 2 * cautions + 2
        # positions, events, and the outcome rows the batch's cautions had (the report's sums move by their change)
        assert len([sql for sql in seen if sql[0].upper().startswith("SELECT")]) == 3, seen
        assert not any("compliance_history" in sql for sql, _ in seen if sql.upper().startswith("SELECT")), seen
        counts.append(len(seen))
        if "postgres" in url:  # psycopg's executemany is a statement per row
            assert not any(many for _, many in seen), seen
    assert counts[0] == counts[1]
    # + history INSERT, summary INSERT and UPDATE, offender search INSERT, worklist INSERT, the outcome rows, cells
    # and durations (each one statement for the whole batch), positions CAS
    assert counts[0] <= 11


def test_an_idle_projector_only_reads(steps: ReadSteps) -> None:
    populate(steps)
    steps.project()
    with statements(steps.engine) as seen:
        assert app_state(steps.client).projector.run_once() == 0
    assert len(seen) == 2 and not _writes(seen), seen


def test_a_fresh_projector_continues_every_chain_with_one_read(steps: ReadSteps, url: str, clock: FakeClock) -> None:
    ids = populate(steps)
    steps.project()
    for cid in (ids["excused"], ids["varied"]):  # the two still open
        steps.run(steps.correct(cid, 2, "Booking was made by phone."))
    steps.run(steps.withdraw(ids["excused"], 30, "Offender moved abroad."))
    steps.issue()

    fresh = build_projector(build_application(quiet_settings(url), clock))  # nothing remembered
    with statements(engine_of(fresh.app)) as seen:
        assert fresh.run_until_caught_up() == 4
    chain_reads = [sql for sql, _ in seen if sql.upper().startswith("SELECT") and "compliance_history" in sql]
    assert len(chain_reads) == 1, chain_reads
    incremental = read_model(steps.engine)

    fresh.reset()
    fresh.run_until_caught_up()
    assert read_model(steps.engine) == incremental
    for cid in ids.values():
        if cid != ids["other_force"]:
            assert steps.verification(cid)["intact"] is True


def test_small_batches_by_projectors_that_keep_restarting_equal_one_rebuild(steps: ReadSteps, url: str,
                                                                            clock: FakeClock) -> None:
    """Rows updated only in what changed (SQLite) or all at once (PostgreSQL) end up the same."""
    populate(steps, snapshotted=True)
    head = app_state(steps.client).cautions.recorder.max_notification_id()
    projector = app_state(steps.client).projector
    projector.reset()
    size = 1
    while projector.position() < head:
        projector = build_projector(build_application(quiet_settings(url), clock), batch_size=size, cache_size=2)
        for _ in range(3):
            projector.run_once()
        size = size % 7 + 1
    restarted = read_model(steps.engine)
    projector.reset()
    projector.run_until_caught_up()
    assert read_model(steps.engine) == restarted


AWKWARD = 'é 中文 🙂 "quoted" back\\slash\nnew line\ttab \u2028 \x01'


def test_bulk_writes_store_what_row_by_row_writes_store(steps: ReadSteps) -> None:
    engine = steps.engine
    entry = {"caution_id": "bulk", "entry": 1, "position": 2**40, "event_type": "X", "summary": AWKWARD,
             "occurred_at": "2026-03-01T10:00:00+01:00", "recorded_at": "2026-03-01T09:00:00.000001+00:00",
             "recorded_by_id": AWKWARD, "recorded_by_role": "police", "recorded_by_force": "CAMBS",
             "details": '{"note": "\\u00e9\\n\\"x\\""}', "corrects_entry": None, "previous_hash": "0" * 64,
             "entry_hash": "f" * 64}
    summary = {"caution_id": "bulk", "force": "CAMBS", "police_reference": AWKWARD, "offender_reference": "PNC-1",
               "legal_basis": "conditional_caution", "status": "active", "version": 1, "round": 1,
               "issued_at": datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC), "issued_on": date(2026, 3, 1),
               "period_ends_on": date(2026, 6, 21), "next_action": None, "next_action_role": None,
               "next_action_due_on": None, "deadline_passed": False, "closed_on": None, "spent_on": date(2026, 6, 1),
               "position": 7}
    change = {"caution_id": "bulk", "status": "completed", "version": 2, "deadline_passed": True,
              "next_action_due_on": date(2026, 4, 2), "closed_on": None, "position": 8}

    def rows() -> tuple[Any, Any]:
        with engine.connect() as connection:
            return (connection.execute(select(history)).mappings().all(),
                    connection.execute(select(summaries)).mappings().all())

    with engine.begin() as connection:
        connection.execute(insert(history), [entry])
        connection.execute(insert(summaries), [summary])
        connection.execute(update(summaries).where(summaries.c.caution_id == "bulk"),
                           {k: v for k, v in change.items() if k != "caution_id"})
    expected = rows()
    with engine.begin() as connection:
        connection.execute(history.delete())
        connection.execute(summaries.delete())
    with engine.begin() as connection:
        insert_rows(connection, history, [entry])
        insert_rows(connection, summaries, [summary])
        update_rows(connection, summaries, "caution_id", [change])
    assert rows() == expected
    assert expected[0][0]["summary"] == AWKWARD and expected[1][0]["status"] == "completed"
