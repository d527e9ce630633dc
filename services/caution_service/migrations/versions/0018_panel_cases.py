"""The scrutiny panel's cases (issue 19): the read model `panel_cases`.

Empty when made: the projector's position for it starts at 0, so the first run projects the whole store into it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "panel_cases",
        sa.Column("caution_id", sa.String(36), primary_key=True),
        sa.Column("entry", sa.Integer, primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("happened_on", sa.Date, nullable=False),
        sa.Column("police_reference", sa.String(100), nullable=False),
        sa.Column("reviewed_panel_id", sa.String(36)),
        sa.Column("reviewed_entry", sa.Integer),
        sa.Column("reviewed_on", sa.Date),
        sa.Column("reviewed_members", sa.Integer),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_panel_cases_force_happened", "panel_cases", ["force", "happened_on", "caution_id", "entry"])
    op.create_index("ix_panel_cases_force_panel", "panel_cases", ["force", "reviewed_panel_id"])


def downgrade() -> None:
    op.drop_index("ix_panel_cases_force_panel", "panel_cases")
    op.drop_index("ix_panel_cases_force_happened", "panel_cases")
    op.drop_table("panel_cases")
