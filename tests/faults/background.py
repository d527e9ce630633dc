"""The caution service's background processes as the production shape runs them (`make projector`,
`make relay`), started by a fault test that must see whether they are still running afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from shared.nats_stream import STREAM, SUBJECT_PREFIX
from tests.service_processes import ROOT


class Background:
    """`python -m <module> <args>` with the caution service's environment, its output in `log`."""

    def __init__(self, module: str, database_url: str, log: Path, *args: str, **env: str) -> None:
        self.command = [sys.executable, "-m", module, *args]
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "CARA_DATABASE_URL": database_url,
                    "CARA_ENVIRONMENT": "test", **env}
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Background:
        with self.log_path.open("ab") as log:
            # A session of its own, so a kill reaches anything it starts too.
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def said(self, words: str) -> int:
        return self.log().count(words)

    def kill(self) -> None:
        """SIGKILL: nothing it held in memory survives; what it committed must."""
        if self.running():
            assert self.process is not None
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        self.terminate()
        self.wait_stopped()

    def terminate(self) -> None:
        """SIGTERM, without waiting: `stop_together` lets several shut down at once."""
        if self.running():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self) -> None:
        if self.running():
            assert self.process is not None
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def describe(self) -> str:
        code = None if self.process is None else self.process.poll()
        return f"{' '.join(self.command[2:])}: {'running' if code is None else f'exited {code}'}"


def stop_together(processes: list[Background]) -> None:
    """Each takes a second or so to end its loop: told together, they end in the time of the slowest."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait_stopped()


def projection_worker(database_url: str, log: Path) -> Background:
    return Background("services.caution_service.worker", database_url, log, "--poll-seconds", "1")


def relay(database_url: str, log: Path, nats_url: str, stream: str = STREAM,
          prefix: str = SUBJECT_PREFIX) -> Background:
    return Background("services.caution_service.relay", database_url, log, "--nats-url", nats_url,
                      "--stream", stream, "--subject-prefix", prefix)


def messages_in(nats_url: str, stream: str) -> int:
    """How many messages `stream` holds (0 before the relay made it)."""
    async def count() -> int:
        import nats
        from nats.js.errors import NotFoundError

        nc = await nats.connect(nats_url)
        try:
            return int((await nc.jetstream().stream_info(stream)).state.messages)
        except NotFoundError:
            return 0
        finally:
            await nc.close()

    return asyncio.run(count())


def delete_stream(nats_url: str, stream: str) -> None:
    async def drop() -> None:
        import nats
        from nats.js.errors import NotFoundError

        nc = await nats.connect(nats_url)
        try:
            await nc.jetstream().delete_stream(stream)
        except NotFoundError:
            pass  # the relay never made it
        finally:
            await nc.close()

    asyncio.run(drop())
