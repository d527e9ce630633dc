"""A PostgreSQL server of the test's own, to stop, kill and freeze: never the shared one, whose other users
would see the faults too.

`OwnPostgres` runs `initdb` into a temporary directory and `pg_ctl` on a free port, with trust
authentication and its unix socket in that directory. PostgreSQL refuses to run as root, so as root the
binaries run as the `postgres` user, owning the directory.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service_processes import free_port

BIN = Path(os.environ.get("CARA_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
OWNER = "postgres"  # who runs the server when the tests run as root


class OwnPostgres:
    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="cara-own-postgres-"))
        self.data, self.log = self.directory / "data", self.directory / "log"
        self.socket_dir = self.directory / "socket"
        self.socket_dir.mkdir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            owner = pwd.getpwnam(OWNER)
            for path in (self.directory, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self.port = free_port()
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        # fsync off: these tests stop the server, never the machine, so the page cache keeps every commit.
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends, as a crash of the host would end them."""
        for pid in self._postmaster_and_children():
            _signal(pid, signal.SIGKILL)
        self._wait_gone(self.postmaster_pid())

    def freeze(self) -> None:
        """SIGSTOP the postmaster first (so it forks nothing more), then every backend: connections stay
        open and accepted, nothing answers."""
        postmaster = self.postmaster_pid()
        _signal(postmaster, signal.SIGSTOP)
        for pid in self._children(postmaster):
            _signal(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        postmaster = self.postmaster_pid()
        for pid in self._children(postmaster):
            _signal(pid, signal.SIGCONT)
        _signal(postmaster, signal.SIGCONT)

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def cleanup(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.thaw()
            try:
                self.stop("immediate")
            except subprocess.CalledProcessError:
                self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _postmaster_and_children(self) -> list[int]:
        postmaster = self.postmaster_pid()
        return [postmaster, *self._children(postmaster)]

    @staticmethod
    def _children(pid: int) -> list[int]:
        children: list[int] = []
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            children += [int(child) for child in task.read_text().split()]
        return children

    @staticmethod
    def _wait_gone(pid: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _run(self, program: str, *args: str) -> None:
        command = [str(BIN / program), *args]
        if self.as_root:
            command = ["runuser", "-u", OWNER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.directory, timeout=60)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass  # it ended by itself meanwhile


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    """A started PostgreSQL server of this test's own (`.url`), which the test may stop, kill, freeze and
    start again; removed with its data afterwards. Skipped where the PostgreSQL binaries are missing."""
    if not (BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL binaries in {BIN} (set CARA_TEST_POSTGRES_BIN)")
    server = OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()
