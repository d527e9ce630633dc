"""Which webhook targets are refused, and by which rule: numeric spellings through the system resolver, names
through a fixed table (there is no DNS to ask here)."""

from __future__ import annotations

import pytest

from services.notification_service.delivery.targets import NOTHING_ALLOWED, AllowList, RefusedTarget, check, resolve

NAMES = {"rebind.example": ["93.184.215.14", "127.0.0.1"], "public.example": ["93.184.215.14"],
         "onprem.example": ["10.20.30.40"], "v6.example": ["2606:2800:220:1:248:1893:25c8:1946"]}


def fake_dns(host: str, port: int) -> list[str]:
    return NAMES[host] if host in NAMES else resolve(host, port)


def rule_for(url: str, allow: AllowList = NOTHING_ALLOWED, https: bool = False) -> str | None:
    try:
        check(url, allow, require_https=https, resolver=fake_dns)
    except RefusedTarget as e:
        return e.rule
    return None


@pytest.mark.parametrize(("url", "rule"), [
    ("http://127.0.0.1:8000/hook", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://0x7f.1/", "loopback"),
    ("http://2130706433/", "loopback"),
    ("http://017700000001/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:7f00:1]/", "loopback"),
    ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 around 127.0.0.1
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://[fd00::1]/", "private"),
    ("http://100.64.0.1/", "shared"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://240.0.0.1/", "reserved"),
    ("http://localhost:8000/", "local-name"),
    ("http://LocalHost./", "local-name"),
    ("http://api.localhost/", "local-name"),
    ("http://metadata.google.internal/computeMetadata/v1/", "local-name"),
    ("http://rebind.example/", "loopback"),  # any one forbidden address refuses the name
    ("http://no-such-host.invalid/", "unresolvable"),
    ("http://user:pass@public.example/", "credentials"),
    ("http://token@public.example/", "credentials"),
    ("ftp://public.example/", "scheme"),
    ("file:///etc/passwd", "scheme"),
])
def test_internal_targets_are_refused_by_rule(url: str, rule: str) -> None:
    assert rule_for(url) == rule


@pytest.mark.parametrize("url", ["https://public.example/hook", "http://93.184.215.14:8080/x",
                                 "https://v6.example/", "https://[2606:2800:220:1:248:1893:25c8:1946]/"])
def test_public_targets_pass(url: str) -> None:
    assert rule_for(url) is None


def test_production_wants_https() -> None:
    assert rule_for("http://public.example/", https=True) == "https-required"
    assert rule_for("https://public.example/", https=True) is None


def test_the_allow_list_admits_networks_and_names_and_nothing_else() -> None:
    allow = AllowList.parse(["10.20.0.0/16", "127.0.0.1", "Hooks.Internal"])
    assert rule_for("http://onprem.example/", allow) is None
    assert rule_for("http://127.0.0.1:9000/", allow) is None
    assert rule_for("http://127.0.0.2/", allow) == "loopback"
    assert rule_for("http://10.21.0.1/", allow) == "private"
    assert rule_for("http://user:pw@onprem.example/", allow) == "credentials"
    checked = check("http://onprem.example:81/h", allow, require_https=False, resolver=fake_dns)
    assert (checked.host, checked.port, checked.addresses) == ("onprem.example", 81, ("10.20.30.40",))
