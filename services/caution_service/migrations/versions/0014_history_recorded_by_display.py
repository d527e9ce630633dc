"""The compliance history names who recorded each entry (issue 17): the token's display claims, name and rank or
collar number, stored on the event and kept here beside the account id.

Nullable: entries recorded before the claims were taken, and those a system records, have none, and their content
(and so their hash) is exactly as it was. A row projected before this revision from an event that holds them cannot
exist: the events that hold them are recorded by code that runs only after this migration.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = (("recorded_by_name", 200), ("recorded_by_rank", 64), ("recorded_by_collar_number", 32))


def upgrade() -> None:
    for name, length in COLUMNS:
        op.add_column("compliance_history", sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("compliance_history") as table:
        for name, _ in COLUMNS:
            table.drop_column(name)
