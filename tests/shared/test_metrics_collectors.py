"""A scrape still answers when the database does not: the failure becomes a value alerts can act on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import create_engine

from services.caution_service.read_model_metrics import ReadModelCollector
from services.notification_service.metrics import NotificationCollector


def _scrape(collector: Collector) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def _unreachable() -> int:
    raise ConnectionRefusedError("database down")


def test_the_read_model_gauges_say_the_store_is_down_instead_of_failing_the_scrape() -> None:
    projector = SimpleNamespace(app=SimpleNamespace(recorder=SimpleNamespace(max_notification_id=_unreachable)),
                                positions=lambda: {"caution_summaries": 1})
    text = _scrape(ReadModelCollector(projector))  # type: ignore[arg-type]  # a stand-in, not a Projector
    assert "cara_event_store_up 0.0" in text
    assert "cara_projection_lag_events" not in text  # no guess at a lag it could not read


def test_the_notification_gauges_say_the_database_is_down_instead_of_failing_the_scrape(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/no/such/directory/n.sqlite3")
    text = _scrape(NotificationCollector(engine, lambda: datetime.now(UTC)))
    assert "cara_notify_database_up 0.0" in text
    assert "cara_notify_deliveries" not in text
