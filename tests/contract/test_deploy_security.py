"""The Kubernetes manifests against the API's own schemas (kubernetes-validate, offline, strict: a misspelt field
is an error, not ignored), every pod under Pod Security "restricted", disruption budgets, network policies, the
Prometheus scrape configuration, and the image they run."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # no type information published
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES_VERSION = "1.37"
# Custom resources have no schema in the validator: named here, each with the reason, so nothing else is skipped.
CUSTOM_RESOURCES = {"PrometheusRule": "the Prometheus Operator's CRD; its rules are checked by test_deploy_alerts.py"}
WORKLOADS = ("Deployment", "Job")


def _documents() -> list[tuple[str, dict[str, Any]]]:
    return [(path.name, d) for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
            for d in yaml.safe_load_all(path.read_text()) if d]


def _kind(kind: str) -> list[dict[str, Any]]:
    return [d for _, d in _documents() if d["kind"] == kind]


def _pods() -> list[tuple[str, dict[str, Any]]]:
    return [(d["metadata"]["name"], d["spec"]["template"]) for _, d in _documents() if d["kind"] in WORKLOADS]


def _validate(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name,document", _documents(), ids=[f"{n}:{d['kind']}/{d['metadata']['name']}"
                                                              for n, d in _documents()])
def test_every_manifest_is_valid_against_the_kubernetes_schemas(name: str, document: dict[str, Any]) -> None:
    if document["kind"] in CUSTOM_RESOURCES:
        with pytest.raises(kubernetes_validate.SchemaNotFoundError):  # were a schema ever bundled, use it
            _validate(document)
        pytest.skip(CUSTOM_RESOURCES[document["kind"]])
    _validate(document)


def test_the_validator_refuses_a_misspelt_field() -> None:
    (deployment, *_) = _kind("Deployment")
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["securityContex"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(broken)


def _image_user() -> int:
    (user,) = re.findall(r"^USER (\S+)$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    return int(user.split(":")[0])


@pytest.mark.parametrize("name,pod", _pods(), ids=[n for n, _ in _pods()])
def test_every_pod_meets_pod_security_restricted(name: str, pod: dict[str, Any]) -> None:
    spec = pod["spec"]
    context = spec["securityContext"]
    assert context["runAsNonRoot"] is True and context["runAsUser"] == _image_user() != 0
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec.get("automountServiceAccountToken") is False  # nothing here talks to the Kubernetes API
    assert not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    assert all(set(v) <= {"name", "emptyDir", "secret", "configMap", "projected"} for v in volumes.values())
    for container in spec["containers"] + spec.get("initContainers", []):
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False, container["name"]
        assert security["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert security["readOnlyRootFilesystem"] is True, container["name"]
        assert not security.get("privileged") and security.get("runAsUser", 1) != 0
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert "emptyDir" in volumes[mounts["/tmp"]], container["name"]  # where Python's temporary files go
        beat = [a for a in container.get("args", []) if a.startswith("/")]
        assert all(Path(a).parent == Path("/tmp") for a in beat), beat  # the projector's heartbeat is writable


def test_every_deployment_with_replicas_to_spare_has_a_disruption_budget() -> None:
    budgets = {json.dumps(b["spec"]["selector"]["matchLabels"], sort_keys=True): b
               for b in _kind("PodDisruptionBudget")}
    names = set()
    for deployment in _kind("Deployment"):
        labels = json.dumps(deployment["spec"]["template"]["metadata"]["labels"], sort_keys=True)
        if deployment["spec"]["replicas"] > 1:
            budget = budgets[labels]["spec"]
            assert budget.get("maxUnavailable", 0) == 1 or budget.get("minAvailable", 0) >= 1
            names.add(deployment["metadata"]["name"])
    assert names == {"caution-service", "caution-projector", "notification-service"}


def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    matched = all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        matched = matched and labels.get(expression["key"]) in expression["values"]
    return matched


def _rules(labels: dict[str, str], direction: str) -> list[dict[str, Any]]:
    return [rule for p in _kind("NetworkPolicy") if _selects(p, labels) for rule in p["spec"].get(direction, [])]


def _ports(rules: list[dict[str, Any]]) -> set[int]:
    return {port["port"] for rule in rules for port in rule.get("ports", [])}


WEB = "web"  # the web application: pages over the APIs, no database of its own


def test_network_policies_deny_by_default_and_allow_what_each_pod_needs() -> None:
    (deny,) = [p for p in _kind("NetworkPolicy") if p["metadata"]["name"] == "default-deny"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    services = {s["spec"]["selector"]["app"]: s for s in _kind("Service")}
    for name, pod in _pods():
        labels = pod["metadata"]["labels"]
        egress = _rules(labels, "egress")
        if labels["app"] == WEB:  # no database: it holds nothing, and reads the services' APIs
            assert 5432 not in _ports(egress) and {53, 8000, 8001} <= _ports(egress)
        else:
            assert {53, 5432} <= _ports(egress), name  # names, and the database
        ingress = _rules(labels, "ingress")
        served = {p["containerPort"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
        assert _ports(ingress) == served, name  # what it serves and nothing else (the projector: nothing)
        if labels["app"] in services:  # Prometheus reaches every API, and the web application
            sources = [s for rule in ingress for s in rule["from"]]
            assert {"namespaceSelector": {"matchLabels": {"cara/monitoring": "true"}}} in sources, name
            assert {"namespaceSelector": {"matchLabels": {"cara/ingress": "true"}}} in sources
    notify = _rules({"app": "notification-service"}, "egress")
    assert any({"podSelector": {"matchLabels": {"app": "caution-service"}}} in r["to"] for r in notify)  # the feed
    webhooks = [r for r in notify for peer in r["to"] if peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0"]
    (rule,) = webhooks
    excluded = set(rule["to"][0]["ipBlock"]["except"])
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16"} <= excluded
    assert _ports(_rules({"app": "caution-projector"}, "ingress")) == set()


def test_prometheus_scrapes_the_metrics_of_every_api_service() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics" and job["kubernetes_sd_configs"] == [{"role": "endpoints"}]
    (keep,) = [r for r in job["relabel_configs"] if r.get("action") == "keep"]
    assert keep["source_labels"] == ["__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"]
    for service in _kind("Service"):
        for port in service["spec"]["ports"]:
            assert re.fullmatch(keep["regex"], f"{service['metadata']['name']};{port['name']}"), service
    assert not re.fullmatch(keep["regex"], "kube-dns;dns")
    assert config["rule_files"] == ["cara-alerts.yaml"]


def test_the_image_installs_the_runtime_lock_alone_runs_as_a_numeric_user_and_writes_nothing() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")  # continued lines joined
    final = dockerfile[dockerfile.rindex("\nFROM "):]  # what the image is made of
    installs = re.findall(r"pip .*install.*", dockerfile)
    assert installs and all("--require-hashes" in i and "runtime.lock" in i for i in installs)
    assert "pip" not in final.replace("PIP_", "")  # nothing installed in the image itself; no pip in its venv
    copies = re.findall(r"^COPY (.*)$", dockerfile, re.MULTILINE)
    sources = {part for c in copies if "--from" not in c for part in c.split()[:-1]}
    # no tests, bench, dev lock or `.`; the web application's npm lock for its assets stage
    assert sources == {"requirements/runtime.lock", "services", "shared", "services/web/package.json",
                       "services/web/package-lock.json"}
    assert re.search(r"npm ci .*--omit=dev", dockerfile)  # GOV.UK Frontend from the lock, not axe-core (tests only)
    assert not re.search(r"chown|chmod|mkdir", final)  # nothing in the image is the service user's to write
    assert _image_user() >= 10000
    for instruction in re.findall(r"^(?:CMD|ENTRYPOINT) (.*)$", dockerfile, re.MULTILINE):
        assert json.loads(instruction)[:2] == ["python", "-m"]  # exec form: signals reach Python, no shell
    runtime = {line.split("==")[0] for line in (ROOT / "requirements" / "runtime.lock").read_text().splitlines()
               if re.match(r"^[a-z0-9]", line)}
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    dev_names = {re.split(r"[<>=\[ ]", d)[0].lower() for d in dev}
    assert not runtime & dev_names, runtime & dev_names
