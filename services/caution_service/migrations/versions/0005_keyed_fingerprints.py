"""Idempotency-Key fingerprints keyed (fingerprint_keys.py): the id of the master key whose HMAC key made each.

Null marks a record from before, holding the bare digest; start-up keys those (IdempotencyStore.
key_legacy_fingerprints), which needs the master keys, so it is not done here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cautions_idempotency", sa.Column("fingerprint_key", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("cautions_idempotency", "fingerprint_key")
