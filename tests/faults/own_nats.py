"""A NATS server with JetStream of the test's own, on a port of its own: a fault test may stop or kill it without
touching the one other tests share."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import httpx

from tests.service_processes import free_port, wait_until


class OwnNats:
    def __init__(self) -> None:
        binary = shutil.which("nats-server")
        if binary is None:
            raise AssertionError("nats-server is not on the PATH; the fault tests start a server of their own")
        self.binary = binary
        self.store = Path(tempfile.mkdtemp(prefix="cara-nats-"))
        self.port, self.monitor = free_port(), free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> OwnNats:
        log = (self.store / "server.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor),
             "-sd", str(self.store)], stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._healthy, timeout=20, what="the test's NATS server")
        return self

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.monitor}/healthz?js-enabled-only=true", timeout=1).is_success
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.store, ignore_errors=True)
