"""Signed webhook delivery: HMAC-SHA256 over `<timestamp>.<body>` with the subscription's secret."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx

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
    client: httpx.Client, url: str, secret: str, body: bytes, delivery_id: str, notification_id: str
) -> None:
    """Raises on anything but a 2xx, so the dispatcher retries."""
    timestamp = str(int(time.time()))
    response = client.post(url, content=body, headers={
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        DELIVERY_HEADER: delivery_id,
        NOTIFICATION_HEADER: notification_id,
    })
    if not response.is_success:
        raise DeliveryFailed(f"HTTP {response.status_code} from the receiver")


class DeliveryFailed(Exception):
    pass
