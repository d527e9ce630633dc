"""An index for finding a caution by its police reference in the list (GET /v1/cautions?police_reference=), which
the web application's court liaison search uses (issue 20).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_summaries_force_police_reference", "caution_summaries", ["force", "police_reference"])


def downgrade() -> None:
    op.drop_index("ix_summaries_force_police_reference", table_name="caution_summaries")
