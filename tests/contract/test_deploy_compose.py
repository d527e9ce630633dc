"""deploy/compose.yaml, checked without a container engine and without the compose-spec schema (neither is here):
the structure compose relies on, and every service built here starting with settings its service accepts, as a
newcomer starts it (no variables set) and as an operator would in production."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.caution_service.config import Settings as CautionSettings
from services.notification_service.config import Settings as NotifySettings
from services.web.config import WebSettings
from shared.keyring import MasterKeys

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTINGS: dict[str, list[type[CautionSettings] | type[NotifySettings] | type[WebSettings]]] = {
    "services.caution_service": [CautionSettings],
    "services.caution_service.worker": [CautionSettings],
    "services.caution_service.relay": [CautionSettings],
    "services.notification_service": [NotifySettings],
    "services.migrate": [CautionSettings, NotifySettings],
    "shared.dev_idp": [],
    "services.web": [WebSettings],
}
DEFAULT_COMMAND = ["python", "-m", "services.caution_service"]  # the image's CMD
# What an operator running it for real sets.
PRODUCTION = {
    "CARA_ENVIRONMENT": "production", "CARA_VAULT_KEY": Fernet.generate_key().decode(),
    "CARA_MASTER_KEYS": MasterKeys.generate("2026-12"), "CARA_NOTIFY_MASTER_KEYS": MasterKeys.generate("2026-12"),
    "CARA_JWT_JWKS_URL": "https://idp.example/.well-known/jwks.json", "CARA_JWT_ISSUER": "https://idp.example/",
    "CARA_IDP_TOKEN_URL": "https://idp.example/oauth2/token", "CARA_NOTIFY_CLIENT_SECRET": "a-client-secret",
}


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _interpolated(value: str, variables: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name, kind, default = match.groups()
        if name in variables:
            return variables[name]
        assert kind == ":-", f"compose.yaml requires ${{{name}}}: a newcomer could not start it as it is"
        return default

    return re.sub(r"\$\{(\w+)(?:(:[?-])([^}]*))?\}", substitute, value)


def _environment(service: dict[str, Any], variables: dict[str, str]) -> dict[str, str]:
    return {k: _interpolated(str(v), variables) for k, v in service.get("environment", {}).items()}


def _module(service: dict[str, Any]) -> str:
    command = service.get("command", DEFAULT_COMMAND)
    assert command[:2] == ["python", "-m"], command
    return str(command[2])


def _built() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in _compose()["services"].items() if "build" in s}


def _start(service: dict[str, Any], variables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    for name in [n for n in os.environ if n.startswith("CARA_")]:
        monkeypatch.delenv(name)
    for name, value in _environment(service, variables).items():
        monkeypatch.setenv(name, value)
    return [settings() for settings in SETTINGS[_module(service)]]  # the settings checks raise here


def test_the_structure_compose_relies_on() -> None:
    compose = _compose()
    services = compose["services"]
    for name, service in services.items():
        assert ("image" in service) != ("build" in service), name
        for target in service.get("depends_on", {}):
            assert target in services, (name, target)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in compose["volumes"] or (DEPLOY / source).exists(), (name, volume)
    published = [p.split(":")[0] for s in services.values() for p in s.get("ports", [])]
    assert len(published) == len(set(published))
    assert set(_built()) == {"dev-idp", "migrate", "caution-service", "caution-projector", "caution-relay",
                             "notification-service", "web"}
    for name, service in _built().items():
        assert importlib.util.find_spec(_module(service)) is not None, name
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        # as in Kubernetes: a read-only root, /tmp its own, no capabilities
        assert service["read_only"] is True and service["tmpfs"] == ["/tmp"] and service["cap_drop"] == ["ALL"], name
    assert "./postgres-init.sql:/docker-entrypoint-initdb.d/init.sql:ro" in services["postgres"]["volumes"]
    for name in ("caution-service", "caution-projector", "caution-relay", "notification-service"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name


def test_a_newcomer_starts_it_as_it_is_with_the_development_identity_provider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = _built()
    issuer = _environment(services["dev-idp"], {})["CARA_DEV_IDP_ISSUER"]
    for name, service in services.items():
        for settings in _start(service, {}, monkeypatch):
            assert settings.environment == "development", name
            if isinstance(settings, WebSettings):
                assert settings.oidc_issuer == issuer and not settings.dev_sign_in
            elif name != "migrate":
                assert settings.jwt_jwks_url == f"{issuer}.well-known/jwks.json" and settings.jwt_issuer == issuer
                assert settings.jwt_algorithms == ["RS256"] and settings.migrate_at_start is False
    # the services connect as their own roles, the migration as the migrators: all four made by postgres-init.sql
    init = (DEPLOY / "postgres-init.sql").read_text()
    roles = {"migrate": {"caution_migrator", "notify_migrator"}, "caution-service": {"caution_app"},
             "caution-projector": {"caution_app"}, "caution-relay": {"caution_app"},
             "notification-service": {"notify_app"}}
    for name, expected in roles.items():
        urls = [v for k, v in _environment(services[name], {}).items() if k.endswith("DATABASE_URL")]
        assert {re.sub(r"^.*://([^:@]+).*$", r"\1", u) for u in urls} == expected, name
        assert all(re.search(rf"^\\set {role} :role_prefix {role}$", init, re.MULTILINE) for role in expected)
    notify = _environment(services["notification-service"], {})
    assert notify["CARA_NOTIFY_SOURCE"] == "nats" and "nats:4222" in notify["CARA_NOTIFY_NATS_URL"]
    assert "nats://nats:4222" in services["caution-relay"]["command"]  # NATS is used: the relay feeds it
    client = yaml.safe_load(_environment(services["dev-idp"], {})["CARA_DEV_IDP_CLIENTS"])
    assert client[notify["CARA_NOTIFY_FEED_CLIENT_ID"]]["secret"] == notify["CARA_NOTIFY_FEED_CLIENT_SECRET"]
    # the web application's redirect URI is the one registered for its client at the provider
    web = _environment(services["web"], {})
    web_clients = yaml.safe_load(_environment(services["dev-idp"], {})["CARA_DEV_IDP_WEB_CLIENTS"])
    registered = web_clients[web["CARA_WEB_OIDC_CLIENT_ID"]]
    assert f"{web['CARA_WEB_PUBLIC_URL']}/sign-in/callback" in registered["redirect_uris"]
    assert f"{web['CARA_WEB_PUBLIC_URL']}/signed-out" in registered["post_logout_redirect_uris"]


def test_in_production_it_needs_the_operators_own_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    services = _built()
    for name in ("caution-service", "caution-projector", "caution-relay", "notification-service"):
        for settings in _start(services[name], PRODUCTION, monkeypatch):
            assert settings.environment == "production", name
        keys = {k: v for k, v in PRODUCTION.items() if "KEY" not in k}
        with pytest.raises(ValidationError, match="production needs its own"):  # the development keys are refused
            _start(services[name], keys, monkeypatch)
    assert _environment(services["dev-idp"], PRODUCTION)["CARA_ENVIRONMENT"] == "production"  # so it refuses
    with pytest.raises(ValidationError, match="CARA_WEB_SESSION_SECRET"):  # the web's development secret is refused
        _start(services["web"], PRODUCTION, monkeypatch)
    (web,) = _start(services["web"], {**PRODUCTION, "CARA_WEB_SESSION_SECRET": "w" * 40}, monkeypatch)
    assert web.production and not web.dev_sign_in
