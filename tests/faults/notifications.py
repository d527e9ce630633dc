"""What the fault tests ask of the notification service's database, and what it should hold."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from services.notification_service.config import Settings as NotifySettings
from services.notification_service.consumer import FeedConsumer
from services.notification_service.main import build_store, feed_token, utc_now
from services.notification_service.tables import consumer_state, notifications, skipped_events


def event_notifications(engine: Engine) -> list[str]:
    """The ids of the notifications made from feed events (reminders come from the clock, not the feed)."""
    with engine.connect() as connection:
        return list(connection.execute(select(notifications.c.id).where(notifications.c.event_id.is_not(None)))
                    .scalars())


def consumer_position(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(consumer_state.c.position)).scalar_one())


def skipped(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [f"{row.position} {row.event_type}: {row.reason}" for row in connection.execute(select(skipped_events))]


def reference_notifications(feed_url: str, database: Path, head: int) -> set[str]:
    """What a consumer that nothing interrupts makes of the same feed."""
    settings = NotifySettings(environment="test", database_url=f"sqlite:///{database}")
    store = build_store(settings, utc_now)
    consumer = FeedConsumer(store, feed_url, feed_token(settings), wait_seconds=0, page_size=500)
    while store.position() < head:
        consumer.poll_once(wait=0)
    made = event_notifications(store.engine)
    assert not skipped(store.engine)
    store.engine.dispose()
    return set(made)
