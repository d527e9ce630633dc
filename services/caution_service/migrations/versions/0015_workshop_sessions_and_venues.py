"""Workshop sessions (issue 18): the sessions read model with each session's bookings and register, and each
force's venues as the provider keeps them.

The read model is projected from the event store (projections/sessions.py): created empty, it fills as the projector
reaches the sessions' events (a store made before this revision holds none). Venues are the provider's own data.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workshop_sessions",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("workshop", sa.String(1), nullable=False),
        sa.Column("venue_id", sa.String(36), nullable=False),
        sa.Column("venue_name", sa.String(200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("booked", sa.Integer, nullable=False),
        sa.Column("group", sa.String(16), nullable=False),
        sa.Column("facilitators", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("register_recorded_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_workshop_sessions_force_starts", "workshop_sessions", ["force", "starts_at", "session_id"])
    op.create_index("ix_workshop_sessions_force_status_ends", "workshop_sessions", ["force", "status", "ends_at"])
    op.create_table(
        "session_bookings",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("caution_id", sa.String(36), primary_key=True),
        sa.Column("booked", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(32)),
    )
    op.create_table(
        "venues",
        sa.Column("venue_id", sa.String(36), primary_key=True),
        sa.Column("force", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("postcode", sa.String(10), nullable=False),
        sa.Column("accessible", sa.Boolean, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_venues_force", "venues", ["force"])
    op.create_index("ux_venues_force_active_name", "venues", ["force", "name"], unique=True,
                    sqlite_where=sa.text("active"), postgresql_where=sa.text("active"))


def downgrade() -> None:
    op.drop_table("venues")
    op.drop_table("session_bookings")
    op.drop_table("workshop_sessions")
