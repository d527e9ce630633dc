"""Rate limits on writes and on failed authentication, for both services, with the `limits` library.

- Writes (POST, PUT, PATCH, DELETE) are counted per caller and per client address. The caller is the token's
  subject within its force and role: one force's integrating system never spends another force's allowance,
  even where their identity providers issue the same `sub`. A write without a valid token is counted by
  address only (it is answered 401 anyway, and that is counted below).
- Every 401 is counted per client address. An address past its allowance is answered 429 for anything it
  sends without a valid token, before any route runs, until the window allows again. A valid token is still
  served from it: a force behind one address (a gateway, NAT) is not locked out by one misconfigured or
  hostile client beside it. A token in use is found in the verifier's cache; a new one costs one signature
  check, as it would in the route.

The client address is the connection's, or the one a trusted proxy forwarded: uvicorn takes X-Forwarded-For
only from FORWARDED_ALLOW_IPS (127.0.0.1 unless set). Behind an ingress, set it to the ingress's addresses,
or every caller shares the ingress's allowance.

Counts are kept in `memory://` by default: each replica (and each worker process) counts on its own, so with
N of them a caller may get up to N times the allowance. `redis://host:6379` shares the counts, once an
asyncio Redis client (the `redis` or `coredis` package) is installed; the service refuses to start on a
storage it cannot use.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Protocol
from urllib.parse import quote

from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from pydantic import AfterValidator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import InvalidToken, Principal, TokenVerifier
from .jwks import KeysUnavailable
from .problems import problem_response

OFF = "off"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Probes and scrapes: from the kubelet and Prometheus, which a busy or blocked address must never starve.
UNLIMITED_PATHS = frozenset({"/livez", "/readyz", "/metrics"})


def parse_limits(value: str) -> list[RateLimitItem]:
    """`"120/minute"`, several joined with `;` (`"10/second;120/minute"`), or `"off"` for none."""
    return [] if value.strip().lower() == OFF else parse_many(value)


def _parseable(value: str) -> str:
    parse_limits(value)  # refused at start, never at the first request
    return value


RateLimitText = Annotated[str, AfterValidator(_parseable)]


class RateLimitSettings(Protocol):
    rate_limit_writes: str
    rate_limit_writes_per_address: str
    rate_limit_failed_auth: str
    rate_limit_storage: str


@dataclass(frozen=True)
class Refusal:
    kind: str  # for the RateLimit headers' policy name
    item: RateLimitItem
    retry_after: int
    detail: str


class RateLimitPolicy:
    """The limits of one service and where their counts are kept. Built in create_app, so a bad storage URI
    stops the service at start."""

    def __init__(self, service: str, writes: str, writes_per_address: str, failed_auth: str,
                 storage: str = "memory://") -> None:
        self.service = service  # several services may share one Redis: their counts stay apart
        self.writes = parse_limits(writes)
        self.writes_per_address = parse_limits(writes_per_address)
        self.failed_auth = parse_limits(failed_auth)
        self.limiter = SlidingWindowCounterRateLimiter(
            storage_from_string(storage if storage.startswith("async+") else f"async+{storage}"))

    @classmethod
    def of(cls, service: str, settings: RateLimitSettings) -> RateLimitPolicy:
        return cls(service, settings.rate_limit_writes, settings.rate_limit_writes_per_address,
                   settings.rate_limit_failed_auth, settings.rate_limit_storage)

    async def hit(self, items: Sequence[RateLimitItem], kind: str, key: str, whose: str) -> Refusal | None:
        for item in items:
            if not await self.limiter.hit(item, self.service, kind, key):
                return await self._refusal(item, kind, key, f"More than {item} {whose}.")
        return None

    async def count(self, items: Sequence[RateLimitItem], kind: str, key: str) -> None:
        for item in items:
            await self.limiter.hit(item, self.service, kind, key)

    async def exhausted(self, items: Sequence[RateLimitItem], kind: str, key: str, whose: str) -> Refusal | None:
        for item in items:
            if not await self.limiter.test(item, self.service, kind, key):
                return await self._refusal(item, kind, key, f"More than {item} {whose}.")
        return None

    async def _refusal(self, item: RateLimitItem, kind: str, key: str, what: str) -> Refusal:
        stats = await self.limiter.get_window_stats(item, self.service, kind, key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        return Refusal(kind, item, wait, f"{what} Try again in {wait} s.")


class RateLimits:
    """Pure ASGI, so a refusal costs no routing, no body read and no thread."""

    def __init__(self, app: ASGIApp, policy: RateLimitPolicy) -> None:
        self.app, self.policy = app, policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        policy = self.policy
        address = _address(scope)
        caller: Principal | None | bool = False  # False: not looked at yet
        if policy.failed_auth:
            refusal = await policy.exhausted(policy.failed_auth, "failed-auth", address,
                                             "failed authentications from this address")
            if refusal is not None:
                caller = _caller(scope)
                if caller is None:
                    await _refuse(refusal, scope, receive, send)
                    return
        if scope["method"] in WRITE_METHODS:
            if caller is False:
                caller = _caller(scope)
            refusal = None
            if isinstance(caller, Principal) and policy.writes:
                refusal = await policy.hit(policy.writes, "writes", _principal_key(caller), "writes by this caller")
            if refusal is None and policy.writes_per_address:
                refusal = await policy.hit(policy.writes_per_address, "writes-per-address", address,
                                           "writes from this address")
            if refusal is not None:
                await _refuse(refusal, scope, receive, send)
                return
        if not policy.failed_auth:
            await self.app(scope, receive, send)
            return

        async def counting_failures(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                await policy.count(policy.failed_auth, "failed-auth", address)
            await send(message)

        await self.app(scope, receive, counting_failures)


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@lru_cache(maxsize=4096)  # callers send many writes each
def _principal_key(principal: Principal) -> str:
    # quoted, so that no force, role and subject can be read as another's
    return "/".join(quote(part, safe="") for part in (principal.force, principal.role.value, principal.id))


def _caller(scope: Scope) -> Principal | None:
    """The request's caller if its bearer token is valid; the verifier remembers tokens that passed, so a
    caller seen before costs a dictionary look-up, and the route's own check then costs the same."""
    token = _bearer(scope)
    if token is None:
        return None
    verifier: TokenVerifier | None = getattr(getattr(scope.get("app"), "state", None), "verifier", None)
    if verifier is None:
        return None
    try:
        return verifier.verify(token)
    except (InvalidToken, KeysUnavailable):
        return None


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


async def _refuse(refusal: Refusal, scope: Scope, receive: Receive, send: Send) -> None:
    window = refusal.item.get_expiry()
    headers = {
        "Retry-After": str(refusal.retry_after),
        # draft-ietf-httpapi-ratelimit-headers: the policy refused, and when it allows again
        "RateLimit-Policy": f'"{refusal.kind}";q={refusal.item.amount};w={window}',
        "RateLimit": f'"{refusal.kind}";r=0;t={refusal.retry_after}',
    }
    response: Any = problem_response(429, "too-many-requests", "Too many requests", refusal.detail,
                                     instance=scope.get("path"), headers=headers)
    await response(scope, receive, send)
