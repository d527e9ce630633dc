"""`python -m bench.rebuild_order`: a rebuild when many cautions are open at once, in position order and
caution by caution.

A national store has hundreds of thousands of cautions open at the same time, so in position order
their events interleave widely. For each database this seeds a store of --events events whose
cautions all interleave in groups of --interleave (bench/seeding.py), then rebuilds the read models
twice on it:

* position order - reset(), then run_once() until caught up, as the live projector reads the store,
                   with the live projector's cache of --cache-size cautions; every event whose caution
                   fell out of the cache reads the caution back from the store;
* by caution     - Projector.rebuild(), as `make rebuild` does: the store read caution by caution.

Each is timed with the number of store reads it made for earlier states, and both must give the same
rows (compared by count and by a digest of every row). Figures are printed and written to
bench/results/rebuild-order-<date>.json and .md, and latest.md (own section).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from services.caution_service.event_store import engine_of
from services.caution_service.projections.projector import Projector
from services.caution_service.projections.tables import history, summaries
from services.caution_service.projections.wiring import build_projector

from . import infra, report, seeding

RESULTS = Path(__file__).resolve().parent / "results"
HEADING = "# Rebuild order benchmark"


def _say(message: str) -> None:
    print(message, flush=True)


def _counting_store_reads(projector: Projector) -> list[int]:
    """Counts the projector's reads of a caution's earlier state (the repository's get)."""
    count = [0]
    repository = projector.app.repository
    real_get = repository.get

    def get(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return real_get(*args, **kwargs)

    repository.get = get  # type: ignore[method-assign]
    return count


def _digest(app: Any) -> dict[str, Any]:
    """Row counts and one SHA-256 over every read-model row in a fixed order: equal digests, equal rows."""
    engine = engine_of(app)
    out: dict[str, Any] = {}
    with engine.connect() as connection:
        for table, order in ((summaries, [summaries.c.caution_id]), (history, [history.c.caution_id, history.c.entry])):
            digest, rows = hashlib.sha256(), 0
            for row in connection.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
                rows += 1
            out[table.name] = {"rows": rows, "sha256": digest.hexdigest()}
    return out


def _timed(label: str, run: Any, reads: list[int], events: int) -> dict[str, Any]:
    _say(f"    {label} ...")
    started = time.perf_counter()
    done = run()
    wall = time.perf_counter() - started
    assert done == events, f"{label} projected {done} events, the store holds {events}"
    result = {"events": done, "wall_seconds": round(wall, 2), "events_per_second": round(done / wall, 1),
              "store_reads": reads[0]}
    _say(f"    {label}: {result['events_per_second']:,.0f} events/s, {reads[0]:,} store reads")
    return result


def run_database(kind: str, args: argparse.Namespace, template: seeding.Template) -> dict[str, Any]:
    _say(f"  {kind}: seeding {args.events:,} events, cautions interleaved {args.interleave:,} at a time ...")
    with infra.database(kind) as url:
        app = seeding.open_app(url)
        try:
            seeded = seeding.seed(app, template, args.events, args.interleave)
            in_order = build_projector(app, batch_size=args.batch_size, cache_size=args.cache_size)
            in_order_reads = _counting_store_reads(in_order)

            def position_order() -> int:
                in_order.reset()
                return in_order.run_until_caught_up()

            first = _timed("position order", position_order, in_order_reads, args.events)
            first_rows = _digest(app)
            by_caution = build_projector(app, batch_size=args.batch_size, cache_size=args.cache_size)
            by_caution_reads = _counting_store_reads(by_caution)
            second = _timed("by caution", lambda: by_caution.rebuild(cautions_per_batch=args.cautions_per_batch),
                            by_caution_reads, args.events)
            second_rows = _digest(app)
        finally:
            seeding.close_app(app)
    return {"database": kind, "seed": seeded, "position_order": first, "by_caution": second,
            "same_rows": first_rows == second_rows, "rows": second_rows}


def markdown(rep: dict[str, Any]) -> str:
    p = rep["parameters"]
    lines = [
        f"{HEADING}, {rep['started_at'][:16].replace('T', ' ')} UTC",
        "",
        report.measured_on(rep, "`python -m bench.rebuild_order` (part of `make bench`)"),
        f"Store: {p['events']:,} events copied from one real caution lifecycle (bench/seeding.py), cautions "
        "interleaved "
        f"{p['interleave']:,} at a time, so that many are open at once. Position order: reset() and run_once() "
        f"(batches of {p['batch_size']:,} events) with a cache of {p['cache_size']:,} cautions, as the live projector "
        f"reads the store. By caution: Projector.rebuild() ({p['cautions_per_batch']} cautions a transaction), as "
        "`make rebuild` does. Store reads: how often a caution's earlier state was read back from the store.",
        "",
        "| database | events | cautions | position order events/s | store reads | by caution events/s | store reads | "
        "speed-up | same rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rep["results"]:
        a, b = r["position_order"], r["by_caution"]
        lines.append(f"| {r['database']} | {a['events']:,} | {r['seed']['cautions']:,} | "
                     f"{a['events_per_second']:,.0f} | "
                     f"{a['store_reads']:,} | {b['events_per_second']:,.0f} | {b['store_reads']:,} | "
                     f"{b['events_per_second'] / a['events_per_second']:.1f}x | {'yes' if r['same_rows'] else 'NO'} |")
    for db, reason in rep["skipped"].items():
        lines += ["", f"{db} skipped: {reason}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python -m bench.rebuild_order")
    parser.add_argument("--events", type=int, default=60_000, help="events in the store (default 60,000)")
    parser.add_argument("--interleave", type=int, default=6000,
                        help="cautions whose events interleave (default 6,000: every caution of the default store)")
    parser.add_argument("--cache-size", type=int, default=5000, help="the live projector's cache (default 5,000)")
    parser.add_argument("--batch-size", type=int, default=2000, help="events per position-order batch (default 2,000)")
    parser.add_argument("--cautions-per-batch", type=int, default=200,
                        help="cautions per rebuild transaction (default 200)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory (default bench/results)")
    args = parser.parse_args(argv)

    started = datetime.now(UTC)
    databases, skipped = infra.usable_databases(args.databases, _say)
    environment = report.environment(databases, _say)
    t0 = time.perf_counter()
    template = seeding.build_template()
    results = [run_database(db, args, template) for db in databases]
    parameters = {k: v for k, v in vars(args).items() if k != "out"}
    rep = report.envelope("rebuild-order", started, t0, parameters, environment, skipped, results)
    report.publish("rebuild-order", HEADING, rep, markdown(rep), args.out, _say)
    if not all(r["same_rows"] for r in results):
        print("the two rebuilds gave different rows (see the JSON)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
