"""Caution summaries hold the victim's reference, so a subject access request by a victim finds their cautions
(GET /v1/subject-access?victim_ref=...).

The reference is pseudonymous, kept in clear in the events like the offender's reference beside it. Rows
projected before this revision hold null there until the read models are rebuilt (`make rebuild`): the events,
not this migration, say what the reference is. Until then a subject access search by victim reference answers
503 rather than miss a caution (services/caution_service/api/subject_access.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("caution_summaries", sa.Column("victim_reference", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("caution_summaries") as table:
        table.drop_column("victim_reference")
