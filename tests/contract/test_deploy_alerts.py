"""The alert rules in deploy/k8s/alerts.yaml are written against metrics the services really expose."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from services.caution_service.api import health
from services.caution_service.config import Settings as CautionSettings
from services.caution_service.main import create_app as caution_app
from services.notification_service.config import Settings as NotifySettings
from services.notification_service.main import create_app as notification_app

ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "alerts.yaml"


def _exposed(client: TestClient) -> set[str]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {sample.name for family in text_string_to_metric_families(response.text) for sample in family.samples}


def _rules() -> list[dict[str, Any]]:
    (document,) = [d for d in yaml.safe_load_all(ALERTS.read_text()) if d]
    assert document["kind"] == "PrometheusRule"
    return [rule for group in document["spec"]["groups"] for rule in group["rules"]]


def test_every_metric_an_alert_uses_is_exposed_by_one_of_the_services(tmp_path: Path) -> None:
    caution = CautionSettings(environment="test", database_url=f"sqlite:///{tmp_path}/c.sqlite3", run_projections=False)
    notify = NotifySettings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False)
    with TestClient(caution_app(caution)) as c, TestClient(notification_app(notify)) as n:
        exposed = _exposed(c) | _exposed(n)
    rules = _rules()
    assert len({r["alert"] for r in rules}) == len(rules)
    for rule in rules:
        used = set(re.findall(r"\bcara_[a-z_]+", rule["expr"]))
        assert used, rule["alert"]
        assert used <= exposed, (rule["alert"], sorted(used - exposed))
        assert rule["labels"]["severity"] in {"page", "ticket"} and rule["annotations"]["summary"]


def test_the_read_models_alert_fires_at_the_bound_the_full_readiness_check_uses() -> None:
    (behind,) = [r for r in _rules() if r["alert"] == "CaraReadModelsBehind"]
    assert behind["expr"].endswith(f"> {health.MAX_READY_LAG}")


def test_the_unacknowledged_concern_alert_pages_at_the_escalation_time_with_a_runbook() -> None:
    (unacknowledged,) = [r for r in _rules() if r["alert"] == "CaraSafeguardingConcernUnacknowledged"]
    escalation = NotifySettings.model_fields["safeguarding_escalation_minutes"].default
    assert unacknowledged["expr"].endswith(f"> {escalation * 60}")
    assert unacknowledged["labels"]["severity"] == "page" and unacknowledged["annotations"]["runbook"]
