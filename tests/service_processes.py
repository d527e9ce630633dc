"""Helpers for the feed and notification tests: servers the tests start themselves.

- `ThreadedUvicorn`: an ASGI app served by a real uvicorn on a free port, in a thread of the test process.
- `WebhookReceiver`: an http.server endpoint that records every POST (and can be told to answer 500).
- `SmtpSink`: a real aiosmtpd SMTP server that keeps every message.
- `NotifyProcess` / `CautionProcess` / `WebProcess`: the services and the web application as real processes
  (SIGKILL-able, restartable).
"""

from __future__ import annotations

import email
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import httpx
import uvicorn
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 45
# The fault tests' load is sixteen clients as one caller from one address, far past the production write limits;
# a test of the limits themselves sets its own in `env`.
UNTHROTTLED = {f"{prefix}{limit}": "1000000/minute" for prefix in ("CARA_", "CARA_NOTIFY_")
               for limit in ("RATE_LIMIT_WRITES", "RATE_LIMIT_WRITES_PER_ADDRESS")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1,
               what: str = "condition") -> Any:
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class ThreadedUvicorn:
    """A real uvicorn server for `app`, in a daemon thread; `stop()` shuts it down."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
                                timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedUvicorn:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=STARTUP_SECONDS, what="uvicorn to start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class Hook:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Records every POST; `status` is what it answers (set it to 500 to make deliveries fail)."""

    status: int = 204
    received: list[Hook] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.received.append(Hook(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free port, keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd)
                sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                sink.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
                return "250 OK"

        self.handler = Handler()
        self.port = free_port()
        self.controller: Controller | None = None
        self.start()

    def start(self) -> None:
        """Start (or restart, on the same port) the server."""
        if self.controller is None:
            self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def raw(self) -> str:
        return "\n".join(m.as_string() for m in self.messages)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class ServiceProcess:
    """One service as a real process (`python -m <module> --port P`); `start()` after `kill()` restarts it."""

    module = ""

    def __init__(self, env: dict[str, str], log: Path, args: tuple[str, ...] = ()) -> None:
        self.env, self.log_path, self.args = env, log, args
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int | None = None) -> Self:
        """Start, or restart on the same port unless told another."""
        self.port = port or self.port or free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), **UNTHROTTLED, **self.env}
        with self.log_path.open("ab") as log:
            # A session of its own: a kill reaches every process it starts (`--workers N` forks them).
            self.process = subprocess.Popen([sys.executable, "-m", self.module, "--port", str(self.port), *self.args],
                                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.module} exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/livez", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.module} did not answer /livez within {STARTUP_SECONDS}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL to the process and any it started: no shutdown handlers; whatever was committed must survive."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class CautionProcess(ServiceProcess):
    module = "services.caution_service"

    @classmethod
    def on_sqlite(cls, database: Path, log: Path, **env: str) -> CautionProcess:
        return cls({"CARA_DATABASE_URL": f"sqlite:///{database}", "CARA_ENVIRONMENT": "test", **env}, log)

    @property
    def database(self) -> Path:
        return Path(self.env["CARA_DATABASE_URL"].removeprefix("sqlite:///"))


class NotifyProcess(ServiceProcess):
    module = "services.notification_service"


class WebProcess(ServiceProcess):
    module = "services.web"


# ----- hand-made feed events (the shapes the caution service publishes) --------------------------------------

def cloud_event(name: str, caution_id: str, version: int, position: int, *, force: str = "CAMBS",
                occurred_at: str = "2026-03-02T10:00:00+00:00", **fields: Any) -> dict[str, Any]:
    """One feed item as `services.caution_service.feed.to_cloud_event` shapes it."""
    from shared.catalogue import EVENT_TYPES
    from shared.events import event_id

    recorded_by = {"id": "tester", "role": "police", "force": force}
    return {
        "specversion": "1.0", "id": event_id(caution_id, version), "source": "/cara/caution-service",
        "type": EVENT_TYPES[name], "subject": caution_id, "time": occurred_at, "datacontenttype": "application/json",
        "position": position, "force": force,
        "data": {**fields, "caution_id": caution_id, "version": version, "force": force, "occurred_at": occurred_at,
                 "recorded_at": occurred_at, "recorded_by": recorded_by},
    }


def issued_event(caution_id: str, position: int, *, force: str = "CAMBS", reference: str = "CC-TEST-1",
                 occurred_at: str = "2026-03-02T10:00:00+00:00", period_ends_on: str = "2026-06-22") -> dict[str, Any]:
    return cloud_event(
        "CautionIssued", caution_id, 1, position, force=force, occurred_at=occurred_at,
        police_reference=reference, legal_basis="conditional_caution",
        offender={"reference": "PNC-1", "gender": "male"}, offence={"category": "common_assault"},
        history={"serving_community_sentence": False},
        victim={"reference": "V-1", "dash_risk": "standard", "consulted": True, "agrees": True},
        issuing_officer={"id": "SGT-1", "name": "Sgt One", "rank": "sergeant", "authorised_person": False},
        conditions={"caution_period_days": 112, "first_contact_days": 14, "min_days_between_workshops": 28},
        period_ends_on=period_ends_on,
    )
