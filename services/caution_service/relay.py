"""`make relay`: publishes the feed to NATS JetStream for fan-out at scale. One relay leads per database
(PostgreSQL advisory lock); others stand by.

One subject per event type; `Nats-Msg-Id` is the event id, so JetStream drops a
re-publish after a crash; `Cara-Follows` is the feed position before the event, so a consumer can tell a
message it has not been given from a hole in the positions. The relay's position is stored only after the
server's acknowledgement: at least once into the stream, exactly once out of it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from shared.leadership import SessionCheck, lead_forever
from shared.logging_setup import configure_logging
from shared.nats_stream import FOLLOWS_HEADER, STREAM, SUBJECT_PREFIX, ensure_stream, subject_for

from .application import CautionApplication
from .config import Settings
from .event_store import recorder_of
from .feed import NATIONAL, read_page
from .main import build_application
from .projections.tables import positions
from .worker import SqliteCommits, wait_for_new_events

if TYPE_CHECKING:
    from nats.js import JetStreamContext

log = logging.getLogger("cara.relay")
RELAY = "nats_relay"
COALESCE_SECONDS = 0.01
RELAY_LOCK = "cara-relay"


class RelayPosition:
    def __init__(self, app: CautionApplication) -> None:
        self.app = app
        engine = app.engine  # its tables are made by migrations/, in build_application
        with engine.begin() as conn:
            if conn.execute(select(positions.c.name).where(positions.c.name == RELAY)).first() is None:
                conn.execute(insert(positions).values(name=RELAY, position=0))
        self.engine = engine

    def get(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(positions.c.position).where(positions.c.name == RELAY)).scalar_one()

    def set(self, position: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(positions).where(positions.c.name == RELAY).values(position=position))


async def relay_once(
    app: CautionApplication, js: JetStreamContext, where: RelayPosition, batch: int = 500, stream: str = STREAM,
    prefix: str = SUBJECT_PREFIX,
) -> int:
    after = await asyncio.to_thread(where.get)
    items, next_after, _ = await asyncio.to_thread(read_page, app, after, batch, NATIONAL)
    # Pipelined: one connection keeps the order; the position moves only once every ack is in.
    acks = []
    for before, item in zip([after] + [i["position"] for i in items], items, strict=False):
        headers = {"Nats-Msg-Id": item["id"], FOLLOWS_HEADER: str(before)}
        acks.append(await js.publish_async(subject_for(item["type"], prefix), json.dumps(item).encode(),
                                           stream=stream, headers=headers))
    await asyncio.gather(*acks)
    if next_after > after:
        await asyncio.to_thread(where.set, next_after)
    return len(items)


ACK_TIMEOUT_SECONDS = 10.0  # a stream that stops acknowledging (NATS went away) ends the lead, to start over


async def run(
    settings: Settings, nats_url: str, stop: asyncio.Event, poll_seconds: float = 5.0,
    stream: str = STREAM, prefix: str = SUBJECT_PREFIX,
) -> None:
    """Relays until `stop`, once it leads; between pages it sleeps until something is recorded (or
    `poll_seconds`, as a net). A failure of the database or of NATS gives up the lead and starts over
    (shared/leadership.py `lead_forever`); the position, stored only after the acks, says where."""
    app = build_application(settings)
    where = RelayPosition(app)
    loop = asyncio.get_running_loop()
    halt = threading.Event()  # what the threads see of `stop`
    mirror = asyncio.create_task(_mirror(stop, halt))

    def work(connection: Any) -> None:
        # The lock is held in this thread (a standby waits here, and the loop stays free to hear SIGTERM);
        # the publishing runs on the loop meanwhile.
        with _wake_ups(settings, app, connection) as (listener, commits):
            relaying = _relay_while_leading(app, where, nats_url, halt, listener, commits, poll_seconds, stream,
                                            prefix, settings.retry_cap_seconds)
            asyncio.run_coroutine_threadsafe(relaying, loop).result()

    try:
        await asyncio.to_thread(lead_forever, settings.database_url, RELAY_LOCK, halt, work,
                                backoff_cap=settings.retry_cap_seconds)
    finally:
        halt.set()
        mirror.cancel()


@contextmanager
def _wake_ups(
    settings: Settings, app: CautionApplication, connection: Any
) -> Iterator[tuple[Any, SqliteCommits | None]]:
    """What tells the relay that something was recorded: LISTEN on the lock's connection (the store NOTIFYs on
    each commit), or PRAGMA data_version on SQLite. Polling every 100 ms made the feed's way into the stream
    take 50 ms on average for nothing."""
    if connection is not None:
        connection.execute(f"LISTEN {recorder_of(app).channel_name}")
        yield connection, None
    else:
        with closing(SqliteCommits(settings.database_url)) as commits:
            yield None, commits


async def _relay_while_leading(
    app: CautionApplication, where: RelayPosition, nats_url: str, halt: threading.Event, listener: Any,
    commits: SqliteCommits | None, poll_seconds: float, stream: str, prefix: str, retry_cap: float,
) -> None:
    import nats

    session = SessionCheck(listener)
    nc = await nats.connect(nats_url, connect_timeout=3, max_reconnect_attempts=-1, reconnect_time_wait=retry_cap)
    try:
        js = nc.jetstream()
        await ensure_stream(js, stream, prefix)
        while not halt.is_set():
            relayed = await asyncio.wait_for(relay_once(app, js, where, stream=stream, prefix=prefix),
                                             ACK_TIMEOUT_SECONDS)
            await asyncio.to_thread(session.when_due)
            if relayed == 0:
                # A commit since the page was read has already notified, or moved data_version: no miss.
                if await asyncio.to_thread(wait_for_new_events, listener, halt, poll_seconds, commits):
                    # Under load every commit notifies: a moment's wait makes one page of several commits.
                    await asyncio.sleep(COALESCE_SECONDS)
    finally:
        await nc.close()


async def _mirror(stop: asyncio.Event, halt: threading.Event) -> None:
    await stop.wait()
    halt.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    parser.add_argument("--stream", default=STREAM)
    parser.add_argument("--subject-prefix", default=SUBJECT_PREFIX)
    args = parser.parse_args()
    configure_logging("caution-relay", Settings().environment, access_log=False)

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(Settings(), args.nats_url, stop, stream=args.stream, prefix=args.subject_prefix)

    asyncio.run(go())


if __name__ == "__main__":
    main()
