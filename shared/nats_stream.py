"""The JetStream stream that carries the caution feed to subscribers at scale."""

from __future__ import annotations

from typing import Any

STREAM = "CARA_EVENTS"
SUBJECT_PREFIX = "cara.caution."
# The feed position of the event before this one, as the relay read them: a consumer knows it has missed
# nothing when this is at or below its own position. Positions alone cannot tell it, since PostgreSQL's
# have holes (numbers taken by transactions that rolled back).
FOLLOWS_HEADER = "Cara-Follows"
DUPLICATE_WINDOW_SECONDS = 24 * 3600  # a relay restarted within a day never publishes an event twice


def subject_for(cloud_event_type: str, prefix: str = SUBJECT_PREFIX) -> str:
    """`uk.cara.caution.workshop-a-attended.v1` -> `cara.caution.workshop-a-attended.v1`; a workshop session's
    `uk.cara.workshop-session.session-place-booked.v1` -> `cara.caution.workshop-session.session-place-booked.v1`
    (in the same stream, one token deeper, so no caution event's subject can be a session's)."""
    if cloud_event_type.startswith("uk.cara.caution."):
        return prefix + cloud_event_type.removeprefix("uk.cara.caution.")
    return prefix + cloud_event_type.removeprefix("uk.cara.")


async def ensure_stream(js: Any, name: str = STREAM, prefix: str = SUBJECT_PREFIX) -> None:
    """Create the stream if missing (a separate name and prefix keep test runs apart)."""
    from nats.js.api import StreamConfig
    from nats.js.errors import NotFoundError

    config = StreamConfig(name=name, subjects=[prefix + ">"], duplicate_window=DUPLICATE_WINDOW_SECONDS)
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(config)
