"""Command load over real HTTP: one sequential client, or many concurrent asyncio clients.

Each client works only on its own cautions: it issues one (POST /v1/cautions), then sends the
workload's commands in order, each with the ETag it was last given as `If-Match` and a fresh
`Idempotency-Key`, as a well-behaved police or provider system would. Each client keeps one
connection of bench/raw_http.py, whose CPU cost is small next to the server's.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tests.support import caution_payload, token

from .infra import ServiceProcess
from .raw_http import Connection, Response
from .stats import summary_ms
from .workload import ROLES, STEPS, issue_time

TIMEOUT = 30.0  # seconds


@dataclass
class Request:
    kind: str  # "issue" or a step name
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class Lifecycle:
    """One client's cautions, one after another: issue, then every step, carrying the ETag forward."""

    def __init__(self, tokens: dict[str, dict[str, str]], issued: datetime) -> None:
        self.tokens, self.issued = tokens, issued
        self.location: str | None = None
        self.etag: str | None = None
        self.step = 0
        self.events_recorded = 0  # by the last request, from its ETag (the caution's version)

    def next_request(self) -> Request:
        key = {"Idempotency-Key": uuid.uuid4().hex}
        if self.location is None:
            return Request("issue", "/v1/cautions", {**key, **self.tokens["police"]}, caution_payload(self.issued))
        step = STEPS[self.step]
        headers = {**key, **self.tokens[step.role], "If-Match": self.etag or "*"}
        return Request(step.name, f"{self.location}/{step.path}", headers, step.body(self.issued))

    def record(self, request: Request, status: int, headers: dict[str, str]) -> bool:
        """Moves on after a success; after a failure starts a new caution. True when it succeeded."""
        ok = status == (201 if request.kind == "issue" else 200)
        if not ok:
            self.location, self.step = None, 0
            return False
        before = 0 if request.kind == "issue" else _version(self.etag)
        self.etag = headers.get("etag")
        self.events_recorded = _version(self.etag) - before
        if request.kind == "issue":
            self.location = headers["location"]
        else:
            self.step += 1
            if self.step == len(STEPS):
                self.location, self.step = None, 0
        return True


def _version(etag: str | None) -> int:
    return int((etag or "0").strip('"'))


@dataclass
class Tally:
    """What one scenario measured, shared by its clients."""

    max_commands: int
    deadline: float = 0.0
    commands: int = 0
    issued: int = 0
    events: int = 0  # recorded by the successful requests: the unit of the issue's yardstick
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)

    def more(self) -> bool:
        return self.commands < self.max_commands and time.perf_counter() < self.deadline

    def add(self, request: Request, seconds: float, ok: bool, status: int, text: str, events: int = 0) -> None:
        if not ok:  # failed requests are counted, but kept out of the latency figures
            if len(self.errors) < 20:
                self.errors.append(f"{request.kind}: HTTP {status} {text[:300]}")
            self.latencies["_errors"].append(seconds)
            return
        self.latencies[request.kind].append(seconds)
        self.events += events
        if request.kind == "issue":
            self.issued += 1
        else:
            self.commands += 1


def _tokens() -> dict[str, dict[str, str]]:
    return {role: {"Authorization": f"Bearer {token(role, 'CAMBS', f'bench-{role}')}"} for role in ROLES}


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()  # as httpx's json= sent it


def _address(base_url: str) -> tuple[str, int]:
    url = urlsplit(base_url)
    return url.hostname or "127.0.0.1", url.port or 80


def _warm_up(base_url: str, lifecycles: int) -> None:
    """A few complete cautions first, so imports and caches are warm."""

    async def warm() -> None:
        life, conn = Lifecycle(_tokens(), issue_time()), Connection(TIMEOUT)
        await conn.connect(*_address(base_url))
        try:
            for _ in range(lifecycles * (len(STEPS) + 1)):
                req = life.next_request()
                r = await conn.request("POST", req.path, req.headers, _encode(req.body))
                if not life.record(req, r.status, r.headers):
                    raise RuntimeError(f"warm-up {req.kind} failed: HTTP {r.status} {r.text[:500]}")
        finally:
            conn.close()

    asyncio.run(warm())


# Called after each successful command with the client's connection, the request, its response and
# the perf_counter() when the response was complete; awaited before that client sends its next command.
OnSuccess = Callable[[Connection, Request, Response, float], Awaitable[None]]


async def command_load(base_url: str, clients: int, tally: Tally, max_seconds: float,
                       on_success: OnSuccess | None = None,
                       server_cpu: Callable[[], float] = lambda: 0.0) -> tuple[float, float, float]:
    """`clients` clients, each on its own connection and cautions, until `tally` says stop.

    Returns wall, client CPU and server CPU seconds of the load (connecting comes before it)."""
    tokens, issued = _tokens(), issue_time()
    connections = [Connection(TIMEOUT) for _ in range(clients)]
    for conn in connections:
        await conn.connect(*_address(base_url))

    async def one_client(conn: Connection) -> None:
        life = Lifecycle(tokens, issued)
        while tally.more():
            req = life.next_request()
            body = _encode(req.body)
            t0 = time.perf_counter()
            r = await conn.request("POST", req.path, req.headers, body)
            done = time.perf_counter()
            ok = life.record(req, r.status, r.headers)
            tally.add(req, done - t0, ok, r.status, "" if ok else r.text, life.events_recorded if ok else 0)
            if ok and on_success is not None:
                await on_success(conn, req, r, done)

    try:
        cpu0, server0, start = time.process_time(), server_cpu(), time.perf_counter()
        tally.deadline = start + max_seconds
        await asyncio.gather(*(one_client(conn) for conn in connections))
        wall = time.perf_counter() - start
        return wall, time.process_time() - cpu0, server_cpu() - server0
    finally:
        for conn in connections:
            conn.close()


def run_sequential(service: ServiceProcess, max_commands: int, max_seconds: float) -> dict[str, Any]:
    return run_concurrent(service, 1, max_commands, max_seconds)


def run_concurrent(service: ServiceProcess, clients: int, max_commands: int, max_seconds: float) -> dict[str, Any]:
    _warm_up(service.base_url, 2)
    tally = Tally(max_commands)
    wall, cpu, server = asyncio.run(command_load(service.base_url, clients, tally, max_seconds,
                                                 server_cpu=service.cpu_seconds))
    return _result(tally, clients, wall, cpu, server)


def _result(tally: Tally, clients: int, wall: float, client_cpu: float, server_cpu: float) -> dict[str, Any]:
    command_latencies = [s for kind, values in tally.latencies.items() if kind not in ("issue", "_errors")
                         for s in values]
    requests = tally.commands + tally.issued
    return {
        "clients": clients,
        "wall_seconds": round(wall, 3),
        "commands": tally.commands,
        "cautions_issued": tally.issued,
        "errors": len(tally.latencies.get("_errors", [])),
        "error_samples": tally.errors,
        "commands_per_second": round(tally.commands / wall, 1),
        "events": tally.events,
        "events_per_second": round(tally.events / wall, 1),
        "requests_per_second": round(requests / wall, 1),
        "command_latency": summary_ms(command_latencies),
        "issue_latency": summary_ms(tally.latencies.get("issue", [])),
        "latency_by_command": {
            kind: summary_ms(values) for kind, values in sorted(tally.latencies.items()) if kind != "_errors"
        },
        "server_cpu_seconds": round(server_cpu, 3),
        "server_cpu_ms_per_request": round(1000 * server_cpu / requests, 3) if requests else None,
        "server_cpu_utilisation": round(server_cpu / wall, 3),
        "client_cpu_seconds": round(client_cpu, 3),
    }
