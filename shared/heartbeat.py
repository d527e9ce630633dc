"""A file whose modification time says that a worker's main loop still goes round, for a Kubernetes
liveness probe: `python -m shared.heartbeat PATH MAX_AGE_SECONDS` exits 1 when it is older or missing.

A worker with no HTTP port can hang without dying (a database call that never returns, say). The
projection worker's leader would then hold its lock for ever, the standby would never take over, and
the deadline monitor beside it would fall silent: no deadline passes, no breach referral goes out, and
with no commands coming in no alert on the read models' lag fires either. Restarting the pod ends the
hung session and lets the standby lead.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


class Heartbeat:
    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None

    def beat(self) -> None:
        if self.path is not None:
            self.path.touch()


def age(path: str | Path) -> float | None:
    """Seconds since the last beat, or None if there has been none."""
    try:
        return time.time() - os.path.getmtime(path)
    except OSError:
        return None


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m shared.heartbeat PATH MAX_AGE_SECONDS", file=sys.stderr)
        return 2
    seconds = age(argv[0])
    if seconds is None or seconds > float(argv[1]):
        print(f"no beat at {argv[0]}" if seconds is None else f"last beat {seconds:.0f}s ago", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
