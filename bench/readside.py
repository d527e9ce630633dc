"""`python -m bench.readside`: the read side of the caution service at scale, on SQLite and PostgreSQL.

For each database:

* seed        - a store of --events events (default 1,000,000: 100,000 cautions), copied from one real
                caution lifecycle (see bench/seeding.py); events/s of the bulk insert;
* rebuild     - build_projector(app, batch_size).rebuild(), as `make rebuild` does: events/s and wall time;
                checks one summary per caution and one history entry per event;
* queries     - the caution service started on that store (CARA_RUN_PROJECTIONS=false: it is rebuilt);
                one client, sequential requests: compliance history of random cautions, filtered lists
                (status=completed, overdue=true, offender_ref, following a cursor), the outcomes report for a
                year by month (national commissioner, and police of one force), p50/p99 each;
* feed        - GET /v1/events?after=..&limit=1000 paged through --feed-events events: events/s;
* lag         - a fresh database, the service with its embedded projector, --clients clients running the
                command workload for --lag-seconds: GET /readyz projection_lag sampled every 100 ms, and for
                one write in ten the time until GET /v1/cautions?limit=1&min_position=<its position> answers.

Figures are printed and written to bench/results/readside-<date>.json and .md, and latest.md (own section).
PostgreSQL is skipped, with the reason printed, when it cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from services.caution_service.event_store import engine_of
from services.caution_service.projections.tables import history, outcome_cautions, summaries
from services.caution_service.projections.wiring import build_projector
from shared.auth import DEV_NATIONAL_COMMISSIONER, NATIONAL, Role
from shared.uk_time import uk_date
from tests.support import auth, national_auth

from . import infra, report, seeding
from .http_load import TIMEOUT, Request, Tally, _tokens, _warm_up, command_load
from .raw_http import Connection, Response
from .stats import summary_ms

RESULTS = Path(__file__).resolve().parent / "results"
HEADING = "# Read-side benchmark"
DEFAULT_EVENTS = 1_000_000
# Seeding + rebuilding 1,000,000 events on this machine's PostgreSQL took about 4.5 minutes when measured
# (2 CPUs, other work running), under the ~6 minute budget, so PostgreSQL runs the same size by default.
DEFAULT_PG_EVENTS = 1_000_000


def _say(message: str) -> None:
    print(message, flush=True)


class _Progress:
    """A line every `every` seconds: done/total and the rate so far."""

    def __init__(self, label: str, total: int, every: float = 15.0) -> None:
        self.label, self.total, self.every = label, total, every
        self.last = time.perf_counter()

    def __call__(self, done: int, elapsed: float) -> None:
        now = time.perf_counter()
        if now - self.last >= self.every or done >= self.total:
            self.last = now
            rate = done / elapsed if elapsed else 0
            _say(f"      {self.label}: {done:,}/{self.total:,} events, {elapsed:.0f}s, {rate:,.0f} events/s")


# ----- seed and rebuild -------------------------------------------------------------------------------


def _store_megabytes(app: Any, url: str) -> float | None:
    engine = engine_of(app)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20, 1)
    with engine.connect() as conn:
        size = conn.execute(text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'")).scalar()
    return round(float(size) / 2**20, 1) if size else None


def _rebuild(app: Any, batch_size: int, total: int) -> dict[str, Any]:
    projector = build_projector(app, batch_size=batch_size)  # as `make rebuild` does: caution by caution
    progress = _Progress("rebuild", total)
    started = time.perf_counter()
    done = projector.rebuild(progress=lambda count, head: progress(count, time.perf_counter() - started))
    wall = time.perf_counter() - started
    t0 = time.perf_counter()
    projector.refresh_statistics()  # as `make rebuild` does: planner statistics for the fresh read models
    statistics = time.perf_counter() - t0
    engine = engine_of(app)
    with engine.connect() as conn:
        summary_rows = conn.execute(select(func.count()).select_from(summaries)).scalar_one()
        history_rows = conn.execute(select(func.count()).select_from(history)).scalar_one()
        outcome_rows = conn.execute(select(func.count()).select_from(outcome_cautions)).scalar_one()
    return {"events": done, "batch_size": batch_size, "wall_seconds": round(wall, 2),
            "events_per_second": round(done / wall, 1) if wall else None,
            "refresh_statistics_seconds": round(statistics, 2),
            "summary_rows": summary_rows, "history_rows": history_rows, "outcome_rows": outcome_rows,
            "lag_after": projector.lag()}


def _samples(app: Any, count: int, rng: random.Random) -> dict[str, list[str]]:
    s = summaries.c
    with engine_of(app).connect() as conn:
        rows = conn.execute(select(s.caution_id, s.offender_reference)).all()
    picked = rng.sample(rows, min(count, len(rows)))
    return {"caution_ids": [r[0] for r in picked], "offender_refs": [r[1] for r in picked]}


# ----- queries over HTTP -------------------------------------------------------------------------------


def _measure(client: httpx.Client, service: infra.ServiceProcess, calls: list[tuple[str, dict[str, Any]]],
             headers: dict[str, str], rows_of: Any) -> dict[str, Any]:
    """Sequential GETs; latency per request, server CPU per request, rows per response."""
    for path, params in calls[:10]:  # warm-up: imports, caches, connection
        client.get(path, params=params, headers=headers)
    latencies: list[float] = []
    rows: list[int] = []
    samples: list[str] = []
    errors = 0
    cpu0, start = service.cpu_seconds(), time.perf_counter()
    for path, params in calls:
        t0 = time.perf_counter()
        r = client.get(path, params=params, headers=headers)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            errors += 1
            if len(samples) < 5:
                samples.append(f"{path} {params}: HTTP {r.status_code} {r.text[:200]}")
            continue
        latencies.append(elapsed)
        rows.append(rows_of(r.json()))
    wall, cpu = time.perf_counter() - start, service.cpu_seconds() - cpu0
    return {"requests": len(calls), "errors": errors, "error_samples": samples, "latency": summary_ms(latencies),
            "requests_per_second": round(len(calls) / wall, 1),
            "server_cpu_ms_per_request": round(1000 * cpu / len(calls), 2) if calls else None,
            "rows_per_response": {"min": min(rows), "max": max(rows), "mean": round(sum(rows) / len(rows), 1)}
            if rows else None}


def _cursor_calls(client: httpx.Client, headers: dict[str, str], pages: int) -> list[tuple[str, dict[str, Any]]]:
    """Walk GET /v1/cautions?limit=50 from the first page, keeping each next cursor (to be replayed, measured)."""
    calls, cursor = [], None
    for _ in range(pages):
        params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        r = client.get("/v1/cautions", params=params, headers=headers)
        r.raise_for_status()
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
        calls.append(("/v1/cautions", {"limit": 50, "cursor": cursor}))
    return calls


# The service runs outside production, where the development commissioner holds the national grant.
NATIONAL_COMMISSIONER = auth(Role.COMMISSIONER, NATIONAL, subject=DEV_NATIONAL_COMMISSIONER)


def _report_year() -> dict[str, str]:
    """The twelve UK months to this one: every seeded caution was issued in them (seeding.ISSUE_DAYS)."""
    today = uk_date(datetime.now(UTC))
    first = today.year * 12 + today.month - 1 - 11
    return {"from": f"{first // 12:04d}-{first % 12 + 1:02d}", "to": f"{today.year:04d}-{today.month:02d}",
            "by": "month"}


def _cohort_size(body: Any) -> int:
    """The cautions a report counted (its "rows": the report reads sums, whatever the count)."""
    return int(body["total"]["cohort"]["issued"])


def _queries(service: infra.ServiceProcess, samples: dict[str, list[str]], requests: int) -> dict[str, Any]:
    police = auth("police", "CAMBS")
    out: dict[str, Any] = {}
    ids, refs = samples["caution_ids"][:requests], samples["offender_refs"][:requests]
    with httpx.Client(base_url=service.base_url, timeout=TIMEOUT) as client:
        plans: list[tuple[str, list[tuple[str, dict[str, Any]]], Callable[[Any], int]]] = [
            ("compliance history (random caution)",
             [(f"/v1/cautions/{i}/compliance-history", {}) for i in ids], lambda b: len(b["entries"])),
            ("list status=completed&limit=50",
             [("/v1/cautions", {"status": "completed", "limit": 50})] * requests, lambda b: len(b["items"])),
            ("list overdue=true&limit=50",
             [("/v1/cautions", {"overdue": "true", "limit": 50})] * requests, lambda b: len(b["items"])),
            ("list offender_ref=<random>",
             [("/v1/cautions", {"offender_ref": ref}) for ref in refs], lambda b: len(b["items"])),
            ("list limit=50, next cursor page",
             _cursor_calls(client, police, requests), lambda b: len(b["items"])),
        ]
        # The commissioner's outcomes report (issue 19): a year by month, nationally and for one force; it reads the
        # projector's sums, so its cost does not grow with the cautions counted.
        year = _report_year()
        by_headers = {name: police for name, _, _ in plans}
        for name, headers in (("outcomes report, a year by month (national commissioner)", NATIONAL_COMMISSIONER),
                              ("outcomes report, a year by month (police, CAMBS)", police)):
            plans.append((name, [("/v1/reports/outcomes", year)] * requests, _cohort_size))
            by_headers[name] = headers
        for name, calls, rows_of in plans:
            out[name] = _measure(client, service, calls, by_headers[name], rows_of)
            lat = out[name]["latency"] or {}
            _say(f"      {name:38} p50 {lat.get('p50_ms', float('nan')):7.2f} ms  "
                 f"p99 {lat.get('p99_ms', float('nan')):7.2f} ms"
                 f"  ({out[name]['requests']} requests, {out[name]['errors']} errors)")
    return out


def _feed(service: infra.ServiceProcess, events: int, page: int = 1000) -> dict[str, Any]:
    headers = national_auth()
    after, read, pages, latencies = 0, 0, 0, []
    with httpx.Client(base_url=service.base_url, timeout=TIMEOUT) as client:
        client.get("/v1/events", params={"after": 0, "limit": 10}, headers=headers).raise_for_status()  # warm-up
        cpu0, start = service.cpu_seconds(), time.perf_counter()
        while read < events:
            t0 = time.perf_counter()
            r = client.get("/v1/events", params={"after": after, "limit": page}, headers=headers)
            latencies.append(time.perf_counter() - t0)
            r.raise_for_status()
            body = r.json()
            if not body["items"]:
                break
            read += len(body["items"])
            pages += 1
            after = body["next_after"]
        wall, cpu = time.perf_counter() - start, service.cpu_seconds() - cpu0
    return {"events": read, "pages": pages, "page_size": page, "wall_seconds": round(wall, 2),
            "events_per_second": round(read / wall, 1) if wall else None, "page_latency": summary_ms(latencies),
            "server_cpu_ms_per_1000_events": round(1000 * cpu / read * 1000, 1) if read else None}


# ----- projection lag under command load ---------------------------------------------------------------


def _lag_under_load(service: infra.ServiceProcess, clients: int, seconds: float, probe_every: int) -> dict[str, Any]:
    _warm_up(service.base_url, 2)
    return asyncio.run(_lag_run(service, clients, seconds, probe_every))


async def _lag_run(service: infra.ServiceProcess, clients: int, seconds: float, probe_every: int) -> dict[str, Any]:
    police = _tokens()["police"]
    tally = Tally(10**9)
    lags: list[tuple[float, int]] = []
    sample_errors: list[str] = []
    ryw: list[float] = []
    ryw_state = {"writes": 0, "retries": 0, "failed": 0}
    loading = asyncio.Event()
    async with httpx.AsyncClient(base_url=service.base_url, timeout=TIMEOUT) as probe:

        async def read_your_write(conn: Connection, req: Request, r: Response, written_at: float) -> None:
            ryw_state["writes"] += 1
            if ryw_state["writes"] % probe_every:
                return
            path = f"/v1/cautions?limit=1&min_position={r.json()['position']}"
            while True:
                read = await conn.request("GET", path, police)
                if read.status == 200:
                    ryw.append(time.perf_counter() - written_at)
                    return
                if read.status == 503 and time.perf_counter() - written_at < 60:
                    ryw_state["retries"] += 1  # the service waited 5 s and the read model was still behind
                    continue
                ryw_state["failed"] += 1
                if len(sample_errors) < 10:
                    sample_errors.append(f"min_position read: HTTP {read.status} {read.text[:200]}")
                return

        async def sampler() -> None:
            while loading.is_set():
                t0 = time.perf_counter()
                try:
                    r = await probe.get("/readyz")
                    lag = r.json().get("projection_lag")
                    if isinstance(lag, int):
                        lags.append((t0 - start, lag))
                    elif len(sample_errors) < 10:
                        sample_errors.append(f"readyz: HTTP {r.status_code} {r.text[:200]}")
                except httpx.HTTPError as e:
                    sample_errors.append(f"readyz: {type(e).__name__}")
                await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - t0)))

        cpu0, start = service.cpu_seconds(), time.perf_counter()
        loading.set()
        sampling = asyncio.create_task(sampler())
        wall, _, _ = await command_load(service.base_url, clients, tally, seconds, read_your_write)
        loading.clear()
        await sampling
        cpu = service.cpu_seconds() - cpu0
        # after the load: how long until the read models have everything
        stopped, caught_up = time.perf_counter(), None
        while time.perf_counter() - stopped < 120:
            r = await probe.get("/readyz")
            if r.json().get("projection_lag") == 0:
                caught_up = time.perf_counter() - stopped
                break
            await asyncio.sleep(0.05)
    values = sorted(lag for _, lag in lags)
    commands = [s for kind, v in tally.latencies.items() if kind not in ("issue", "_errors") for s in v]

    def pct(q: float) -> float | None:
        from .stats import percentile
        return round(percentile(values, q), 1) if values else None

    return {
        "clients": clients, "wall_seconds": round(wall, 2), "commands": tally.commands, "cautions_issued": tally.issued,
        "commands_per_second": round(tally.commands / wall, 1), "command_latency": summary_ms(commands),
        "errors": len(tally.latencies.get("_errors", [])), "error_samples": tally.errors[:5] + sample_errors[:5],
        "server_cpu_utilisation": round(cpu / wall, 3),
        "lag_samples": len(values), "lag_events": {"p50": pct(50), "p90": pct(90), "p99": pct(99),
                                                   "max": values[-1] if values else None,
                                                   "mean": round(sum(values) / len(values), 1) if values else None},
        "catch_up_seconds_after_load": round(caught_up, 3) if caught_up is not None else None,
        "read_your_writes": {"probe_every": probe_every, "probes": len(ryw) + ryw_state["failed"],
                             "retries_after_503": ryw_state["retries"], "failed": ryw_state["failed"],
                             "delay": summary_ms(ryw)},
    }


# ----- one database ------------------------------------------------------------------------------------


def run_database(kind: str, args: argparse.Namespace, template: seeding.Template, events: int) -> dict[str, Any]:
    result: dict[str, Any] = {"database": kind, "events": events}
    rng = random.Random(args.seed)
    with infra.database(kind) as url:
        app = seeding.open_app(url)
        try:
            _say(f"  [{kind}] seeding {events:,} events ({seeding.cautions_for(events):,} cautions) ...")
            result["seed"] = seeding.seed(app, template, events, args.interleave, _Progress("seed", events))
            seed = result["seed"]
            _say(f"    seeded in {seed['wall_seconds']:.1f}s: {seed['events_per_second']:,.0f} events/s")
            _say(f"  [{kind}] rebuilding the read models (batch {args.batch_size}) ...")
            rebuild = _rebuild(app, args.batch_size, events)
            cautions = result["seed"]["cautions"]
            rebuild["checks"] = {
                "summaries_equal_cautions": rebuild["summary_rows"] == cautions,
                "history_rows_equal_events": rebuild["history_rows"] == events,
                "outcome_rows_equal_cautions": rebuild["outcome_rows"] == cautions,
            }
            result["rebuild"] = rebuild
            _say(f"    rebuilt in {rebuild['wall_seconds']:.1f}s: {rebuild['events_per_second']:,.0f} events/s; "
                 f"{rebuild['summary_rows']:,} summaries (want {cautions:,}), {rebuild['history_rows']:,} history rows "
                 f"(want {events:,})")
            result["store_megabytes"] = _store_megabytes(app, url)
            samples = _samples(app, args.requests, rng)
        finally:
            seeding.close_app(app)
        _say(f"  [{kind}] queries over HTTP, {args.requests} sequential requests each ...")
        with infra.ServiceProcess(url, env={"CARA_RUN_PROJECTIONS": "false"}) as service:
            result["queries"] = _queries(service, samples, args.requests)
            _say(f"  [{kind}] feed: paging {args.feed_events:,} events, 1000 a page ...")
            result["feed"] = _feed(service, min(args.feed_events, events))
            f = result["feed"]
            _say(f"    {f['events']:,} events in {f['wall_seconds']:.1f}s: {f['events_per_second']:,.0f} events/s, "
                 f"page p50 {f['page_latency']['p50_ms']:.0f} ms")
    _say(f"  [{kind}] projection lag under load: {args.clients} clients for {args.lag_seconds:g}s "
         "on a fresh database ...")
    with infra.database(kind) as url, infra.ServiceProcess(url) as service:
        lag = _lag_under_load(service, args.clients, args.lag_seconds, args.probe_every)
    result["lag_under_load"] = lag
    ryw = lag["read_your_writes"]["delay"] or {}
    _say(f"    {lag['commands']} commands ({lag['commands_per_second']}/s); lag p50 {lag['lag_events']['p50']} "
         f"p99 {lag['lag_events']['p99']} events; read-your-writes p50 {ryw.get('p50_ms', float('nan')):.0f} ms "
         f"p99 {ryw.get('p99_ms', float('nan')):.0f} ms; caught up {lag['catch_up_seconds_after_load']}s after the "
         "load")
    return result


# ----- report ------------------------------------------------------------------------------------------


def markdown(rep: dict[str, Any]) -> str:
    fmt = report.fmt
    p = rep["parameters"]
    lines = [
        f"{HEADING}, {rep['started_at'][:16].replace('T', ' ')} UTC",
        "",
        report.measured_on(rep, "`python -m bench.readside` (part of `make bench`)"),
        f"Store: one real caution lifecycle recorded through CautionApplication, copied for new caution ids in a "
        f"repeating mix of {'/'.join(map(str, seeding.SHAPES))} events per caution (mean 10; half completed, half "
        f"open and overdue), issue dates spread over {seeding.ISSUE_DAYS} days (all dates of a caution moved "
        "together), "
        f"{p['interleave']} cautions interleaved at a time, bulk-inserted with SQLAlchemy Core (bench/seeding.py). "
        "Rebuild: build_projector().rebuild(), which reads the store caution by caution, in this process; "
        "then projector.refresh_statistics() (ANALYZE of the read-model tables), as `make rebuild` does.",
        "",
        "| database | events | cautions | seed events/s | rebuild s | rebuild events/s | then ANALYZE s | summaries ok "
        "| history ok | store MB |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for r in rep["results"]:
        s, b = r["seed"], r["rebuild"]
        lines.append(f"| {r['database']} | {s['events']:,} | {s['cautions']:,} | {s['events_per_second']:,.0f} | "
                     f"{b['wall_seconds']:.1f} | {b['events_per_second']:,.0f} | {b['refresh_statistics_seconds']:.1f} "
                     "| "
                     f"{'yes' if b['checks']['summaries_equal_cautions'] else 'NO'} ({b['summary_rows']:,}) | "
                     f"{'yes' if b['checks']['history_rows_equal_events'] else 'NO'} ({b['history_rows']:,}) | "
                     f"{fmt(r.get('store_megabytes'), 0)} |")
    lines += [
        "",
        f"Reads over HTTP on that store: the service as one uvicorn worker, projections off (already rebuilt); one "
        f"client, sequential requests, {p['requests']} of each (after 10 warm-up requests); police token, force CAMBS "
        "(the outcomes report also with a national commissioner token; its rows/response are the cautions counted).",
        "",
        "| database | request | p50 ms | p90 ms | p99 ms | requests/s | rows/response | server CPU ms/request | errors "
        "|",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rep["results"]:
        for name, q in r["queries"].items():
            lat = q["latency"] or {}
            rows = q["rows_per_response"] or {}
            lines.append(f"| {r['database']} | {name} | {fmt(lat.get('p50_ms'))} | {fmt(lat.get('p90_ms'))} | "
                         f"{fmt(lat.get('p99_ms'))} | {q['requests_per_second']:.1f} | {rows.get('mean', '-')} | "
                         f"{fmt(q['server_cpu_ms_per_request'], 1)} | {q['errors']} |")
    lines += [
        "",
        "Feed: GET /v1/events?after=..&limit=1000 (national subscriber token), paged from the start, one client.",
        "",
        "| database | events | pages | events/s | page p50 ms | page p99 ms | server CPU ms per 1000 events |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rep["results"]:
        f = r["feed"]
        lat = f["page_latency"] or {}
        lines.append(f"| {r['database']} | {f['events']:,} | {f['pages']} | {f['events_per_second']:,.0f} | "
                     f"{fmt(lat.get('p50_ms'), 0)} | {fmt(lat.get('p99_ms'), 0)} | "
                     f"{fmt(f['server_cpu_ms_per_1000_events'], 0)} |")
    lines += [
        "",
        f"Projection lag under load: a fresh database, the service with its embedded projector, {p['clients']} clients "
        f"running the command workload for {p['lag_seconds']:g} s. Lag = GET /readyz projection_lag sampled every "
        f"100 ms. Read-your-writes: after one successful write in {p['probe_every']}, the writing client sends "
        "GET /v1/cautions?limit=1&min_position=<the write's position>; the delay runs from the write's response to "
        "that read's 200 (the service waits up to 5 s, then answers 503 and the client asks again).",
        "",
        "| database | commands/s | command p50 ms | lag p50 | lag p99 | lag max | RYW probes | RYW p50 ms | RYW p99 ms "
        "| RYW 503s | caught up after load s | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rep["results"]:
        g = r["lag_under_load"]
        ryw = g["read_your_writes"]
        d = ryw["delay"] or {}
        command_p50 = (g["command_latency"] or {}).get("p50_ms")
        lines.append(f"| {r['database']} | {g['commands_per_second']:.1f} | {fmt(command_p50, 0)} | "
                     f"{g['lag_events']['p50']} | {g['lag_events']['p99']} | {g['lag_events']['max']} | "
                     f"{ryw['probes']} | "
                     f"{fmt(d.get('p50_ms'), 0)} | {fmt(d.get('p99_ms'), 0)} | {ryw['retries_after_503']} | "
                     f"{fmt(g['catch_up_seconds_after_load'])} | {g['errors']} |")
    for note in rep.get("notes", []):
        lines += ["", note]
    for db, reason in rep["skipped"].items():
        lines += ["", f"{db} skipped: {reason}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python -m bench.readside")
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS,
                        help=f"events in the SQLite store (default {DEFAULT_EVENTS:,})")
    parser.add_argument("--pg-events", type=int, default=DEFAULT_PG_EVENTS,
                        help=f"events in the PostgreSQL store (default {DEFAULT_PG_EVENTS:,})")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--batch-size", type=int, default=2000,
                        help="projector batch size for the rebuild (default 2000)")
    parser.add_argument("--interleave", type=int, default=1000,
                        help="cautions whose events are interleaved (default 1000)")
    parser.add_argument("--requests", type=int, default=300, help="requests per query kind (default 300)")
    parser.add_argument("--feed-events", type=int, default=200_000,
                        help="events to page through the feed (default 200,000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients in the lag scenario (default 16)")
    parser.add_argument("--lag-seconds", type=float, default=20.0, help="length of the lag scenario (default 20)")
    parser.add_argument("--probe-every", type=int, default=10,
                        help="a read-your-writes probe after every Nth write (default 10)")
    parser.add_argument("--seed", type=int, default=20261122, help="random seed for the sampled ids")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory (default bench/results)")
    args = parser.parse_args(argv)

    started = datetime.now(UTC)
    databases, skipped = infra.usable_databases(args.databases, _say)
    environment = report.environment(databases, _say)
    _say(f"Read-side benchmark: {args.events:,} events on SQLite, {args.pg_events:,} on PostgreSQL; "
         f"databases: {', '.join(databases) or 'none'}")
    t0 = time.perf_counter()
    _say("  recording one caution lifecycle through CautionApplication; "
         "checking the bulk insert against insert_events ...")
    template = seeding.build_template()
    for db in databases:
        seeding.verify_bulk_insert(db, template)
    results = [run_database(db, args, template, args.events if db == "sqlite" else args.pg_events) for db in databases]

    parameters = {k: v for k, v in vars(args).items() if k != "out"} | {"shapes": list(seeding.SHAPES)}
    rep = report.envelope("readside", started, t0, parameters, environment, skipped, results)
    report.publish("readside", HEADING, rep, markdown(rep), args.out, _say)
    failed = [r["database"] for r in results if not all(r["rebuild"]["checks"].values())]
    errors = (sum(q["errors"] for r in results for q in r["queries"].values())
              + sum(r["lag_under_load"]["errors"] for r in results))
    if failed or errors:
        print(f"checks failed on {failed or 'none'}; {errors} failed requests (see the JSON)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
