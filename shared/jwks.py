"""The identity provider's signing keys, from its JWKS document (RFC 7517), kept fresh off the request path.

A force's identity provider rotates its keys: it publishes a new key in its JWKS, later signs with it, and
later still drops the old one. A public key fixed in configuration turns each rotation into an outage.
Here a thread fetches the key set at start and every few minutes; a token naming a key not yet seen makes
it fetch again at once (at most every `min_refetch_seconds`, so bad tokens cannot make us hammer the
provider). Verification itself never waits for the network: it runs on the event loop. If a fetch fails,
the keys already known keep working.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx
import jwt

log = logging.getLogger("cara.jwks")


class KeysUnavailable(Exception):
    """No key set has been loaded yet: nothing can be verified (a 503, not the caller's fault)."""


class UnknownKey(Exception):
    """The token names a key the provider's key set does not have (now being fetched again)."""


class JwksKeys:
    def __init__(self, url: str, refresh_seconds: float = 300.0, min_refetch_seconds: float = 30.0,
                 timeout: float = 5.0) -> None:
        self.url, self.refresh_seconds, self.min_refetch = url, refresh_seconds, min_refetch_seconds
        self._client = httpx.Client(timeout=timeout)
        self._keys: dict[str | None, Any] = {}  # kid -> PyJWK; replaced whole, so readers need no lock
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self.fetches = 0  # successful ones
        self.last_error: str | None = None

    def start(self) -> JwksKeys:
        self._thread = threading.Thread(target=self._run, name="cara-jwks", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def key_for(self, kid: str | None) -> Any:
        keys = self._keys
        if kid in keys:
            return keys[kid].key
        if kid is None and len(keys) == 1:  # a token without kid, from a provider with a single key
            return next(iter(keys.values())).key
        self._wake.set()
        if not keys:
            raise KeysUnavailable("the identity provider's signing keys are not loaded"
                                  + (f" ({self.last_error})" if self.last_error else ""))
        raise UnknownKey(f"the identity provider's key set has no key {kid!r}")

    def not_ready(self) -> str | None:
        return None if self._keys else "the identity provider's signing keys are not loaded" + (
            f" ({self.last_error})" if self.last_error else "")

    def refresh(self) -> None:
        """Fetch the key set now; keeps the old keys when the fetch or every key in it fails."""
        try:
            response = self._client.get(self.url, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as e:
            raise RuntimeError(f"the key set at {self.url} could not be read ({type(e).__name__})") from None
        keys = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                keys[entry.get("kid")] = jwt.PyJWK(entry)
            except jwt.PyJWTError as e:  # one key we cannot use must not cost us the others
                log.warning("skipping key %r of %s: %s", entry.get("kid"), self.url, e)
        if not keys:
            raise RuntimeError(f"the key set at {self.url} has no signing key this service can use")
        self._keys = keys
        self.fetches += 1

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            started = time.monotonic()
            self._wake.clear()  # before the fetch: a token asking during it gets the next one
            try:
                self.refresh()
                self.last_error, backoff = None, 1.0
                wait = self.refresh_seconds
            except Exception as e:  # keep what we have; try again sooner
                self.last_error = str(e)
                log.warning("%s; retrying in %.0fs", e, backoff)
                wait, backoff = backoff, min(backoff * 2, self.refresh_seconds)
            woken = self._wake.wait(wait)
            if woken and not self._stop.is_set():  # asked for a key we lack: not more often than min_refetch
                self._stop.wait(max(0.0, self.min_refetch - (time.monotonic() - started)))
