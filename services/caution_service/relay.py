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
from contextlib import ExitStack, closing, contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from shared.leadership import leadership
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


@contextmanager
def _lead(
    settings: Settings, app: CautionApplication, halt: threading.Event
) -> Iterator[tuple[Any, SqliteCommits | None]]:
    """One relay per database (its position is one row): on PostgreSQL it waits for the leader lock, like the
    projection worker. Then what tells it that something was recorded: LISTEN on the lock's connection (the
    store NOTIFYs on each commit), or PRAGMA data_version on SQLite. Polling every 100 ms made the feed's way
    into the stream take 50 ms on average for nothing."""
    with leadership(settings.database_url, RELAY_LOCK, halt) as connection:
        if connection is not None:
            connection.execute(f"LISTEN {recorder_of(app).channel_name}")
            yield connection, None
        elif settings.database_url.startswith("postgresql"):  # stopped while standing by
            yield None, None
        else:
            with closing(SqliteCommits(settings.database_url)) as commits:
                yield None, commits


async def run(
    settings: Settings, nats_url: str, stop: asyncio.Event, poll_seconds: float = 5.0,
    stream: str = STREAM, prefix: str = SUBJECT_PREFIX,
) -> None:
    """Relays until `stop`, once it leads; between pages it sleeps until something is recorded (or
    `poll_seconds`, as a net)."""
    import nats

    app = build_application(settings)
    where = RelayPosition(app)
    halt = threading.Event()  # what the threads see of `stop`
    mirror = asyncio.create_task(_mirror(stop, halt))
    held = ExitStack()
    try:
        # In a thread: a standby waits there, and the loop stays free to hear SIGTERM.
        listener, commits = await asyncio.to_thread(held.enter_context, _lead(settings, app, halt))
        if stop.is_set():
            return
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, stream, prefix)
            while not stop.is_set():
                if await relay_once(app, js, where, stream=stream, prefix=prefix) == 0:
                    # A commit since the page was read has already notified, or moved data_version: no miss.
                    if await asyncio.to_thread(wait_for_new_events, listener, halt, poll_seconds, commits):
                        # Under load every commit notifies: a moment's wait makes one page of several commits.
                        await asyncio.sleep(COALESCE_SECONDS)
        finally:
            await nc.close()
    finally:
        halt.set()
        mirror.cancel()
        held.close()


async def _mirror(stop: asyncio.Event, halt: threading.Event) -> None:
    await stop.wait()
    halt.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    parser.add_argument("--stream", default=STREAM)
    parser.add_argument("--subject-prefix", default=SUBJECT_PREFIX)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(Settings(), args.nats_url, stop, stream=args.stream, prefix=args.subject_prefix)

    asyncio.run(go())


if __name__ == "__main__":
    main()
