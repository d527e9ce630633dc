"""`python -m bench.registers`: a workshop session's register, recorded in one request, on both databases.

A provider's evening is one session of about twelve people; the next morning one request records who came
(POST /v1/workshop-sessions/{id}/register). That request loads the session and its twelve cautions, records
one event on each caution and one on the session, in one transaction. This measures it over real HTTP against
the caution service as one uvicorn process (the embedded default: it also projects).

Set-up, not timed: one venue, --sessions sessions of workshop A starting a little after set-up ends, twelve
cautions issued by police and booked into each. Then, once the sessions have started, the registers: each
with the same mix as a real evening (8 attended, 2 did not attend, 1 arrived late, 1 sent home), first from one
client one after another, then from --clients concurrent clients (different providers' morning rush). Latency
is per register request; registers/s counts whole registers (x13 events each).

Figures are printed and written to bench/results/registers-<date>.json and .md, and latest.md (own section).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.support import auth, caution_payload

from . import infra, report
from .stats import summary_ms

RESULTS = Path(__file__).resolve().parent / "results"
HEADING = "# Register benchmark"
PER_SESSION = 12
OUTCOMES = ["attended"] * 8 + ["did_not_attend"] * 2 + ["arrived_late", "sent_home"]


def _say(message: str) -> None:
    print(message, flush=True)


def _created(response: httpx.Response) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.status_code} "
                           f"{response.text[:300]}")
    return response.json()


async def _set_up(client: httpx.AsyncClient, sessions: int) -> tuple[list[dict[str, Any]], datetime]:
    """`sessions` full sessions; returns them (id, caution ids) and their start. The cautions are issued first; the
    sessions are then planned to start once their bookings (a few ms each) are surely done."""
    police, provider = auth("police"), auth("provider")
    venue = _created(await client.post("/v1/venues", headers=provider, json={
        "name": f"Bench hall {uuid.uuid4().hex[:6]}", "address": "1 Bench Street, Cambridge", "postcode": "CB1 1AA",
        "accessible": True}))
    issued_at = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    cautions: list[str] = []
    for _ in range(sessions):
        issued = await asyncio.gather(*(client.post("/v1/cautions", headers=police, json=caution_payload(issued_at))
                                        for _ in range(PER_SESSION)))
        cautions += [_created(r)["id"] for r in issued]
    lead = timedelta(seconds=5 + 0.05 * len(cautions))  # 50 ms a booking: several times what one takes
    starts_at = (datetime.now(UTC) + lead).replace(microsecond=0)
    planned = []
    for n in range(sessions):
        session = _created(await client.post("/v1/workshop-sessions", headers=provider, json={
            "workshop": "A", "venue_id": venue["id"], "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(), "capacity": PER_SESSION, "group": "mens",
            "facilitators": ["FAC-1", "FAC-2"], "provider": "bench-provider", "bank_holiday_reason": "benchmark"}))
        mine = cautions[n * PER_SESSION:(n + 1) * PER_SESSION]
        for caution_id in mine:  # one at a time: they share the session
            _created(await client.post(f"/v1/workshop-sessions/{session['id']}/bookings", headers=provider,
                                       json={"caution_id": caution_id}))
        planned.append({"id": session["id"], "cautions": mine})
    if datetime.now(UTC) >= starts_at:
        raise RuntimeError("the bookings took longer than the lead allowed; the sessions started before they ended")
    return planned, starts_at


def _register_body(cautions: list[str]) -> dict[str, Any]:
    return {"lines": [{"caution_id": c, "outcome": o} for c, o in zip(cautions, OUTCOMES, strict=True)]}


async def _record(client: httpx.AsyncClient, session: dict[str, Any], took: list[float], errors: list[str]) -> None:
    headers = {**auth("provider"), "Idempotency-Key": uuid.uuid4().hex}
    started = time.perf_counter()
    response = await client.post(f"/v1/workshop-sessions/{session['id']}/register", headers=headers,
                                 json=_register_body(session["cautions"]))
    took.append(time.perf_counter() - started)
    if response.status_code != 200:
        errors.append(f"{response.status_code} {response.text[:200]}")


async def _registers(base_url: str, sessions: list[dict[str, Any]], clients: int) -> dict[str, Any]:
    took: list[float] = []
    errors: list[str] = []
    queue = list(sessions)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        async def worker() -> None:
            while queue:
                await _record(client, queue.pop(), took, errors)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {"clients": clients, "registers": len(took), "registers_per_second": len(took) / elapsed,
            "events_per_second": len(took) * (PER_SESSION + 1) / elapsed, "latency_ms": summary_ms(sorted(took)),
            "errors": len(errors), "first_error": errors[0] if errors else None}


async def _scenario(db: str, url: str, sessions: int, clients: int) -> list[dict[str, Any]]:
    with infra.ServiceProcess(url) as service:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as client:
            set_up_started = time.perf_counter()
            planned, starts_at = await _set_up(client, 2 * sessions)
            _say(f"{db}: set up {len(planned)} sessions in {time.perf_counter() - set_up_started:.1f} s")
        wait = (starts_at - datetime.now(UTC)).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait + 0.5)
        results = []
        for batch, n in ((planned[:sessions], 1), (planned[sessions:], clients)):
            result = await _registers(service.base_url, batch, n)
            results.append({"database": db, **result})
            _say(f"{db}, {n} client(s): {result['registers_per_second']:.1f} registers/s, "
                 f"p50 {result['latency_ms']['p50_ms']:.1f} ms, p99 {result['latency_ms']['p99_ms']:.1f} ms")
    return results


def markdown(rep: dict[str, Any]) -> str:
    lines = [f"{HEADING}, {rep['started_at'][:16].replace('T', ' ')} UTC", "",
             report.measured_on(rep, "`python -m bench.registers` (part of `make bench`)"),
             f"Each register: {PER_SESSION} cautions (8 attended, 2 did not attend, 1 arrived late, 1 sent home), one "
             f"request, one transaction, {PER_SESSION + 1} events. {rep['parameters']['sessions']} registers per row.",
             "", "| database | clients | registers | registers/s | events/s | p50 ms | p90 ms | p99 ms | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rep["results"]:
        lat = r["latency_ms"] or {}
        latencies = " | ".join(report.fmt(lat.get(key)) for key in ("p50_ms", "p90_ms", "p99_ms"))
        lines.append(f"| {r['database']} | {r['clients']} | {r['registers']} | {r['registers_per_second']:.1f} | "
                     f"{r['events_per_second']:.0f} | {latencies} | {r['errors']} |")
    for db, why in rep["skipped"].items():
        lines.append(f"\n{db} skipped: {why}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, say: Callable[[str], None] = _say) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sessions", type=int, default=40, help="registers per row")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started, t0 = datetime.now(UTC), time.perf_counter()
    databases, skipped = infra.usable_databases(args.databases, say)
    env = report.environment(databases, say)
    results: list[dict[str, Any]] = []
    for db in databases:
        with infra.database(db) as url:
            results += asyncio.run(_scenario(db, url, args.sessions, args.clients))
    rep = report.envelope("registers", started, t0, vars(args) | {"out": str(args.out)}, env, skipped, results)
    report.publish("registers", HEADING, rep, markdown(rep), args.out, say)
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
