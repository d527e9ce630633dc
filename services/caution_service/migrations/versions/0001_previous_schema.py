"""The schema as it stood before the Idempotency-Key position column (commit dedbfa1) and the consultation log.

Until then each constructor made its tables with `metadata.create_all`; this is that schema, written out,
so that a database made by that code and a new one follow the same history. Databases that code made are
stamped at this revision, or at the later one their tables match (migrations/__init__.py, legacy_revision).

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cautions_idempotency",
        sa.Column("principal_id", sa.String(400), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "projection_positions",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    _create_summaries()
    _create_history()


def _create_summaries() -> None:
    op.create_table(
        "caution_summaries",
        sa.Column("caution_id", sa.String(36), primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("police_reference", sa.String(100), nullable=False),
        sa.Column("offender_reference", sa.String(100), nullable=False),
        sa.Column("legal_basis", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("period_ends_on", sa.Date, nullable=False),
        sa.Column("next_action", sa.String(64)),
        sa.Column("next_action_role", sa.String(32)),
        sa.Column("next_action_due_on", sa.Date),
        sa.Column("deadline_passed", sa.Boolean, nullable=False),
        sa.Column("closed_on", sa.Date),
        sa.Column("spent_on", sa.Date),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_summaries_force_issued", "caution_summaries", ["force", "issued_on", "caution_id"])
    op.create_index("ix_summaries_force_status_issued", "caution_summaries",
                    ["force", "status", "issued_on", "caution_id"])
    op.create_index("ix_summaries_force_offender_issued", "caution_summaries",
                    ["force", "offender_reference", "issued_on", "caution_id"])
    op.create_index("ix_summaries_force_due", "caution_summaries", ["force", "next_action_due_on"])
    op.create_index("ix_summaries_open_period", "caution_summaries", ["status", "period_ends_on"])


def _create_history() -> None:
    op.create_table(
        "compliance_history",
        sa.Column("caution_id", sa.String(36), primary_key=True),
        sa.Column("entry", sa.Integer, primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("recorded_by_id", sa.String(200), nullable=False),
        sa.Column("recorded_by_role", sa.String(32), nullable=False),
        sa.Column("recorded_by_force", sa.String(64), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("corrects_entry", sa.Integer),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("compliance_history", "caution_summaries", "projection_positions", "cautions_idempotency"):
        op.drop_table(table)
