"""The consultation log becomes tamper-evident: each force's entries are hash-chained (consultations.py), the
head of each chain is kept in consultation_heads, and the caller's request id is kept beside the service's.
Entries already logged are chained here, in the order they were written.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from services.caution_service.consultations import GENESIS, consultations, entry_hash, heads

    op.add_column("consultations", sa.Column("caller_request_id", sa.String(200)))
    op.add_column("consultations", sa.Column("previous_hash", sa.String(64)))
    op.add_column("consultations", sa.Column("entry_hash", sa.String(64)))
    op.create_table(
        "consultation_heads",
        sa.Column("force", sa.String(64), primary_key=True),
        sa.Column("last_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    connection = op.get_bind()
    c = consultations.c
    chains: dict[str, tuple[int, str]] = {}
    # The columns of this revision by name: the code's table may have more, added by later revisions.
    known = [c[name] for name in ("id", "at", "force", "caution_id", "what", "principal_id", "role", "purpose",
                                  "request_id")]
    for row in connection.execute(sa.select(*known).order_by(c.id)).mappings().all():
        entry = {**dict(row), "caller_request_id": None}
        previous = chains.get(row["force"], (0, GENESIS))[1]
        digest = entry_hash(entry, previous)
        connection.execute(sa.update(consultations).where(c.id == row["id"])
                           .values(previous_hash=previous, entry_hash=digest))
        chains[row["force"]] = (row["id"], digest)
    if chains:
        connection.execute(sa.insert(heads), [{"force": force, "last_id": last_id, "last_hash": digest}
                                              for force, (last_id, digest) in chains.items()])


def downgrade() -> None:
    op.drop_table("consultation_heads")
    with op.batch_alter_table("consultations") as table:
        for column in ("entry_hash", "previous_hash", "caller_request_id"):
            table.drop_column(column)
