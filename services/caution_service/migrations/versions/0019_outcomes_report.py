"""The outcomes report's read models (issue 19 item 5): per caution by a blind index of its id, the sums per cohort
cell and duration, and the sessions held per month (projections/outcomes.py).

The projection starts at position 0, so the projector fills them from the whole store as it starts; nothing else
needs a rebuild.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_SUMMED = ("cautions", "contact_a_contacted", "contact_a_unable", "contact_a_declined", "contact_completion_contacted",
           "contact_completion_unable", "contact_completion_declined", "concerns", "concerns_acknowledged")


def upgrade() -> None:
    op.create_table(
        "outcome_cautions",
        sa.Column("caution_key", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("cohort_month", sa.String(7), nullable=False),
        sa.Column("legal_basis", sa.String(32), nullable=False),
        sa.Column("gender", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("days_to_first_contact", sa.Integer),
        sa.Column("days_to_workshop_a", sa.Integer),
        sa.Column("days_to_completion", sa.Integer),
        sa.Column("contacts", sa.Text, nullable=False),
        sa.Column("concerns", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "outcome_cells",
        sa.Column("force", sa.String(64), primary_key=True),
        sa.Column("cohort_month", sa.String(7), primary_key=True),
        sa.Column("legal_basis", sa.String(32), primary_key=True),
        sa.Column("gender", sa.String(16), primary_key=True),
        sa.Column("outcome", sa.String(24), primary_key=True),
        *(sa.Column(name, sa.Integer, nullable=False) for name in _SUMMED),
    )
    op.create_index("ix_outcome_cells_month", "outcome_cells", ["cohort_month"])
    op.create_table(
        "outcome_durations",
        sa.Column("force", sa.String(64), primary_key=True),
        sa.Column("cohort_month", sa.String(7), primary_key=True),
        sa.Column("measure", sa.String(24), primary_key=True),
        sa.Column("value", sa.Integer, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_index("ix_outcome_durations_month", "outcome_durations", ["cohort_month"])
    op.create_table(
        "outcome_sessions",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("held", sa.Boolean, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("filled", sa.Integer, nullable=False),
    )
    op.create_table(
        "outcome_session_cells",
        sa.Column("force", sa.String(64), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("sessions_held", sa.Integer, nullable=False),
        sa.Column("places", sa.Integer, nullable=False),
        sa.Column("filled", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outcome_session_cells")
    op.drop_table("outcome_sessions")
    op.drop_index("ix_outcome_durations_month", "outcome_durations")
    op.drop_table("outcome_durations")
    op.drop_index("ix_outcome_cells_month", "outcome_cells")
    op.drop_table("outcome_cells")
    op.drop_table("outcome_cautions")
