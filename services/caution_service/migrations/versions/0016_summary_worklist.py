"""The provider's worklist (issue 18): on each caution summary, first contact due by (and made at), and the
workshop to book with the last day its session may be on.

Null in the rows already there: `python -m services.caution_service.rebuild --projection caution_summaries` fills
them (as after 0009), and every caution's next event does so for that caution meanwhile.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("caution_summaries", sa.Column("first_contact_due_on", sa.Date, nullable=True))
    op.add_column("caution_summaries", sa.Column("first_contact_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("caution_summaries", sa.Column("book_workshop", sa.String(1), nullable=True))
    op.add_column("caution_summaries", sa.Column("book_by", sa.Date, nullable=True))
    op.create_index("ix_summaries_force_first_contact", "caution_summaries", ["force", "first_contact_due_on"])
    op.create_index("ix_summaries_force_book_by", "caution_summaries", ["force", "book_by"])


def downgrade() -> None:
    op.drop_index("ix_summaries_force_book_by", "caution_summaries")
    op.drop_index("ix_summaries_force_first_contact", "caution_summaries")
    with op.batch_alter_table("caution_summaries") as table:
        for name in ("book_by", "book_workshop", "first_contact_at", "first_contact_due_on"):
            table.drop_column(name)
