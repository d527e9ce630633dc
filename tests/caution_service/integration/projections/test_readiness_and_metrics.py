"""Readiness with and without the read models' lag, the read-model gauges on /metrics, and the
Kubernetes readiness probe that relies on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from services.caution_service.api import health
from services.caution_service.projections.projector import REBUILDING
from services.caution_service.projections.tables import positions
from tests.caution_fixtures import assert_problem
from tests.caution_service.integration.test_read_support import ReadSteps

K8S = Path(__file__).resolve().parents[4] / "deploy" / "k8s"
PROJECTIONS = {"caution_summaries", "compliance_history", "offender_search", "workshop_sessions", "worklist_items",
               "panel_cases", "outcomes"}


def _gauges(steps: ReadSteps) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = steps.client.get("/metrics")
    assert response.status_code == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) if family.name.startswith("cara_")
            for sample in family.samples}


def _by_projection(gauges: dict[Any, float], name: str) -> dict[str, float]:
    return {dict(labels)["projection"]: value for (metric, labels), value in gauges.items() if metric == name}


def _behind(steps: ReadSteps, events: int) -> str:
    """Records `events` events (issues); this app's projector runs only when the test says so."""
    return [steps.issue()["id"] for _ in range(events)][-1]


def test_a_replica_excluding_the_read_models_stays_ready_and_records_while_they_trail(
    steps: ReadSteps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "MAX_READY_LAG", 3)  # instead of recording 10,000 events
    caution = _behind(steps, 5)

    full = steps.client.get("/readyz")
    assert assert_problem(full, 503)["projection_lag"] == 5

    replica = steps.client.get("/readyz", params={"exclude": "projections"})
    assert replica.status_code == 200
    assert replica.json() == {"status": "ok", "database": "ok", "projection_lag": 5, "excluded": ["projections"]}
    assert steps.schedule(caution, "A", 30).status_code == 200  # commands are still recorded

    steps.project()
    assert steps.client.get("/readyz").json() == {"status": "ok", "database": "ok", "projection_lag": 0}


def test_readiness_refuses_a_check_it_does_not_have(steps: ReadSteps) -> None:
    body = assert_problem(steps.client.get("/readyz", params={"exclude": "database"}), 422)
    assert "projections" in str(body)


def test_metrics_show_the_store_head_and_each_read_model_position_and_lag(steps: ReadSteps) -> None:
    _behind(steps, 4)
    gauges = _gauges(steps)
    assert gauges[("cara_event_store_up", ())] == 1
    assert gauges[("cara_event_store_head", ())] == 4
    assert _by_projection(gauges, "cara_projection_position") == dict.fromkeys(PROJECTIONS, 0)
    assert _by_projection(gauges, "cara_projection_lag_events") == dict.fromkeys(PROJECTIONS, 4)
    assert _by_projection(gauges, "cara_projection_rebuilding") == dict.fromkeys(PROJECTIONS, 0)

    steps.project()
    gauges = _gauges(steps)
    assert _by_projection(gauges, "cara_projection_position") == dict.fromkeys(PROJECTIONS, 4)
    assert _by_projection(gauges, "cara_projection_lag_events") == dict.fromkeys(PROJECTIONS, 0)

    with steps.engine.begin() as connection:  # what a rebuild leaves when it stops half-way
        connection.execute(update(positions).where(positions.c.name == "compliance_history")
                           .values(position=REBUILDING))
    gauges = _gauges(steps)
    assert _by_projection(gauges, "cara_projection_rebuilding") == {"caution_summaries": 0, "compliance_history": 1,
                                                                    "offender_search": 0, "workshop_sessions": 0,
                                                                    "worklist_items": 0, "panel_cases": 0,
                                                                    "outcomes": 0}
    assert _by_projection(gauges, "cara_projection_lag_events") == {"caution_summaries": 0, "compliance_history": 4,
                                                                    "offender_search": 0, "workshop_sessions": 0,
                                                                    "worklist_items": 0, "panel_cases": 0,
                                                                    "outcomes": 0}


def _documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def test_the_kubernetes_readiness_probe_keeps_a_replica_in_service_while_the_read_models_trail(
    steps: ReadSteps, monkeypatch: pytest.MonkeyPatch
) -> None:
    (deployment,) = [d for d in _documents("caution-service.yaml")
                     if d["kind"] == "Deployment" and d["metadata"]["name"] == "caution-service"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    probe = container["readinessProbe"]["httpGet"]["path"]
    monkeypatch.setattr(health, "MAX_READY_LAG", 1)
    _behind(steps, 3)
    assert steps.client.get("/readyz").status_code == 503
    assert steps.client.get(probe).status_code == 200
