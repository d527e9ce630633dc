"""The police worklist names the safeguarding concern each acknowledgement is for (issue 20): its entry (the web
application links straight to acknowledging it), urgency and category, on the worklist_items rows of that action
(projections/worklist.py). Never what was said: that is for the victim contact service alone.

Null in the rows already there: `make rebuild PROJECTION=worklist_items` (`python -m services.caution_service.rebuild
--projection worklist_items`) fills them, as after 0016, and every caution's next event does so for that caution
meanwhile. Until then GET /v1/worklist gives such an item with `concern` null, and sorts it after the urgent
concerns due that day.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_COLUMNS = ("concern_entry", "concern_urgency", "concern_category")


def upgrade() -> None:
    op.add_column("worklist_items", sa.Column("concern_entry", sa.Integer, nullable=True))
    op.add_column("worklist_items", sa.Column("concern_urgency", sa.String(16), nullable=True))
    op.add_column("worklist_items", sa.Column("concern_category", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("worklist_items") as table:
        for name in reversed(_COLUMNS):
            table.drop_column(name)
