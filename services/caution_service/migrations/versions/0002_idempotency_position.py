"""Idempotency-Key records keep the store position their answer reports in a column of their own.

The writer seals an answer before its transaction and learns the position only once the events are
inserted (writer.py), so the position goes beside the sealed body. Nullable: records written before this
column hold the position in their body. Until migrations, idempotency.py added it with a hand-written ALTER.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cautions_idempotency", sa.Column("position", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cautions_idempotency") as batch:  # SQLite before 3.35 cannot drop a column in place
        batch.drop_column("position")
