"""`python -m services.caution_service.rebuild`: drop the read models and replay the whole event store."""

from __future__ import annotations

import argparse
import sys
import time

from .config import Settings
from .main import build_application
from .projections.wiring import build_projector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projection", action="append", help="rebuild only this one (repeatable); default all")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--cache-size", type=int, default=50_000,
                        help="cautions kept in memory (about 4.5 KB each); at least as many as are open at once")
    args = parser.parse_args()
    app = build_application(Settings())
    projector = build_projector(app, batch_size=args.batch_size, cache_size=args.cache_size)
    head = app.recorder.max_notification_id() or 0
    projector.reset(args.projection)
    started, done = time.perf_counter(), 0
    while count := projector.run_once():
        done += count
        _progress(done, head, time.perf_counter() - started)
    elapsed = time.perf_counter() - started
    projector.refresh_statistics()
    print(f"\nrebuilt {', '.join(p.name for p in projector.projections)}: {done} events in {elapsed:.1f}s "
          f"({done / elapsed if elapsed else 0:.0f} events/s)", file=sys.stderr)


def _progress(done: int, total: int, elapsed: float) -> None:
    width = 40
    filled = int(width * done / total) if total else width
    rate = done / elapsed if elapsed else 0
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} events  {rate:,.0f} events/s")
    sys.stderr.flush()


if __name__ == "__main__":
    main()
