"""`make run`: both services and the web application as child processes on the embedded default; Ctrl-C stops all.

CAUTION_PORT, NOTIFY_PORT and WEB_PORT choose the ports; the notification service is pointed at the caution
service's port unless CARA_NOTIFY_CAUTION_FEED_URL says otherwise, and the web application at both services unless
CARA_WEB_CAUTION_URL and CARA_WEB_NOTIFY_URL say otherwise. Variables in a `.env` file (see .env.example) are read for
both, below any already set in the environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path


def read_env_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines, as written: no quotes removed, nothing expanded (a JSON value stays as it is)."""
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name and not name.startswith("#"):
            found[name.strip()] = value.strip()
    return found


def service_commands(environ: Mapping[str, str]) -> list[tuple[str, list[str], dict[str, str]]]:
    """Each service's name, command and environment."""
    caution_port = environ.get("CAUTION_PORT", "8000")
    notify_port = environ.get("NOTIFY_PORT", "8001")
    web_port = environ.get("WEB_PORT", "8002")
    notify_env = {"CARA_NOTIFY_CAUTION_FEED_URL": f"http://127.0.0.1:{caution_port}", **environ}
    web_env = {"CARA_WEB_CAUTION_URL": f"http://127.0.0.1:{caution_port}",
               "CARA_WEB_NOTIFY_URL": f"http://127.0.0.1:{notify_port}", **environ}
    return [
        ("caution service", [sys.executable, "-m", "services.caution_service", "--port", caution_port], dict(environ)),
        ("notification service", [sys.executable, "-m", "services.notification_service", "--port", notify_port],
         notify_env),
        ("web application", [sys.executable, "-m", "services.web", "--port", web_port], web_env),
    ]


def main() -> int:
    os.makedirs("var", exist_ok=True)
    environ = {**read_env_file(Path(".env")), **os.environ}
    children = []
    for name, command, env in service_commands(environ):
        children.append((name, subprocess.Popen(command, env=env)))
        where = "sign in there" if command[2] == "services.web" else "docs at /docs"
        print(f"started {name} on http://127.0.0.1:{command[-1]} ({where})", flush=True)
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
