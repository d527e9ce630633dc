"""Several worker processes on one port (shared/serve.py): connections are spread, a dead worker comes back."""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.serve import ServeOptions, WorkerPool
from tests.support import auth, caution_payload

ROOT = Path(__file__).resolve().parents[3]
CONNECTIONS = 32


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    pool = WorkerPool(ServeOptions("tests.caution_service.e2e.pid_app:create_app", port=0, workers=2,
                                   log_level="warning", access_log=False))
    pool.start()
    try:
        yield pool
    finally:
        pool.stop()


def _pids_behind_keep_alive_connections(port: int, count: int) -> list[int]:
    """Opens `count` connections at once, as a police system's pool does, and asks each who answers."""
    connections = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
    try:
        pids = []
        for conn in connections:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            response = b""
            while b"\r\n\r\n" not in response or not response.split(b"\r\n\r\n", 1)[1]:
                chunk = conn.recv(4096)
                assert chunk, "connection closed before the answer"
                response += chunk
            head, body = response.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 200")
            pids.append(int(body))
        return pids
    finally:
        for conn in connections:
            conn.close()


def test_connections_opened_together_are_spread_over_every_worker(pool: WorkerPool) -> None:
    # With one shared socket, whichever worker woke first took most of a burst of connections.
    by_pid = collections.Counter(_pids_behind_keep_alive_connections(pool.port, CONNECTIONS))
    assert set(by_pid) == {p.pid for p in pool.processes}
    # The kernel hashes connections over the sockets: fewer than 4 of 32 on one would be a 1-in-400,000 draw.
    assert min(by_pid.values()) >= 4, by_pid


def test_a_worker_that_dies_is_started_again_on_its_socket(pool: WorkerPool) -> None:
    victim = pool.processes[0]
    _pids_behind_keep_alive_connections(pool.port, 4)  # both are up
    assert victim.pid is not None  # started
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(10)
    pool.restart_dead_workers()
    assert pool.processes[0].pid != victim.pid and pool.processes[0].is_alive()
    by_pid = collections.Counter(_pids_behind_keep_alive_connections(pool.port, CONNECTIONS))
    assert set(by_pid) == {p.pid for p in pool.processes}


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_caution_service_with_two_workers_records_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CARA_ENVIRONMENT": "test",
           "CARA_DATABASE_URL": f"sqlite:///{tmp_path}/cautions.db"}
    process = subprocess.Popen([sys.executable, "-m", "services.caution_service", "--port", str(port),
                                "--workers", "2", "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            while True:
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the service did not become ready"
                time.sleep(0.2)
            issued = http.post("/v1/cautions", json=caution_payload(), headers=auth("police"))
            assert issued.status_code == 201, issued.text
            workers = _children(process.pid)
            assert len(workers) >= 2  # the two workers (multiprocessing may add its resource tracker)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        time.sleep(0.2)
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                    and "zombie" not in Path(f"/proc/{pid}/status").read_text()], "a worker outlived the service"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
