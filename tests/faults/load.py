"""Load for the fault tests: police systems that keep sending while something fails, as the API asks them to.

Each client is a thread that issues cautions and drives each through its life over HTTP. Every command
carries an Idempotency-Key of its own, and is sent again with the same key after a transport error, a
503 or a 409 "in flight" until it is answered for good. So a fault may delay a command but must never
lose or double it, and the test can hold the service to that:

- `acknowledged`: every command the service confirmed (2xx), with its first answer;
- `statuses`: every answer seen, so a test can say "no 500";
- `unresolved`: commands still unanswered when the load stopped (a test expects none).

`replay_mismatches` sends every retried command once more and compares the answer with the first.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support import auth, caution_payload

FORCE = "CAMBS"
POLICE = auth("police", FORCE, subject="fault-officer")
PROVIDER = auth("provider", FORCE, subject="fault-provider")
VICTIM_CONTACT = auth("victim_contact", FORCE, subject="fault-victim-contact")
RETRIED = {409, 503}  # 409 only as idempotency-key-in-flight: the first attempt is still being recorded
SETTLED = set(range(200, 300)) | {400, 401, 403, 404, 412, 422}


@dataclass(frozen=True)
class Command:
    path: str
    body: dict[str, Any]
    caller: dict[str, str]
    key: str = field(default_factory=lambda: str(uuid.uuid4()))

    def send(self, client: httpx.Client) -> httpx.Response:
        return client.post(self.path, json=self.body, headers={**self.caller, "Idempotency-Key": self.key})


@dataclass(frozen=True)
class Acknowledged:
    command: Command
    status: int
    body: dict[str, Any]
    attempts: int

    @property
    def caution_id(self) -> str:
        return str(self.body["id"])

    @property
    def version(self) -> int:
        return int(self.body["version"])

    @property
    def position(self) -> int:
        return int(self.body["position"])


def lifecycle(issued_at: datetime, caution_id: str, withdraw: bool) -> Iterator[Command]:
    """The commands after the issue, all dated in the past, as a provider, victim contact and police send them."""
    def day(n: int, hour: int = 10) -> str:
        return (issued_at + timedelta(days=n)).replace(hour=hour).isoformat()

    under = f"/v1/cautions/{caution_id}"
    yield Command(f"{under}/workshops/A/schedule", {"occurred_at": day(1), "session_at": day(10, 18),
                                                    "venue": "Hub"}, PROVIDER)
    if withdraw:
        yield Command(f"{under}/withdrawal", {"occurred_at": day(2), "reason": "Issued in error."}, POLICE)
        return
    yield Command(f"{under}/workshops/B/schedule", {"occurred_at": day(1), "session_at": day(40, 18),
                                                    "venue": "Hub"}, PROVIDER)
    yield Command(f"{under}/workshops/A/attendance", {"occurred_at": day(10, 20)}, PROVIDER)
    yield Command(f"{under}/victim-contacts", {"occurred_at": day(12), "stage": "after_workshop_a",
                                               "outcome": "contacted", "notes": "Said in confidence"}, VICTIM_CONTACT)
    yield Command(f"{under}/workshops/B/attendance", {"occurred_at": day(40, 20)}, PROVIDER)
    yield Command(f"{under}/completion", {"occurred_at": day(41, 9)}, POLICE)


class Load:
    """`clients` threads driving cautions through their lives against `url()` (asked again on each attempt,
    so a test may move the service) until `stop()`."""

    def __init__(self, url: str | Callable[[], str], clients: int = 16, retry_for: float = 90.0,
                 pause: float = 0.0) -> None:
        self.url = url if callable(url) else (lambda: url)
        self.clients, self.retry_for, self.pause = clients, retry_for, pause
        self.acknowledged: list[Acknowledged] = []
        self.statuses: Counter[int] = Counter()
        self.transport_errors = 0
        self.slowest = 0.0  # the longest one attempt waited for an answer (or for its connection to fail)
        self.refused: list[tuple[Command, int, str]] = []  # answered 4xx: a fault test expects none
        self.unresolved: list[Command] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.issued_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)

    # ----- running ---------------------------------------------------------------------------

    def start(self) -> Load:
        self._threads = [threading.Thread(target=self._client, args=(n,), daemon=True, name=f"load-{n}")
                         for n in range(self.clients)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float | None = None) -> Load:
        """No new commands; each client finishes the one in hand (retrying it for up to `retry_for`)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=(timeout or self.retry_for) + 15)
        assert not any(t.is_alive() for t in self._threads), "a load client did not finish"
        return self

    def wait_for(self, acknowledged: int, timeout: float = 60.0) -> None:
        """Until at least `acknowledged` more commands have been confirmed than now."""
        target = len(self.acknowledged) + acknowledged
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.acknowledged)} of {target} commands acknowledged in "
                                     f"{timeout}s; answers so far {dict(self.statuses)}")
            time.sleep(0.05)

    def _client(self, n: int) -> None:
        with httpx.Client(timeout=30) as client:
            number = 0
            while not self._stop.is_set():
                number += 1
                issue = Command("/v1/cautions", caution_payload(self.issued_at), POLICE)
                issued = self._send(client, issue)
                if issued is None:
                    return
                for command in lifecycle(self.issued_at, issued.caution_id, withdraw=(n + number) % 4 == 0):
                    if self._send(client, command) is None or self._stop.is_set():
                        return
                    if self.pause:
                        time.sleep(self.pause)

    def _send(self, client: httpx.Client, command: Command) -> Acknowledged | None:
        """Sends until answered for good; None when the command was refused or never answered."""
        deadline, attempts, wait = time.monotonic() + self.retry_for, 0, 0.05
        while True:
            attempts += 1
            sent = time.monotonic()
            try:
                response = command.send(_at(client, self.url()))
            except httpx.TransportError:
                with self._lock:
                    self.transport_errors += 1
                response = None
            with self._lock:
                self.slowest = max(self.slowest, time.monotonic() - sent)
            if response is not None:
                with self._lock:
                    self.statuses[response.status_code] += 1
                if response.status_code in SETTLED:
                    return self._settle(command, response, attempts)
            if time.monotonic() > deadline:
                with self._lock:
                    self.unresolved.append(command)
                return None
            time.sleep(wait)  # a 500 is retried too (and counted): the test fails on it, but must see the rest
            wait = min(wait * 2, 1.0)

    def _settle(self, command: Command, response: httpx.Response, attempts: int) -> Acknowledged | None:
        if response.status_code >= 300:
            with self._lock:
                self.refused.append((command, response.status_code, response.text[:500]))
            return None
        ack = Acknowledged(command, response.status_code, response.json(), attempts)
        with self._lock:
            self.acknowledged.append(ack)
        return ack

    # ----- what the test asserts ----------------------------------------------------------------

    def summary(self) -> str:
        retried = sum(1 for a in self.acknowledged if a.attempts > 1)
        return (f"{len(self.acknowledged)} commands acknowledged ({retried} after retries), "
                f"{len(self.refused)} refused, {len(self.unresolved)} unresolved, "
                f"{self.transport_errors} transport errors, answers {dict(sorted(self.statuses.items()))}, "
                f"slowest answer {self.slowest:.1f}s")

    def assert_clean(self) -> None:
        """Every command answered for good, none refused, no 500 seen."""
        assert self.statuses[500] == 0, f"500 answers: {self.summary()}"
        assert not self.refused, f"refused: {self.refused[:3]}"
        assert not self.unresolved, f"never answered: {self.unresolved[:3]}"

    def replay_mismatches(self, url: str, sample: int = 200) -> list[str]:
        """Each command that was retried, and `sample` others, sent once more with its key: the answer must be
        the first one, marked replayed."""
        retried = [a for a in self.acknowledged if a.attempts > 1]
        others = [a for a in self.acknowledged if a.attempts == 1][:sample]

        def check(ack: Acknowledged) -> str | None:
            again = ack.command.send(client)
            if (again.status_code, again.json()) != (ack.status, ack.body):
                return f"{ack.command.path} key {ack.command.key}: {again.status_code} {again.text[:200]}"
            if again.headers.get("Idempotent-Replayed") != "true":
                return f"{ack.command.path} key {ack.command.key}: not marked replayed"
            return None

        # One client for every thread (httpx's are thread-safe): making one costs ~15 ms of CPU (its TLS
        # context), which a client per replay paid over two hundred times, most of the replays' time.
        threads = 8
        with httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_connections=threads)) as client, \
                ThreadPoolExecutor(threads) as pool:
            return [m for m in pool.map(check, retried + others) if m]


def _at(client: httpx.Client, url: str) -> httpx.Client:
    client.base_url = httpx.URL(url)
    return client
