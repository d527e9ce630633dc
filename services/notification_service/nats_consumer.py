"""Consumes the caution feed from a durable NATS JetStream consumer instead of HTTP.

Each fetch is applied in one transaction and acknowledged only after the commit: a crash redelivers, and the
stored position (or the stable notification ids) makes the repeat a no-op.

The position never moves past an event that was not applied (issue 15). A consumer killed holding a fetched
batch leaves it unacknowledged; JetStream hands it back only after the ack wait, and the restarted consumer
fetches the messages after it first. Applying those would move the position past the held batch, which is
then dropped as already applied when it returns. So a fetch is applied only as far as its positions follow
the stored one without a hole; a hole is filled from the caution service's HTTP feed and the rest applied;
without the feed the messages after the hole go back to JetStream with a short delay, the gap is reported,
and redelivery fills it within the ack wait.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shared.backoff import Backoff
from shared.nats_stream import FOLLOWS_HEADER, ensure_stream

from .consumer import record_error_if_possible
from .feed_gap import FeedGapReader
from .store import NotificationStore, Progress

if TYPE_CHECKING:
    from nats.aio.msg import Msg
    from nats.js.client import JetStreamContext

log = logging.getLogger("cara.notify.nats")

# How long JetStream waits for an acknowledgement before handing a message to the consumer again: the longest
# a gap left by a killed consumer stays open when the feed cannot fill it. A fetch of 100 applies in well under
# a second, so this is not the risk of a slow batch being delivered twice (which is harmless anyway).
ACK_WAIT_SECONDS = 10.0
MAX_BACKOFF = 5.0  # between reconnections to the broker: a restarted NATS server is used again within seconds
HELD_DELAY_SECONDS = 2.0  # messages held behind a gap come back this soon, to see whether it has been filled


class NatsConsumer:
    def __init__(
        self, store: NotificationStore, url: str, stream: str, prefix: str, durable: str,
        on_applied: Callable[[], None], feed: FeedGapReader | None = None, ack_wait: float = ACK_WAIT_SECONDS,
    ) -> None:
        self.store, self.url, self.stream, self.prefix, self.durable = store, url, stream, prefix, durable
        self.on_applied = on_applied
        self.feed, self.ack_wait = feed, ack_wait
        self.had_error = False  # applying failed (our database) or a gap could not be filled: cleared on success
        self.broker_failed = False  # the broker failed: cleared once we are subscribed again

    async def consume(self, stop: threading.Event, fetch_timeout: float = 1.0) -> None:
        import nats
        from nats.errors import TimeoutError as NatsTimeout

        nc = await nats.connect(self.url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, self.stream, self.prefix)
            await self._ensure_durable(js)
            subscription = await js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
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

    async def _ensure_durable(self, js: JetStreamContext) -> None:
        """Create the durable, or bring an existing one to this ack wait: js.pull_subscribe leaves an existing
        durable's settings as they are, and its default ack wait (30 s) is how long a gap could stay open."""
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        config = ConsumerConfig(name=self.durable, durable_name=self.durable, filter_subject=self.prefix + ">",
                                deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.EXPLICIT,
                                ack_wait=self.ack_wait)
        await js.add_consumer(self.stream, config)  # the server updates a durable that exists (ack wait may change)

    async def _handle(self, messages: list[Msg]) -> None:
        """Apply the fetch as far as it continues the stored position, filling holes from the feed; acknowledge
        what is applied, hand the rest back."""
        events = [_parse(message.data) for message in messages]
        follows = _follows(messages, events)
        head = max((at for at in map(_position, events) if at is not None), default=0)
        done: Progress | None = None
        new = 0
        try:
            done = await asyncio.to_thread(self.store.apply_contiguous, events, head, "redelivery", follows)
            new = done.applied
            for _ in range(len(events)):  # each round applies at least the held event, so this bounds it
                if done.held_at is None:
                    break
                found = await self._fill(done.position, done.held_at)
                if found is None:
                    break
                chain = done.position  # the feed's pages are contiguous: each event follows the one before
                for step in (p for p in map(_position, found) if p is not None):
                    follows[step], chain = chain, step
                follows[done.held_at] = chain
                behind = [e for e in events if (_position(e) or 0) >= done.held_at]  # positionless went first
                done = await asyncio.to_thread(self.store.apply_contiguous, found + behind, head, "feed", follows)
                new += done.applied
        except Exception as e:  # our database failed: JetStream redelivers, in order, after the delay
            self._failed(f"{type(e).__name__}: {e}")
        applied = 0 if done is None else done.position
        for message, event in zip(messages, events, strict=True):
            at = _position(event)
            if done is not None and (at is None or at <= applied):
                await message.ack()
            else:
                await message.nak(delay=HELD_DELAY_SECONDS)
        if new:
            self.on_applied()
        if done is not None and done.held_at is None and self.had_error:
            self.store.record_error(None)
            self.had_error = False

    async def _fill(self, after: int, before: int) -> list[dict[str, Any]] | None:
        """Every event between `after` and `before`, read from the feed (maybe none: a hole in the positions),
        or None when the feed could not say."""
        await asyncio.to_thread(self.store.record_gap, after, before)
        log.warning("events between %d and %d are missing from the stream's delivery; asking the feed",
                    after, before)
        if self.feed is None:
            self._failed(f"events between {after} and {before} are missing and no feed is set to fill them from")
            return None
        try:
            return await asyncio.to_thread(self.feed.between, after, before)
        except Exception as e:  # the caution service is away: redelivery fills the gap within the ack wait
            self._failed(f"events between {after} and {before} are missing; the feed could not be read "
                         f"({type(e).__name__}: {e})")
            return None

    def _failed(self, error: str) -> None:
        self.had_error = True
        record_error_if_possible(self.store, error[:1000])  # so the fetch is still handed back when it cannot

    def run(self, stop: threading.Event) -> None:
        backoff = Backoff(first=1.0, cap=MAX_BACKOFF)
        while not stop.is_set():
            try:
                asyncio.run(self.consume(stop))
            except Exception as e:  # the broker or our database is unreachable: record, wait, reconnect
                self.broker_failed = True
                wait = backoff.next()
                log.warning("NATS consumer failed (%s); reconnecting in %.0fs", e, wait)
                record_error_if_possible(self.store, f"{type(e).__name__}: {e}"[:1000])
                stop.wait(wait)

    def run_in_thread(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="cara-nats-consumer", daemon=True)
        thread.start()
        return thread


def _follows(messages: list[Msg], events: list[dict[str, Any]]) -> dict[int, int]:
    """What the relay said each event follows (FOLLOWS_HEADER): the feed position before it."""
    found = {}
    for message, event in zip(messages, events, strict=True):
        at, before = _position(event), (message.headers or {}).get(FOLLOWS_HEADER)
        if at is not None and before is not None and before.isdigit() and int(before) < at:
            found[at] = int(before)
    return found


def _position(event: dict[str, Any]) -> int | None:
    at = event.get("position")
    return at if isinstance(at, int) else None


def _parse(data: bytes) -> dict:
    try:
        event = json.loads(data)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return {"unparseable": data[:500].decode("utf-8", "replace")}  # recorded as a skipped event
    return event
