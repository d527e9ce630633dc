"""What the benchmarks run against: the caution service as its own uvicorn process, and databases."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import httpx

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("CARA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime


def process_tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (uvicorn's workers are children of its supervisor)."""
    total = process_cpu_seconds(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                total += process_tree_cpu_seconds(int(child))
            except (FileNotFoundError, ProcessLookupError):
                pass  # it ended meanwhile
    return total


class BackgroundProcess:
    """Any other process a benchmark needs (the notification service, the NATS relay), its output in a log file.

    `ready_url`, when given, must answer 200 before the process counts as started."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], ready_url: str | None = None) -> None:
        self.name, self.args, self.ready_url = name, args, ready_url
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
        self._log = tempfile.NamedTemporaryFile("w+", prefix=f"cara-bench-{name}-", suffix=".log", delete=False)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.process = subprocess.Popen([sys.executable, *self.args], cwd=ROOT, env=self.env,
                                        stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30.0
        while self.ready_url is not None:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.ready_url, timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} was not ready within 30s:\n{self.log_tail()}")
            time.sleep(0.1)
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cpu_seconds(self) -> float:
        assert self.process is not None
        return process_tree_cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(Path(self._log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)


# The benchmarks send as one police caller from one address, far past the production write limits. Limits this
# high refuse nothing, yet the limiter still counts every write, so its cost stays in the figures.
UNTHROTTLED = {"CARA_RATE_LIMIT_WRITES": "1000000/minute", "CARA_RATE_LIMIT_WRITES_PER_ADDRESS": "1000000/minute"}


class ServiceProcess(BackgroundProcess):
    """`python -m services.caution_service`, as production runs it (one worker unless told otherwise)."""

    def __init__(self, database_url: str, *, access_log: bool = False, env: dict[str, str] | None = None,
                 workers: int = 1) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        args = ["-m", "services.caution_service", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(workers), "--log-level", "warning"]
        if not access_log:
            args.append("--no-access-log")
        super().__init__("caution-service", args, {"CARA_DATABASE_URL": database_url, "CARA_ENVIRONMENT": "test",
                                                   **UNTHROTTLED, **(env or {})}, ready_url=f"{self.base_url}/readyz")


class ProjectorProcess(BackgroundProcess):
    """`make projector`: the production-shape projection worker, beside API workers that do not project."""

    def __init__(self, database_url: str) -> None:
        super().__init__("projector", ["-m", "services.caution_service.worker"],
                         {"CARA_DATABASE_URL": database_url, "CARA_ENVIRONMENT": "test"})


def usable_databases(spec: str, say: Callable[[str], None]) -> tuple[list[str], dict[str, str]]:
    """The comma-separated databases that can be reached, and why any others were skipped."""
    databases = [d.strip() for d in spec.split(",") if d.strip()]
    skipped: dict[str, str] = {}
    if "postgresql" in databases and (reason := postgres_unavailable_reason()):
        say(f"PostgreSQL skipped: {reason}")
        skipped["postgresql"] = reason
        databases.remove("postgresql")
    return databases, skipped


def warn_if_busy(load_average: float, say: Callable[[str], None]) -> None:
    if load_average > 0.5 * (os.cpu_count() or 1):
        say(f"note: load average is {load_average} on {os.cpu_count()} CPUs; other processes will skew the figures")


def _plain_postgres(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def postgres_unavailable_reason(url: str = POSTGRES_URL) -> str | None:
    """None when PostgreSQL answers, otherwise why not."""
    try:
        import psycopg
    except ImportError as e:  # pragma: no cover - psycopg is in the runtime lock
        return f"psycopg is not installed ({e})"
    try:
        with psycopg.connect(_plain_postgres(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as e:
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return f"PostgreSQL not reachable at {url}: {why}"
    return None


def postgres_version(url: str = POSTGRES_URL) -> str:
    import psycopg

    with psycopg.connect(_plain_postgres(url), connect_timeout=3) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        assert row is not None
        return str(row[0])


@contextmanager
def postgres_schema(url: str = POSTGRES_URL) -> Iterator[str]:
    """A fresh schema for one run, dropped afterwards; yields a URL whose search_path is that schema."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_plain_postgres(url), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(_plain_postgres(url), autocommit=True) as conn:
            conn.execute("SET lock_timeout = '10s'")
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def sqlite_file() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="cara-bench-") as tmp:
        yield f"sqlite:///{tmp}/cautions.sqlite3"


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with sqlite_file() as url:
            yield url
    elif kind == "postgresql":
        with postgres_schema() as url:
            yield url
    else:
        raise ValueError(kind)
