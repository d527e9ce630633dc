"""Every read of personal data is logged, and every refused one (issue 14 item 8): a consultation entry names the
route it was made on and a detail (the filters a list used, the answer a denial got). Both are in the entry's hash
when set (consultations.py), so the entries already logged keep their hashes and need no rewriting. A downgrade
loses the route and detail of the entries that have them, and those entries then no longer verify.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("consultations", sa.Column("route", sa.String(200)))
    op.add_column("consultations", sa.Column("detail", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("consultations") as table:
        for column in ("detail", "route"):
            table.drop_column(column)
