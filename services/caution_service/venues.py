"""A force's venues, as the session commands read them (a stand-in until the venues module proper is merged).

Only `venue_for` is used by the session commands: the venue's id and the name a booking shows the offender.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.engine import Engine

metadata = MetaData()

venues = Table(
    "venues", metadata,
    Column("venue_id", String(64), primary_key=True),
    Column("force", String(64), nullable=False),
    Column("name", String(200), nullable=False),
)


def venue_for(engine: Engine, force: str, venue_id: str) -> tuple[str, str] | None:
    """The venue's (id, name) if it is one of the force's; None otherwise (another force's venue included)."""
    with engine.connect() as connection:
        row = connection.execute(
            select(venues.c.venue_id, venues.c.name).where(venues.c.venue_id == venue_id, venues.c.force == force)
        ).first()
    return (row.venue_id, row.name) if row is not None else None
