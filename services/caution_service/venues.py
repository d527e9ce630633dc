"""Each force's venues, as its workshop provider keeps them: where sessions can be planned.

Not event-sourced and not a read model: a venue is reference data the provider edits, and nothing in a caution's
record depends on it (a session names its venue by id and by the name it had when the session was planned). A
venue is never deleted, since sessions name it: it is retired, and a retired venue takes no new sessions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

metadata = MetaData()

venues = Table(
    "venues",
    metadata,
    Column("venue_id", String(36), primary_key=True),
    Column("force", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("address", Text, nullable=False),
    Column("postcode", String(10), nullable=False),
    Column("accessible", Boolean, nullable=False),  # step-free access throughout
    Column("notes", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Index("ix_venues_force", "force"),
    # Two active venues of one name would make a session's venue ambiguous to whoever reads its name.
    Index("ux_venues_force_active_name", "force", "name", unique=True,
          sqlite_where=text("active"), postgresql_where=text("active")),
)

_EDITABLE = ("name", "address", "postcode", "accessible", "notes", "active")


class VenueNotFound(LookupError):
    """No venue of that id in the caller's force."""


class VenueNameTaken(ValueError):
    """The force already has an active venue of that name."""


@dataclass(frozen=True)
class VenueDetails:
    name: str
    address: str
    postcode: str
    accessible: bool
    notes: str = ""


def add_venue(engine: Engine, force: str, details: VenueDetails, at: datetime, by: str) -> dict[str, Any]:
    row = {"venue_id": str(uuid.uuid4()), "force": force, "name": details.name, "address": details.address,
           "postcode": details.postcode, "accessible": details.accessible, "notes": details.notes,
           "active": True, "created_at": at, "created_by": by, "updated_at": at, "updated_by": by}
    try:
        with engine.begin() as connection:
            connection.execute(insert(venues).values(**row))
    except IntegrityError:  # the unique index of active names: the only constraint a new venue can break
        raise VenueNameTaken(details.name) from None
    return row


def list_venues(engine: Engine, force: str, include_retired: bool) -> list[dict[str, Any]]:
    v = venues.c
    query = select(venues).where(v.force == force)
    if not include_retired:
        query = query.where(v.active.is_(True))
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(query.order_by(v.name, v.venue_id)).mappings()]


def get_venue(engine: Engine, force: str, venue_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        return _venue(connection, force, venue_id)


def change_venue(engine: Engine, force: str, venue_id: str, changes: dict[str, Any], at: datetime,
                 by: str) -> dict[str, Any]:
    """Renames, re-describes, retires (`active` false) or reactivates the venue; sessions already planned there
    keep the name they were planned with."""
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    try:
        with engine.begin() as connection:
            _venue(connection, force, venue_id)
            connection.execute(update(venues).where(venues.c.venue_id == venue_id)
                               .values(**changes, updated_at=at, updated_by=by))
            return _venue(connection, force, venue_id)
    except IntegrityError:
        raise VenueNameTaken(str(changes.get("name") or "its name")) from None


def venue_for(engine: Engine, force: str, venue_id: str) -> tuple[str, str] | None:
    """(id, name) of the force's active venue of that id: a session can be planned there. None for an unknown,
    another force's or a retired venue."""
    v = venues.c
    query = select(v.venue_id, v.name).where(v.venue_id == venue_id, v.force == force, v.active.is_(True))
    with engine.connect() as connection:
        found = connection.execute(query).first()
    return (found.venue_id, found.name) if found is not None else None


def _venue(connection: Any, force: str, venue_id: str) -> dict[str, Any]:
    found = connection.execute(
        select(venues).where(venues.c.venue_id == venue_id, venues.c.force == force)).mappings().first()
    if found is None:
        raise VenueNotFound(venue_id)
    return dict(found)

