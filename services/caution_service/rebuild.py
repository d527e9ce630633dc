"""`python -m services.caution_service.rebuild`: drop the read models and replay the whole event store.

The store is read caution by caution (Projector.rebuild says why), so memory stays at one batch of
cautions however many are open at once. Live projectors leave the read models being rebuilt alone
until it ends, and /readyz reports them as behind meanwhile. A second rebuild of the same database is
refused while one runs (projections/rebuild_lock.py).
"""

from __future__ import annotations

import argparse
import sys
import time

from .config import Settings
from .main import build_application
from .projections.projector import UnknownProjection
from .projections.rebuild_lock import RebuildInProgress
from .projections.wiring import build_projector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projection", action="append", help="rebuild only this one (repeatable); default all")
    parser.add_argument("--cautions-per-batch", type=int, default=200,
                        help="cautions projected in one transaction (default 200, about 2,000 events)")
    parser.add_argument("--batch-size", type=int, default=2000,
                        help="events per batch for what was recorded while the rebuild ran (default 2000)")
    args = parser.parse_args()
    # Replaying a large store is long work by design: no statement timeout (it bounds requests, not this).
    app = build_application(Settings(database_statement_timeout_seconds=0))
    projector = build_projector(app, batch_size=args.batch_size)
    started = time.perf_counter()
    try:
        done = projector.rebuild(args.projection, args.cautions_per_batch,
                                 progress=lambda done, head: _progress(done, head, time.perf_counter() - started))
    except UnknownProjection as e:  # refused before anything was dropped
        parser.error(str(e))
    except RebuildInProgress as e:  # likewise: the read models are the other rebuild's until it ends
        sys.exit(f"{e}: nothing was changed; wait for it to finish")
    elapsed = time.perf_counter() - started
    projector.refresh_statistics()
    print(f"\nrebuilt {', '.join(args.projection or [p.name for p in projector.projections])}: {done} events in "
          f"{elapsed:.1f}s ({done / elapsed if elapsed else 0:.0f} events/s)", file=sys.stderr)


def _progress(done: int, total: int, elapsed: float) -> None:
    width = 40
    filled = min(width, int(width * done / total)) if total else width
    rate = done / elapsed if elapsed else 0
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} events  {rate:,.0f} events/s")
    sys.stderr.flush()


if __name__ == "__main__":
    main()
