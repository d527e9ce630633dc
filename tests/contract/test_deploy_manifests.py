"""The deployment files start what they mean to: every container's settings pass the production checks,
its module exists, its probes are routes of its app, the caution service's replicas leave projecting
to the one worker that holds the leader lock, and none of them migrates: the migration Job does, as the migrator
roles. (No container engine here: this is what can be checked without one. The manifests' schema and Pod Security
checks are in test_deploy_security.py, the compose file's in test_deploy_compose.py.)"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from services.caution_service.config import Settings as CautionSettings
from services.caution_service.main import create_app as caution_app
from services.notification_service.config import Settings as NotifySettings
from services.notification_service.main import create_app as notification_app
from services.web.config import WebSettings
from services.web.main import create_app as web_app
from shared.heartbeat import Heartbeat
from shared.keyring import MasterKeys

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTINGS: dict[str, type[CautionSettings] | type[NotifySettings] | type[WebSettings]] = {
    "services.caution_service": CautionSettings,
    "services.caution_service.worker": CautionSettings,
    "services.notification_service": NotifySettings,
    "services.web": WebSettings,
}
# What the cluster's secrets, or the operator's environment for compose, would hold.
SECRETS = {
    "database-url": "postgresql+psycopg://caution_app@postgres:5432/cara",
    "migrator-database-url": "postgresql+psycopg://caution_migrator@postgres:5432/cara",
    "vault-key": Fernet.generate_key().decode(),
    "master-keys": MasterKeys.generate("2026-12"), "CARA_MASTER_KEYS": MasterKeys.generate("2026-12"),
    "CARA_NOTIFY_MASTER_KEYS": MasterKeys.generate("2026-12"),
    "feed-client-secret": "a-client-secret",
    "POSTGRES_PASSWORD": "secret", "CARA_JWT_JWKS_URL": "https://idp.example/.well-known/jwks.json", "CARA_JWT_ISSUER": "https://idp.example/",
    "CARA_VAULT_KEY": Fernet.generate_key().decode(), "CARA_IDP_TOKEN_URL": "https://idp.example/oauth2/token",
    "CARA_NOTIFY_CLIENT_SECRET": "a-client-secret",
    "session-secret": "w" * 40, "oidc-client-secret": "a-web-client-secret",
}


def _k8s_documents() -> list[dict[str, Any]]:
    return [d for path in sorted((DEPLOY / "k8s").glob("*.yaml")) for d in yaml.safe_load_all(path.read_text()) if d]


def _config_maps() -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d["data"] for d in _k8s_documents() if d["kind"] == "ConfigMap"}


def _k8s_containers(kinds: tuple[str, ...] = ("Deployment",)) -> Iterator[tuple[str, dict[str, Any]]]:
    for document in _k8s_documents():
        if document["kind"] in kinds:
            for container in document["spec"]["template"]["spec"]["containers"]:
                yield document["metadata"]["name"], container


def _k8s_env(container: dict[str, Any]) -> dict[str, str]:
    env = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "secretKeyRef" in item["valueFrom"]:
            env[item["name"]] = SECRETS[item["valueFrom"]["secretKeyRef"]["key"]]
        else:
            ref = item["valueFrom"]["configMapKeyRef"]
            env[item["name"]] = _config_maps()[ref["name"]][ref["key"]]  # a missing key fails here
    return env


def _module(args: list[str]) -> str:
    assert args[:2] == ["python", "-m"], args
    return args[2]


def _settings(module: str, env: dict[str, str],
              monkeypatch: pytest.MonkeyPatch) -> CautionSettings | NotifySettings | WebSettings:
    for name in [n for n in os.environ if n.startswith("CARA_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return SETTINGS[module]()  # the production checks raise here


@pytest.mark.parametrize("name,container", list(_k8s_containers()), ids=[name for name, _ in _k8s_containers()])
def test_every_kubernetes_container_starts_with_settings_production_accepts(
    name: str, container: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _module(container["args"])
    assert importlib.util.find_spec(module) is not None
    settings = _settings(module, _k8s_env(container), monkeypatch)
    assert settings.environment == "production"
    if isinstance(settings, WebSettings):  # no database: it signs people in at the force's identity provider
        assert settings.oidc_issuer and not settings.dev_sign_in
        return
    assert settings.migrate_at_start is False  # its role may not: the migration Job has upgraded the schema
    if isinstance(settings, NotifySettings):  # email goes somewhere: the recipients parsed into force -> role
        assert settings.smtp_host and settings.email_recipients["CAMBS"]["police"]


def test_the_caution_replicas_leave_projecting_to_the_worker_deployment() -> None:
    containers = {name: container for name, container in _k8s_containers()}
    api, worker = containers["caution-service"], containers["caution-projector"]
    assert _module(api["args"]) == "services.caution_service"
    assert _k8s_env(api)["CARA_RUN_PROJECTIONS"] == "false"
    api_settings = CautionSettings(environment="test", run_projections=_k8s_env(api)["CARA_RUN_PROJECTIONS"])
    assert api_settings.run_projections is False
    assert _module(worker["args"]) == "services.caution_service.worker"
    database = [item for item in api["env"] if item["name"] == "CARA_DATABASE_URL"]
    assert database == [item for item in worker["env"] if item["name"] == "CARA_DATABASE_URL"]  # the same store


def test_every_probe_answers_ok_on_a_fresh_service(tmp_path: Path) -> None:
    caution = CautionSettings(environment="test", database_url=f"sqlite:///{tmp_path}/c.sqlite3", run_projections=False)
    notify = NotifySettings(environment="test", database_url=f"sqlite:///{tmp_path}/n.sqlite3", run_workers=False)
    with TestClient(caution_app(caution)) as c, TestClient(notification_app(notify)) as n, \
            TestClient(web_app(WebSettings(environment="test"))) as w:
        clients = {"services.caution_service": c, "services.notification_service": n, "services.web": w}
        probed = 0
        for _, container in _k8s_containers():
            for probe in ("readinessProbe", "livenessProbe"):
                if "httpGet" in container.get(probe, {}):
                    path = container[probe]["httpGet"]["path"]
                    answer = clients[_module(container["args"])].get(path)
                    assert answer.status_code == 200, (container["name"], probe, path, answer.text)
                    probed += 1
    assert probed == 6  # both probes of both HTTP services and of the web application


def test_the_projector_liveness_probe_reads_the_heartbeat_the_worker_writes(tmp_path: Path) -> None:
    worker = dict(_k8s_containers())["caution-projector"]
    args = worker["args"]
    beat_file = args[args.index("--heartbeat-file") + 1]
    command = worker["livenessProbe"]["exec"]["command"]
    assert command[:3] == ["python", "-m", "shared.heartbeat"] and command[3] == beat_file
    local = [sys.executable, "-m", "shared.heartbeat", str(tmp_path / "alive"), command[4]]
    root = Path(__file__).resolve().parents[2]

    def probe() -> int:
        return subprocess.run(local, cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, timeout=30).returncode

    assert probe() == 1  # no beat yet
    Heartbeat(tmp_path / "alive").beat()
    assert probe() == 0
    old = time.time() - float(command[4]) - 5
    os.utime(tmp_path / "alive", (old, old))
    assert probe() == 1  # a loop that stopped going round


def test_the_migration_job_runs_as_the_migrator_roles_with_the_database_urls_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (job,) = [d for d in _k8s_documents() if d["kind"] == "Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert _module(container["args"]) == "services.migrate"
    secrets = {item["name"]: item["valueFrom"]["secretKeyRef"] for item in container["env"]}
    assert secrets == {"CARA_DATABASE_URL": {"name": "caution-service", "key": "migrator-database-url"},
                       "CARA_NOTIFY_DATABASE_URL": {"name": "notification-service", "key": "migrator-database-url"}}
    env = _k8s_env(container)
    for module in ("services.caution_service", "services.notification_service"):  # what services.migrate reads
        settings = _settings(module, env, monkeypatch)
        assert not isinstance(settings, WebSettings) and "migrator" in settings.database_url
    for name, service in _k8s_containers():  # and no service runs as a migrator
        assert "migrator" not in str(service["env"]), name
