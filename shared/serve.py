"""Serving an ASGI app factory with uvicorn, as one process or as several worker processes.

With `--workers N`, uvicorn's own supervisor hands every worker one shared listening socket, and
whichever worker wakes first accepts the next connection. Police systems hold keep-alive
connections open, so a handful of connections made at once could all land on one worker while
the others idled (seen here: 16 connections split about 13 to 3). Here every worker gets a
listening socket of its own on the same port (SO_REUSEPORT), and the kernel spreads new
connections across them by hashing each connection's addresses. All the sockets are bound
before any worker starts, so the first connections are spread too; a connection to a worker
still starting waits in its socket's queue.

A worker that dies is started again on its own socket; SIGINT or SIGTERM stops them all.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn

from shared.heap import settle_after_startup
from shared.http import install_access_log_redaction
from shared.logging_setup import configure_logging
from shared.request_head_timeout import DEFAULT_SECONDS as HEAD_SECONDS
from shared.request_head_timeout import protocol_with_head_timeout

log = logging.getLogger("cara.serve")
RESTART_DELAY_SECONDS = 1.0


@dataclass(frozen=True)
class ServeOptions:
    factory: str  # "package.module:create_app"
    service: str = "cara"  # every log line's `service`: which process of the deployment wrote it
    environment: str = "development"  # production logs JSON unless CARA_LOG_FORMAT says otherwise
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    access_log: bool = True
    request_head_seconds: float = HEAD_SECONDS  # a request whose headers take longer is cut off

    def configure_logging(self) -> dict[str, Any]:
        return configure_logging(self.service, self.environment, self.log_level, self.access_log)

    def uvicorn_config(self) -> uvicorn.Config:
        # uvicorn applies our logging configuration as its own; its access log stays off, since it writes the
        # raw path and query: RequestIdMiddleware (shared/http.py) writes the access line with the route template.
        config = uvicorn.Config(self.factory, factory=True, host=self.host, port=self.port,
                                log_level=self.log_level, log_config=self.configure_logging(), access_log=False,
                                http=protocol_with_head_timeout(self.request_head_seconds))
        install_access_log_redaction()  # after the Config has set uvicorn's logging up
        return config


class SettledServer(uvicorn.Server):
    """A uvicorn server that settles the garbage collector once the app has started (shared/heap.py)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        settle_after_startup()


def serve(options: ServeOptions) -> None:
    options.configure_logging()  # the supervisor of several workers logs too
    log.info("starting %s on http://%s:%d", options.service, options.host, options.port)
    if options.workers <= 1:
        SettledServer(options.uvicorn_config()).run()
        return
    WorkerPool(options).run()


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run_worker(options: ServeOptions, sock: socket.socket) -> None:
    SettledServer(options.uvicorn_config()).run(sockets=[sock])


class WorkerPool:
    """N uvicorn workers, each on its own SO_REUSEPORT socket; restarts a worker that dies."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self._spawn = multiprocessing.get_context("spawn")
        self._stopping = threading.Event()
        self.sockets: list[socket.socket] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []

    def run(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self._stopping.set())
        self.start()
        try:
            while not self._stopping.wait(0.5):
                self.restart_dead_workers()
        finally:
            self.stop()

    def start(self) -> None:
        # Every socket is listening before the first worker starts, so connections are spread from the start.
        port = self.options.port
        for _ in range(self.options.workers):
            sock = listening_socket(self.options.host, port)
            port = sock.getsockname()[1]  # port 0: the first socket's port, for all of them
            self.sockets.append(sock)
        self.processes = [self._start_worker(sock) for sock in self.sockets]
        log.info("%d workers on http://%s:%d", len(self.processes), self.options.host, port)

    @property
    def port(self) -> int:
        return int(self.sockets[0].getsockname()[1])

    def _start_worker(self, sock: socket.socket) -> multiprocessing.process.BaseProcess:
        process = self._spawn.Process(target=_run_worker, args=(self.options, sock), daemon=False)
        process.start()
        return process

    def restart_dead_workers(self) -> None:
        for i, process in enumerate(self.processes):
            if not process.is_alive() and not self._stopping.is_set():
                log.error("worker %d (pid %s) exited with %s; starting it again", i, process.pid, process.exitcode)
                time.sleep(RESTART_DELAY_SECONDS)  # a worker that cannot start must not spin
                self.processes[i] = self._start_worker(self.sockets[i])

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + timeout
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sock in self.sockets:
            sock.close()
