"""Signed webhook delivery: HMAC-SHA256 over `<timestamp>.<body>` with the subscription's secret."""

from __future__ import annotations

import hashlib
import hmac
import ssl
import time

import httpx

from .targets import RefusedTarget, Target

SIGNATURE_HEADER = "X-CARA-Signature"
TIMESTAMP_HEADER = "X-CARA-Timestamp"
DELIVERY_HEADER = "X-CARA-Delivery-Id"
NOTIFICATION_HEADER = "X-CARA-Notification-Id"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, tolerance_seconds: int = 300) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps (replays)."""
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def post_webhook(
    client: httpx.Client, target: Target, secret: str, body: bytes, delivery_id: str, notification_id: str
) -> None:
    """Raises DeliveryFailed on anything but a 2xx, so the dispatcher retries.

    The connection goes to the address `target` was checked against, not to whatever the name resolves
    to a moment later: a name that answered a public address to the check and 127.0.0.1 to the
    connection (DNS rebinding) would otherwise slip through. So the URL's host is replaced by that
    address, while the Host header keeps the name (for virtual hosts) and, over https, the name is
    sent as SNI and the certificate is verified against it (httpcore's `sni_hostname` becomes the
    TLS server_hostname). The client follows no redirects and reads no proxy settings from the
    environment, so neither can move the request elsewhere.
    """
    url = httpx.URL(target.url)
    pinned = url.copy_with(host=target.addresses[0].split("%", 1)[0])
    timestamp = str(int(time.time()))
    try:
        response = client.post(pinned, content=body, extensions={"sni_hostname": target.host}, headers={
            "Host": url.netloc.decode("ascii"),
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            DELIVERY_HEADER: delivery_id,
            NOTIFICATION_HEADER: notification_id,
        })
    except httpx.TimeoutException as e:
        raise DeliveryFailed("timeout", f"{type(e).__name__}: {e}") from e
    except httpx.TransportError as e:
        raise DeliveryFailed(_transport_category(e), f"{type(e).__name__}: {e}") from e
    if not response.is_success:
        raise DeliveryFailed(f"http_{response.status_code // 100}xx", f"HTTP {response.status_code} from the receiver")


class DeliveryFailed(Exception):
    """`category` is all anyone but the operator sees of a failure (a word from CATEGORIES); the message, which
    can name hosts, ports and network errors, goes to the service's log only."""

    def __init__(self, category: str, message: str) -> None:
        super().__init__(message)
        self.category = category


# What a failed attempt is recorded as. Exception text says which ports are open behind the firewall,
# so it is never stored where the API can show it.
CATEGORIES = ("timeout", "connection_refused", "connection_failed", "tls", "http_3xx", "http_4xx", "http_5xx",
              "http_1xx", "refused_target", "subscription_inactive", "smtp_not_configured", "smtp_error", "other")


def category_of(error: BaseException) -> str:
    if isinstance(error, DeliveryFailed):
        return error.category
    if isinstance(error, RefusedTarget):
        return "refused_target"
    return _transport_category(error)


def _transport_category(error: BaseException) -> str:
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and len(chain) < 10:  # httpx wraps the socket's own exception: look down the chain
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for category, kinds in (("tls", ssl.SSLError), ("connection_refused", ConnectionRefusedError),
                            ("timeout", TimeoutError | httpx.TimeoutException),
                            ("connection_failed", httpx.TransportError | OSError)):
        if any(isinstance(e, kinds) for e in chain):
            return category
    return "other"
