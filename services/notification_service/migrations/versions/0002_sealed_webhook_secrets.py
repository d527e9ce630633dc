"""Webhook signing secrets are stored sealed (shared/secret_box.py), which is longer than the 200 characters
a secret may have: the column becomes text. Sealing the secrets already stored needs the master keys, so
start-up does it (subscriptions.reseal_secrets), not this migration.

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
    with op.batch_alter_table("subscriptions") as table:  # SQLite rebuilds the table to change a column's type
        table.alter_column("secret", type_=sa.Text(), existing_type=sa.String(200), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as table:
        table.alter_column("secret", type_=sa.String(200), existing_type=sa.Text(), existing_nullable=False)
