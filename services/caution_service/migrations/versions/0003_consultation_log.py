"""The consultation log (Data Protection Act 2018, s.62): who saw a victim's contact details or was given a
caution's history or certificate. Added by commit f88f950, after the position column.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("caution_id", sa.String(36), nullable=False),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("principal_id", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(200)),
        sa.Column("request_id", sa.String(64)),
    )
    op.create_index("ix_consultations_force_at", "consultations", ["force", "at", "id"])
    op.create_index("ix_consultations_caution", "consultations", ["caution_id", "at", "id"])


def downgrade() -> None:
    op.drop_table("consultations")
