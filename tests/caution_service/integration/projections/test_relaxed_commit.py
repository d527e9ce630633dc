"""Projection batches commit without waiting for the disk; nothing else does (relaxed_commit.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from services.caution_service.event_store import engine_of
from services.caution_service.main import build_application
from services.caution_service.projections.history import HistoryProjection
from services.caution_service.projections.projector import Projector
from services.caution_service.projections.summary import SummaryProjection
from tests.caution_service.integration.test_read_support import ReadSteps, populate, quiet_settings

FULL, NORMAL = 2, 1


def durability(connection: Any) -> Any:
    if connection.dialect.name == "sqlite":
        return connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
    return connection.exec_driver_sql("SHOW synchronous_commit").scalar_one()


class DurabilityProbe:
    """Notes the durability setting of the batch's own transaction, when it prepares."""

    name = "test_durability_probe"
    tables = ()

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def apply(self, session: Session, event: Any, caution: Any, position: int) -> None:
        pass

    def prepare(self, session: Session) -> Any:
        self.seen.append(durability(session.connection()))
        return lambda connection: None

    def discard(self) -> None:
        pass

    def clear(self, session: Session) -> None:
        pass


def test_a_projection_batch_commits_relaxed_and_every_connection_goes_back_to_full(steps: ReadSteps, url: str) -> None:
    populate(steps)
    app = build_application(quiet_settings(url), steps.clock)
    probe = DurabilityProbe()
    projector = Projector(app, [SummaryProjection(), HistoryProjection(), probe], batch_size=1000)
    projector.reset(["caution_summaries", "compliance_history"])

    assert projector.run_once() > 0

    sqlite = engine_of(app).dialect.name == "sqlite"
    assert probe.seen == [NORMAL if sqlite else "off"]
    # Every connection the pool can give out now, the one the batch used among them, commits with its flush,
    # as the event store's writes (commands, the deadline monitor) must.
    engine = engine_of(app)
    assert isinstance(engine.pool, QueuePool)
    held = [engine.connect() for _ in range(engine.pool.size())]
    try:
        for connection in held:
            with connection.begin():
                assert durability(connection) == (FULL if sqlite else "on")
    finally:
        for connection in held:
            connection.close()
    app.close()
