"""Where a webhook may be sent: checked when a subscription is made and again before every attempt.

Deliveries are POSTed from inside the police network, so a URL naming an internal address (the cloud
metadata service, a database port, an admin page on loopback) would turn subscriptions into a way
to reach, and through the error log to scan, what lies behind the firewall. A target is refused
when any address its host resolves to is not a public unicast one; names are resolved, never
trusted, since `rebind.example` can answer 127.0.0.1. An operator can allow networks or host names
explicitly (CARA_NOTIFY_WEBHOOK_ALLOWED_NETWORKS) for receivers on premises and for tests.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

# Names that mean this machine or the cloud's metadata service wherever they resolve, or before they resolve.
LOCAL_NAMES = frozenset({"localhost", "metadata", "metadata.google.internal", "instance-data"})
# RFC 6598 carrier-grade NAT space: `ipaddress` counts it neither private nor global, so it is named here.
SHARED = ipaddress.ip_network("100.64.0.0/10")


class RefusedTarget(ValueError):
    """`rule` names what the target broke, for the problem answer and the delivery's error category."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule


@dataclass(frozen=True)
class AllowList:
    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Each entry is a network in CIDR notation (a bare address is a network of one) or a host name."""
        networks, hosts = [], set()
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                hosts.add(_plain(entry))
        return cls(tuple(networks), frozenset(hosts))

    def admits(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


NOTHING_ALLOWED = AllowList()


@dataclass(frozen=True)
class Target:
    """A checked webhook URL and the addresses its host had when checked: the connection goes to `addresses[0]`."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def forbidden(address: IPAddress) -> str | None:
    """The rule an address breaks, or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and 2002:7f00:1:: (6to4) reach the IPv4 address inside; Python 3.11 classifies
        # them as IPv6 (`::ffff:127.0.0.1`.is_loopback is False), so the inner address is judged instead.
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None:
            return forbidden(inner)
    checks: tuple[tuple[str, bool], ...] = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),  # 169.254.169.254, the cloud metadata service, is here
        ("multicast", address.is_multicast),
        ("shared", address in SHARED),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not-global", not address.is_global),
    )
    return next((rule for rule, broken in checks if broken), None)


def resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives; numeric forms such as `127.1` or `2130706433` come back as the
    address they denote, so they are judged by what they reach, not by how they are spelled."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        raise RefusedTarget("unresolvable", f"The host {host!r} does not resolve, so it cannot be checked.") from e
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def check(url: str, allow: AllowList, *, require_https: bool, resolver: Resolver = resolve) -> Target:
    """The target, if every address the URL's host resolves to may receive webhooks; else RefusedTarget."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedTarget("malformed", "The URL cannot be parsed.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise RefusedTarget("scheme", "Webhooks are sent over http or https only.")
    if require_https and scheme != "https":
        raise RefusedTarget("https-required", "This service sends webhooks over https only.")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("credentials", "A webhook URL must not carry credentials (user:password@); "
                                           "deliveries are authenticated by their signature.")
    host = _plain(parts.hostname or "")
    if not host:
        raise RefusedTarget("malformed", "The URL has no host.")
    port = port or (443 if scheme == "https" else 80)
    if host in allow.hosts:
        return Target(url, scheme, host, port, tuple(resolver(host, port)))
    if host in LOCAL_NAMES or host.endswith((".localhost", ".internal")):
        raise RefusedTarget("local-name", f"The host {host!r} names this machine or an internal service.")
    addresses = resolver(host, port)
    if not addresses:
        raise RefusedTarget("unresolvable", f"The host {host!r} does not resolve, so it cannot be checked.")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is not part of it
        rule = forbidden(address)
        if rule is not None and not allow.admits(address):
            shown = "" if text == host else f" (it resolves to {address})"
            raise RefusedTarget(rule, f"The host {host!r}{shown} is a {rule} address; webhooks go to public "
                                      "addresses only, unless the operator allows the network.")
    return Target(url, scheme, host, port, tuple(addresses))


def _plain(host: str) -> str:
    """Lower case without the brackets of an IPv6 literal or a root-zone dot: `LocalHost.` is `localhost`."""
    return host.strip().strip("[]").rstrip(".").lower()
