"""`make run`: both services as child processes on the embedded default; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

SERVICES = (
    ("caution service", "services.caution_service", os.environ.get("CAUTION_PORT", "8000")),
    ("notification service", "services.notification_service", os.environ.get("NOTIFY_PORT", "8001")),
)


def main() -> int:
    os.makedirs("var", exist_ok=True)
    children = []
    for name, module, port in SERVICES:
        children.append((name, subprocess.Popen([sys.executable, "-m", module, "--port", port])))
        print(f"started {name} on http://127.0.0.1:{port} (docs at /docs)", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while all(child.poll() is None for _, child in children):
            time.sleep(0.5)
        failed = [name for name, child in children if child.poll() is not None]
        print(f"stopped unexpectedly: {', '.join(failed)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for _, child in children:
            if child.poll() is None:
                child.terminate()
        for _, child in children:
            child.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
