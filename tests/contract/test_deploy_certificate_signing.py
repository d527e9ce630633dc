"""The deployment gives the caution API (and nothing else) the court certificate's signing pair: in Kubernetes from a
secret mounted read-only where the settings point, in compose from the operator's environment (unset: development)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
FILES = ("CARA_CERTIFICATE_SIGNING_KEY_FILE", "CARA_CERTIFICATE_SIGNING_CHAIN_FILE")


def _deployments() -> dict[str, dict[str, Any]]:
    documents = yaml.safe_load_all((DEPLOY / "k8s" / "caution-service.yaml").read_text())
    return {d["metadata"]["name"]: d for d in documents if d and d["kind"] == "Deployment"}


def test_the_kubernetes_api_reads_the_pair_from_a_secret_mounted_read_only() -> None:
    pod = _deployments()["caution-service"]["spec"]["template"]["spec"]
    api = pod["containers"][0]
    env = {item["name"]: item.get("value") for item in api["env"]}
    mounts = {m["name"]: m for m in api["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    mount = mounts["certificate-signing"]
    assert mount["readOnly"] is True
    assert volumes["certificate-signing"]["secret"]["secretName"] == "caution-certificate-signing"
    assert volumes["certificate-signing"]["secret"]["defaultMode"] == 0o400
    for name in FILES:
        assert Path(env[name]).parent == Path(mount["mountPath"]), name


def test_the_projector_is_given_no_signing_key() -> None:
    pod = _deployments()["caution-projector"]["spec"]["template"]["spec"]
    assert all(v["name"] != "certificate-signing" for v in pod["volumes"])
    assert not {item["name"] for item in pod["containers"][0]["env"]} & set(FILES)


def test_compose_passes_the_operators_pair_through_and_leaves_development_without_one() -> None:
    environment = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["caution-service"]["environment"]
    for name in FILES:
        assert environment[name] == f"${{{name}:-}}"
