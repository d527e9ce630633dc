"""What every fault test asserts of the caution service's store once the fault is over."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select

from services.caution_service.application import CautionApplication
from services.caution_service.config import Settings
from services.caution_service.event_store import engine_of, events_table
from services.caution_service.main import build_application
from services.caution_service.projections import queries
from services.caution_service.projections.compliance import verify
from services.caution_service.projections.wiring import build_projector
from tests.caution_service.integration.test_read_support import read_model
from tests.faults.load import Load


@contextmanager
def store_of(database_url: str) -> Iterator[CautionApplication]:
    """The caution service's application on `database_url`, projecting nothing by itself."""
    app = build_application(Settings(environment="test", database_url=database_url, run_projections=False))
    try:
        yield app
    finally:
        engine_of(app).dispose()


def assert_each_acknowledged_command_stored_once(app: CautionApplication, load: Load) -> int:
    """Every acknowledged command's event is in the store at the position and version it was confirmed with,
    there is one caution per acknowledged issue, and nothing beyond what was acknowledged; returns the head.

    Positions need not be consecutive: on PostgreSQL a rolled-back insert (two API processes racing for one
    caution, a batch that failed) leaves its sequence numbers unused, and a follower reads past the hole."""
    table = events_table(app)
    with engine_of(app).connect() as connection:
        rows = connection.execute(select(table.c.originator_id, table.c.originator_version,
                                         table.c.id)).all()
        head = connection.execute(select(func.max(table.c.id))).scalar() or 0
    stored = {(str(originator), version): position for originator, version, position in rows}
    newest: dict[str, int] = defaultdict(int)
    for originator, version in stored:
        newest[originator] = max(newest[originator], version)
    confirmed: dict[str, int] = defaultdict(int)
    for ack in load.acknowledged:
        assert stored.get((ack.caution_id, ack.version)) == ack.position, f"lost or moved: {ack.command.path}"
        confirmed[ack.caution_id] = max(confirmed[ack.caution_id], ack.version)
    issues = sum(1 for ack in load.acknowledged if ack.command.path == "/v1/cautions")
    assert len(newest) == issues, f"{len(newest)} cautions stored for {issues} acknowledged issues"
    assert dict(newest) == dict(confirmed), "events stored beyond what was acknowledged"
    return int(head)


def assert_read_models_equal_the_store(app: CautionApplication, head: int) -> None:
    """The read models as the fault left them equal a rebuild from the store, and every chain verifies."""
    engine = engine_of(app)
    live = read_model(engine)
    histories = live["compliance_history"]
    with engine.connect() as connection:
        events = connection.execute(select(func.count()).select_from(events_table(app))).scalar_one()
    assert len(histories) == events, f"{len(histories)} history entries for {events} events"
    assert {row["position"] for row in live["projection_positions"] if row["name"] != "nats_relay"} == {head}
    projector = build_projector(app)
    projector.reset()
    assert projector.run_until_caught_up() == events
    assert read_model(engine) == live, "the read models differ from a rebuild"
    for caution_id in {row["caution_id"] for row in histories}:
        report = verify(list(app.events.get(uuid.UUID(caution_id))), queries.history_rows(engine, caution_id))
        assert report.intact, (caution_id, report)


def projected_position(app: CautionApplication) -> int:
    return int(build_projector(app).position())


def seconds_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> float:
    """How long `condition` took to hold (polled); fails after `timeout`."""
    started = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except Exception:  # the thing being waited for may still be failing: that is what the wait is for
            pass
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
