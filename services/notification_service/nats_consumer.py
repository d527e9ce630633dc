"""Consumes the caution feed from a durable NATS JetStream consumer instead of HTTP.

Messages are applied one at a time, each with its position in one transaction,
and acknowledged only after the commit: a crash redelivers, and the stored
position (or the stable notification ids) makes the repeat a no-op.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.nats_stream import ensure_stream

from .store import NotificationStore

if TYPE_CHECKING:
    from nats.aio.msg import Msg

log = logging.getLogger("cara.notify.nats")


class NatsConsumer:
    def __init__(
        self, store: NotificationStore, url: str, stream: str, prefix: str, durable: str, on_applied: Callable[[], None]
    ) -> None:
        self.store, self.url, self.stream, self.prefix, self.durable = store, url, stream, prefix, durable
        self.on_applied = on_applied
        self.had_error = False  # applying failed (our database): cleared once a page applies
        self.broker_failed = False  # the broker failed: cleared once we are subscribed again

    async def consume(self, stop: threading.Event, fetch_timeout: float = 1.0) -> None:
        import nats
        from nats.errors import TimeoutError as NatsTimeout

        nc = await nats.connect(self.url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, self.stream, self.prefix)
            subscription = await js.pull_subscribe(self.prefix + ">", durable=self.durable, stream=self.stream)
            if self.broker_failed:  # reconnected: the status should not keep reporting a healed failure
                self.broker_failed = False
                if not self.had_error:
                    self.store.record_error(None)
            while not stop.is_set():
                try:
                    messages = await subscription.fetch(batch=100, timeout=fetch_timeout)
                except (TimeoutError, NatsTimeout):  # nats-py raises the bare asyncio one when the deadline runs out
                    continue
                await self._handle(messages)
        finally:
            await nc.close()

    async def _handle(self, messages: list[Msg]) -> None:
        """Apply the whole fetch in one transaction, then acknowledge it; on failure hand it all back."""
        events = [_parse(message.data) for message in messages]
        head = max((e.get("position", 0) for e in events if isinstance(e.get("position"), int)), default=0)
        try:
            applied = await asyncio.to_thread(self.store.apply_page, events, head)
        except Exception as e:  # our database failed: JetStream redelivers, in order, after the delay
            self.store.record_error(f"{type(e).__name__}: {e}"[:1000])
            self.had_error = True
            for message in messages:
                await message.nak(delay=2)
            return
        for message in messages:
            await message.ack()
        if self.had_error:
            self.store.record_error(None)
            self.had_error = False
        if applied:
            self.on_applied()

    def run(self, stop: threading.Event) -> None:
        backoff = 1.0
        while not stop.is_set():
            try:
                asyncio.run(self.consume(stop))
            except Exception as e:  # the broker is unreachable: record, wait, reconnect
                self.store.record_error(f"{type(e).__name__}: {e}"[:1000])
                self.broker_failed = True
                log.warning("NATS consumer failed (%s); reconnecting in %.0fs", e, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)

    def run_in_thread(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="cara-nats-consumer", daemon=True)
        thread.start()
        return thread


def _parse(data: bytes) -> dict:
    try:
        event = json.loads(data)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return {"unparseable": data[:500].decode("utf-8", "replace")}  # recorded as a skipped event
    return event
