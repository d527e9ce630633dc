"""The garbage-collector settings a served process takes once started (shared/heap.py, shared/serve.py).

Each check runs in a child process: freezing the test process's heap would keep every later test's
objects alive.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_child(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_settling_freezes_what_start_up_left_and_collects_the_young_less_often() -> None:
    out = run_child("""
        import gc
        from shared.heap import YOUNG_THRESHOLD, settle_after_startup
        before = gc.get_freeze_count()
        settle_after_startup()
        print(before, gc.get_freeze_count() > 1000, gc.get_threshold()[0] == YOUNG_THRESHOLD)
    """)
    assert out == "0 True True"


def test_a_served_app_is_settled_once_it_has_started() -> None:
    out = run_child("""
        import gc, threading, time
        import uvicorn
        from shared.serve import SettledServer

        async def app(scope, receive, send):
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})

        server = SettledServer(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        frozen = []

        def watch():
            # uvicorn marks itself started inside the startup that settles afterwards: wait for either
            deadline = time.monotonic() + 10
            while not (server.started and gc.get_freeze_count()) and time.monotonic() < deadline:
                time.sleep(0.01)
            frozen.append(gc.get_freeze_count())
            server.should_exit = True

        threading.Thread(target=watch).start()
        print(gc.get_freeze_count())
        server.run()
        print(frozen[0] > 1000)
    """)
    assert out.split() == ["0", "True"]
