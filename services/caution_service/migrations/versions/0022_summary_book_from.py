"""The provider's worklist gives the first day each workshop to book may be on as well as the last (`book_from`, the
web application's booking page found the gap): for workshop B the conditions' days after A's UK day, from the
domain's own rule (Caution.earliest_day_for_b); null for A. On the caution summaries (projections/summary.py).

Null in the rows already there: `make rebuild PROJECTION=caution_summaries` (`python -m
services.caution_service.rebuild --projection caution_summaries`) fills it, as after 0016, and every caution's next
event does so for that caution meanwhile. Until then GET /v1/provider/worklist gives such a caution's workshop B
with `book_from` null, and the booking API still refuses a session inside the gap.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("caution_summaries", sa.Column("book_from", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("caution_summaries") as table:
        table.drop_column("book_from")
