"""One caution per police reference per force, and the previous-disposal rule over CARA cautions (issue 17 item 4):
the write side's table of each caution's police reference and offender (services/caution_service/references.py).

Filled here from the events, which are the truth (a read model may be behind, or mid-rebuild): every caution's
`CautionIssued` in store order, and each `Withdrawn`. The events are read as stored (JSON; the service configures
no compressor or cipher for them), so this needs none of the service's keys: the fields it reads are in clear.

A store may already hold two cautions with one police reference in a force (nothing refused them before). The
first recorded keeps the reference; each later one is kept, readable as before, with `duplicate` set, so it is
left out of the unique index, and a warning names it (caution id and police reference, nothing personal).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import op

from shared.uk_time import uk_date

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

log = logging.getLogger("cara.caution.migrations")

EVENTS = "cautions_events"
ISSUED = "services.caution_service.domain.caution:Caution.Issued"
WITHDRAWN = "services.caution_service.domain.caution:Caution.Withdrawn"
CHUNK = 1000


def upgrade() -> None:
    table = op.create_table(
        "caution_references",
        sa.Column("caution_id", sa.String(36), primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("police_reference", sa.String(100), nullable=False),
        sa.Column("offender_reference", sa.String(100), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("duplicate", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    _backfill(table)
    op.create_index("ux_caution_references_force_reference", "caution_references", ["force", "police_reference"],
                    unique=True, sqlite_where=sa.text("NOT duplicate"), postgresql_where=sa.text("NOT duplicate"))
    op.create_index("ix_caution_references_force_offender", "caution_references", ["force", "offender_reference"])


def downgrade() -> None:
    op.drop_index("ix_caution_references_force_offender", table_name="caution_references")
    op.drop_index("ux_caution_references_force_reference", table_name="caution_references")
    op.drop_table("caution_references")


def _backfill(table: sa.Table) -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table(EVENTS):
        return  # a new store: the application makes the event store's tables, empty
    events = sa.table(EVENTS, sa.column("id"), sa.column("originator_id"), sa.column("topic"), sa.column("state"))
    query = (sa.select(events.c.originator_id, events.c.topic, events.c.state)
             .where(events.c.topic.in_([ISSUED, WITHDRAWN])).order_by(events.c.id))
    taken: dict[tuple[str, str], str] = {}
    rows: list[dict[str, Any]] = []
    withdrawn: list[str] = []
    for originator_id, topic, state in bind.execute(query):
        caution_id = _caution_id(originator_id)
        if topic == WITHDRAWN:
            withdrawn.append(caution_id)
            continue
        row = _row(caution_id, json.loads(bytes(state)))
        first = taken.setdefault((row["force"], row["police_reference"]), caution_id)
        if first != caution_id:
            row["duplicate"] = True
            log.warning("caution %s has police reference %s in force %s, as caution %s recorded before it: both "
                        "kept; the later is marked duplicate in caution_references", caution_id,
                        row["police_reference"], row["force"], first)
        rows.append(row)
        if len(rows) >= CHUNK:
            bind.execute(table.insert(), rows)
            rows = []
    if rows:
        bind.execute(table.insert(), rows)
    for start in range(0, len(withdrawn), CHUNK):
        chunk = withdrawn[start:start + CHUNK]
        bind.execute(table.update().where(table.c.caution_id.in_(chunk)).values(withdrawn=True))


def _row(caution_id: str, state: dict[str, Any]) -> dict[str, Any]:
    """A CautionIssued's fields as stored (any class version: these four never changed shape)."""
    offender = _data(state["offender"])
    return {"caution_id": caution_id, "force": state["force"], "police_reference": state["police_reference"],
            "offender_reference": offender["reference"], "issued_on": _uk_day(_data(state["occurred_at"])),
            "withdrawn": False, "duplicate": False}


def _caution_id(stored: Any) -> str:
    """As the application writes it (with hyphens): the store keeps a uuid on PostgreSQL, 16 bytes on SQLite."""
    if isinstance(stored, UUID):
        return str(stored)
    if isinstance(stored, bytes | memoryview) and len(stored) == 16:
        return str(UUID(bytes=bytes(stored)))
    return str(UUID(str(stored)))


def _data(value: Any) -> Any:
    """The value inside the transcoder's {"_type_": ..., "_data_": ...} wrapping, or the value itself."""
    return value["_data_"] if isinstance(value, dict) and "_data_" in value else value


def _uk_day(moment: str) -> date:
    return uk_date(datetime.fromisoformat(moment))
