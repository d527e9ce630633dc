"""`make bench`: command throughput and latency of the caution service, and the raw library baseline.

Scenarios, each on a fresh database (a temporary SQLite file, and a fresh PostgreSQL schema):

* http sequential  - one client over real HTTP to the service started as its own uvicorn process
                     (one worker): issue a caution, then its commands, one request at a time;
* http concurrent  - 16 asyncio clients at once, each working on its own cautions;
* http concurrent, N workers + projector
                   - the same load on the production shape: N uvicorn workers that do not project,
                     and the projection worker process beside them;
* library          - CautionApplication alone (build_application), one thread, the same commands.

The production-shape scenario is bracketed by the issue's yardstick (bench/reference.py, the
library's own recorder), measured just before and just after it, and compared with their mean.

Each scenario stops after --commands commands or --seconds seconds, whichever comes first.
Figures are printed and written to bench/results/commands-<date>.json and .md, and latest.md.
PostgreSQL is skipped, with the reason printed, when it cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from . import infra
from . import report as results_file
from .http_load import run_concurrent, run_sequential
from .library import run_library
from .reference import persistence_options, run_reference
from .workload import STEPS

RESULTS = Path(__file__).resolve().parent / "results"
HEADING = "# Command benchmark"


def _http_scenarios(args: argparse.Namespace, db: str) -> list[dict[str, Any]]:
    out = []
    sequential = lambda s: run_sequential(s, args.commands, args.seconds)  # noqa: E731
    concurrent = lambda s: run_concurrent(s, args.clients, args.commands, args.seconds)  # noqa: E731
    # (name, run, API worker processes): the embedded default is one process that also projects;
    # the production shape is several API workers and the separate projection worker (`make projector`).
    plans = [("http sequential", sequential, 1)]
    if args.clients > 1:
        plans.append(("http concurrent", concurrent, 1))
        if args.production_workers > 1:
            plans.append((f"http concurrent, {args.production_workers} workers + projector", concurrent,
                          args.production_workers))
    for name, run, workers in plans:
        bracket = workers > 1 and not args.no_library
        before = _yardstick(args, db) if bracket else None
        print(f"  {name:16} on {db:10} ...", end=" ", flush=True)
        with infra.database(db) as url:
            if workers == 1:
                with infra.ServiceProcess(url) as service:
                    result = run(service)
            else:
                env = {"CARA_RUN_PROJECTIONS": "false"}
                with infra.ServiceProcess(url, workers=workers, env=env) as service, \
                        infra.ProjectorProcess(url) as projector:
                    projector0 = projector.cpu_seconds()
                    result = run(service)
                    result["projector_cpu_seconds"] = round(projector.cpu_seconds() - projector0, 3)
                    _add_projector_cpu(result)
                    result.update(_projector_catch_up(service.base_url))
        if before is not None:
            result.update(yardstick_events_per_second=[before, _yardstick(args, db)])
        out.append({"scenario": name, "database": db, "workers": workers, **result})
        _print_done(out[-1])
        if before is not None:
            print(f"    {yardstick_line(out[-1])}")
        if result["errors"]:
            print(f"    {result['errors']} failed requests, e.g. {result['error_samples'][:3]}")
    return out


def _yardstick(args: argparse.Namespace, db: str) -> float:
    """The issue's yardstick (the library's own recorder), on a fresh database, for a run bracketed by it."""
    with infra.database(db) as url:
        options = persistence_options(url)
        own = next(module for module in options if module != "eventsourcing-sqlalchemy")
        return float(run_reference(options[own], args.commands, args.seconds)["events_per_second"])


def yardstick_line(result: dict[str, Any]) -> str:
    """The service against the yardstick measured just before and just after it: the machine's speed drifts
    by a fifth within minutes, so a yardstick from another part of the run compares less fairly."""
    before, after = result["yardstick_events_per_second"]
    ratio = result["events_per_second"] / ((before + after) / 2)
    return (f"Production shape on {result['database']}: {result['events_per_second']:,.0f} events/s; the yardstick "
            f"just before and after it: {before:,.0f} and {after:,.0f} events/s, so {ratio:.0%} of their mean.")


def _projector_catch_up(base_url: str, limit: float = 60.0) -> dict[str, Any]:
    """How far behind the projection worker was when the load stopped, and how long it took to catch up:
    a production-shape figure only counts if the read models kept up with it."""
    started, lag_at_end, caught_up = time.perf_counter(), None, None
    with httpx.Client(base_url=base_url, timeout=5) as client:
        while time.perf_counter() - started < limit:
            lag = client.get("/readyz").json().get("projection_lag")  # a 503 problem carries it too
            lag_at_end = lag if lag_at_end is None else lag_at_end
            if lag == 0:
                caught_up = time.perf_counter() - started
                break
            time.sleep(0.02)
    return {"projection_lag_at_end": lag_at_end,
            "projector_caught_up_seconds": round(caught_up, 3) if caught_up is not None else None}


def catch_up_line(result: dict[str, Any]) -> str:
    lag, caught = result["projection_lag_at_end"], result["projector_caught_up_seconds"]
    where = f"Production shape on {result['database']}: when the load stopped, the projection worker "
    if lag == 0:
        return where + "had projected every event."
    after = f"caught up {caught:.2f} s later." if caught is not None else "had not caught up 60 s later."
    return where + f"was {lag} events behind and {after}"


def _add_projector_cpu(result: dict[str, Any]) -> None:
    """Server CPU counts the projection worker too, so the shapes compare like for like."""
    requests = result["commands"] + result["cautions_issued"]
    result["server_cpu_seconds"] = round(result["server_cpu_seconds"] + result["projector_cpu_seconds"], 3)
    if requests:
        result["server_cpu_ms_per_request"] = round(1000 * result["server_cpu_seconds"] / requests, 3)
    result["server_cpu_utilisation"] = round(result["server_cpu_seconds"] / result["wall_seconds"], 3)


def _library_scenario(args: argparse.Namespace, db: str) -> dict[str, Any]:
    print(f"  {'library':16} on {db:10} ...", end=" ", flush=True)
    with infra.database(db) as url:
        result = {"scenario": "library", "database": db, "clients": 1, **run_library(url, args.commands, args.seconds)}
    _print_done(result)
    return result


def _reference_scenarios(args: argparse.Namespace, db: str) -> list[dict[str, Any]]:
    out = []
    with infra.database(db) as url:
        options = persistence_options(url)
    for module in options:
        print(f"  {'reference':16} on {db:10} ({module}) ...", end=" ", flush=True)
        with infra.database(db) as url:
            result = run_reference(persistence_options(url)[module], args.commands, args.seconds)
        out.append({"scenario": "reference", "database": db, "persistence": module, **result})
        lat = result["latency"] or {}
        print(f"{result['events']} events in {result['wall_seconds']:.1f}s: {result['events_per_second']} events/s, "
              f"p50 {lat.get('p50_ms', float('nan')):.2f} ms")
    return out


def _print_done(r: dict[str, Any]) -> None:
    lat = r["command_latency"] or {}
    extra = f", {r['events_per_second']} events/s" if "events_per_second" in r else ""
    print(f"{r['commands']} commands in {r['wall_seconds']:.1f}s: {r['commands_per_second']} commands/s{extra}, "
          f"p50 {lat.get('p50_ms', float('nan')):.2f} ms, p99 {lat.get('p99_ms', float('nan')):.2f} ms")


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _percentiles(latency: dict[str, float] | None) -> list[str]:
    return [_fmt((latency or {}).get("p50_ms")), _fmt((latency or {}).get("p99_ms"))]


def _table(caption: str, header: list[str], rows: list[list[Any]], text_columns: int = 1) -> list[str]:
    """A captioned markdown table, the first text columns left and the figures right; nothing without rows."""
    if not rows:
        return []
    align = ["---"] * text_columns + ["---:"] * (len(header) - text_columns)
    return ["", caption, "", f"| {' | '.join(header)} |", f"|{'|'.join(align)}|",
            *(f"| {' | '.join(str(cell) for cell in row)} |" for row in rows)]


def markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [
        f"# Command benchmark, {report['started_at'][:16].replace('T', ' ')} UTC",
        "",
        results_file.measured_on(report, "`make bench` (bench/commands.py)", duration=False),
        f"Each scenario: a fresh database, at most {report['parameters']['commands']} commands or "
        f"{report['parameters']['seconds']:g} s; the command mix is {len(STEPS)} read-modify-write commands per "
        "caution (schedule, reschedule, miss, excuse, schedule, attend A, victim contact, schedule B, attend B, "
        "completion, victim contact). HTTP requests carry If-Match and Idempotency-Key. The service runs with its "
        "default settings (access log off): as one uvicorn worker that also projects (the embedded default), or, in "
        "the production-shape row, as several uvicorn workers with CARA_RUN_PROJECTIONS=false beside the projection "
        "worker process (`make projector`); server CPU counts every one of those processes. Latencies are per "
        "command, issue excluded."
        + (f" CARA_* overrides: {', '.join(f'{k}={v}' for k, v in env['cara_environment'].items())}."
           if env["cara_environment"] else ""),
        "",
        "Events/s counts every event the requests recorded (each issue and each command records one, read from the "
        "ETag): the unit of the yardstick below.",
        "",
        "| scenario | database | clients | commands | commands/s | events/s | p50 ms | p99 ms | issue p50 ms | server "
        "CPU ms/request | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        if r["scenario"] in ("library", "reference"):
            continue
        lat, issue = r["command_latency"] or {}, r["issue_latency"] or {}
        lines.append(
            f"| {r['scenario']} | {r['database']} | {r['clients']} | {r['commands']} | "
            f"{r['commands_per_second']:.1f} | {_fmt(r.get('events_per_second'), 1)} | "
            f"{_fmt(lat.get('p50_ms'))} | {_fmt(lat.get('p99_ms'))} | {_fmt(issue.get('p50_ms'))} | "
            f"{_fmt(r['server_cpu_ms_per_request'])} | {r['errors']} |"
        )
    library = [r for r in report["results"] if r["scenario"] == "library"]
    lines += _table(
        "Library baseline: CautionApplication alone, one thread, the same commands (no HTTP, no Idempotency-Key).",
        ["database", "events", "events/s", "commands/s", "p50 ms", "p99 ms"],
        [[r["database"], r["events"], f"{r['events_per_second']:.1f}", f"{r['commands_per_second']:.1f}",
          *_percentiles(r["command_latency"])] for r in library])
    reference = [r for r in report["results"] if r["scenario"] == "reference"]
    lines += _table(
        "The issue's yardstick, \"the raw library alone\" (bench/reference.py): a minimal counter aggregate, "
        "read from the store (no cache), changed by one event and saved, one thread, cycling over 300 aggregates.",
        ["database", "persistence module", "events", "events/s", "p50 ms", "p99 ms"],
        [[r["database"], r["persistence"], r["events"], f"{r['events_per_second']:.1f}", *_percentiles(r["latency"])]
         for r in reference], text_columns=2)
    for r in report["results"]:
        if "yardstick_events_per_second" in r:
            lines += ["", yardstick_line(r)]
    for r in report["results"]:
        if "projection_lag_at_end" in r:
            lines += ["", catch_up_line(r)]
    for db, reason in report["skipped"].items():
        lines += ["", f"{db} skipped: {reason}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python -m bench.commands")
    parser.add_argument("--commands", type=int, default=6000, help="commands per scenario (default 6000)")
    parser.add_argument("--seconds", type=float, default=15.0, help="time limit per scenario (default 15)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (default 16)")
    parser.add_argument("--production-workers", type=int, default=2,
                        help="API worker processes in the production-shape scenario, beside the projection worker "
                             "(default 2; 0 skips it)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--no-library", action="store_true",
                        help="skip the library baseline and the raw-library reference")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory (default bench/results)")
    args = parser.parse_args(argv)

    started = datetime.now(UTC)
    databases, skipped = infra.usable_databases(args.databases, print)

    environment = results_file.environment(databases, print)
    print(f"Command benchmark: at most {args.commands} commands or {args.seconds:g}s per scenario, "
          f"{args.clients} concurrent clients; databases: {', '.join(databases) or 'none'}")
    t0 = time.perf_counter()
    results: list[dict[str, Any]] = []
    for db in databases:
        results += _http_scenarios(args, db)
        if not args.no_library:
            results.append(_library_scenario(args, db))
            results += _reference_scenarios(args, db)

    parameters = {"commands": args.commands, "seconds": args.seconds, "clients": args.clients,
                  "production_workers": args.production_workers, "steps_per_caution": [s.name for s in STEPS]}
    report = results_file.envelope("commands", started, t0, parameters, environment, skipped, results)
    results_file.publish("commands", HEADING, report, markdown(report), args.out, print)
    failed = sum(r.get("errors", 0) for r in results)
    if failed:
        print(f"{failed} requests failed; see error_samples in the JSON", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
