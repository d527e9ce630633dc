"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>`, checked in constant time, stale ones refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest

from services.notification_service.delivery.targets import Target
from services.notification_service.delivery.webhook import (
    DELIVERY_HEADER,
    NOTIFICATION_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryFailed,
    post_webhook,
    sign,
    verify_signature,
)

SECRET = "s3cret-for-the-receiver-only"
BODY = json.dumps({"id": "n-1", "kind": "new_referral"}).encode()


def now() -> str:
    return str(int(time.time()))


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, "1700000000", BODY) == f"v1={expected}"


def test_a_fresh_signature_verifies() -> None:
    ts = now()
    assert verify_signature(SECRET, ts, BODY, sign(SECRET, ts, BODY))


@pytest.mark.parametrize("tamper", ["body", "secret", "timestamp", "signature"])
def test_any_change_fails_verification(tamper: str) -> None:
    ts = now()
    signature = sign(SECRET, ts, BODY)
    body, secret, stamp = BODY, SECRET, ts
    if tamper == "body":
        body = BODY.replace(b"new_referral", b"other")
    elif tamper == "secret":
        secret = SECRET + "x"
    elif tamper == "timestamp":
        stamp = str(int(ts) - 1)
    else:
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert not verify_signature(secret, stamp, body, signature)


@pytest.mark.parametrize("age", [301, -301, 3600])
def test_stale_or_future_timestamps_are_refused_as_replays(age: int) -> None:
    ts = str(int(time.time()) - age)
    assert not verify_signature(SECRET, ts, BODY, sign(SECRET, ts, BODY))


@pytest.mark.parametrize("stamp", ["", "abc", "-5", "1.5"])
def test_malformed_timestamps_are_refused(stamp: str) -> None:
    assert not verify_signature(SECRET, stamp, BODY, sign(SECRET, stamp, BODY))


RECEIVER = Target("https://receiver.test:8443/hook?x=1", "https", "receiver.test", 8443, ("198.51.100.7",))


def test_post_webhook_sends_the_signed_body_with_its_ids() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        post_webhook(client, RECEIVER, SECRET, BODY, "d-1", "n-1")
    (request,) = seen
    # sent to the address that was checked, under the name the subscription gave
    assert str(request.url) == "https://198.51.100.7:8443/hook?x=1"
    assert request.headers["host"] == "receiver.test:8443"
    assert request.extensions["sni_hostname"] == "receiver.test"
    assert request.content == BODY
    assert request.headers[DELIVERY_HEADER] == "d-1"
    assert request.headers[NOTIFICATION_HEADER] == "n-1"
    assert request.headers["content-type"] == "application/json"
    headers = request.headers
    assert verify_signature(SECRET, headers[TIMESTAMP_HEADER], request.content, headers[SIGNATURE_HEADER])


@pytest.mark.parametrize("status", [301, 400, 500, 503])
def test_post_webhook_raises_on_anything_but_2xx_so_the_dispatcher_retries(status: int) -> None:
    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(status))) as client:
        with pytest.raises(DeliveryFailed, match=str(status)) as failed:
            post_webhook(client, RECEIVER, SECRET, BODY, "d-1", "n-1")
    assert failed.value.category == f"http_{status // 100}xx"
