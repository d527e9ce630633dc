"""Tokens for reading the caution feed in production: OAuth 2.0 client credentials (RFC 6749, 4.4).

A token pasted into configuration works until it expires, and then the consumer stops reading the feed
and every notification after it is late. With client credentials the service asks the force's identity
provider for a token, keeps it until shortly before it expires, and asks again; a 401 from the feed
makes it ask at once (the token was revoked, or the clocks disagree).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

DEFAULT_LIFETIME = 300.0  # seconds, for a token endpoint that does not say (expires_in is only RECOMMENDED)
RENEW_BEFORE = 60.0  # seconds before expiry; never more than half the token's lifetime


class TokenError(RuntimeError):
    """No token could be had from the identity provider. Its message never carries the client secret."""


class ClientCredentials:
    def __init__(self, token_url: str, client_id: str, client_secret: str, scope: str | None = None, *,
                 timeout: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.token_url, self.client_id, self._secret, self.scope = token_url, client_id, client_secret, scope
        self.clock = clock
        self.fetched = 0  # tokens obtained so far
        self._client = httpx.Client(timeout=timeout)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def __call__(self) -> str:
        with self._lock:
            if self._token is None or self.clock() >= self._renew_at:
                self._token, self._renew_at = self._fetch()
            return self._token

    def invalidate(self) -> None:
        """Forget the token in hand: the next call asks for a new one."""
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        asked_at = self.clock()
        form = {"grant_type": "client_credentials", **({"scope": self.scope} if self.scope else {})}
        try:
            response = self._client.post(self.token_url, data=form, auth=(self.client_id, self._secret),
                                         headers={"Accept": "application/json"})
        except httpx.HTTPError as e:
            raise TokenError(f"the token endpoint {self.token_url} could not be reached ({type(e).__name__})") from None
        body = _json_object(response)
        if response.status_code != 200:
            error = body.get("error") if body else None
            raise TokenError(f"the token endpoint refused client {self.client_id!r}: HTTP {response.status_code}"
                             + (f" {error}" if isinstance(error, str) else ""))
        if body is None or not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise TokenError("the token endpoint's answer has no access_token")
        token = body["access_token"]
        if str(body.get("token_type", "Bearer")).lower() != "bearer":
            raise TokenError(f"the token endpoint gave a {body.get('token_type')} token, not a bearer token")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else DEFAULT_LIFETIME
        self.fetched += 1
        return token, asked_at + lifetime - min(RENEW_BEFORE, lifetime / 2)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
