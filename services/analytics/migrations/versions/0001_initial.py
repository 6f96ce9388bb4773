"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-23 15:13:18.898710
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime, create_bus_tables, drop_bus_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_bus_tables(op)
    op.create_table(
        "ticket_facts",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_no", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("customer_type", sa.String(length=16), nullable=True),
        sa.Column("masked_contact", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("scene", sa.String(length=16), nullable=True),
        sa.Column("priority", sa.String(length=2), nullable=True),
        sa.Column("team", sa.String(length=32), nullable=True),
        sa.Column("agent_name", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=True),
        sa.Column("triaged_at", UtcDateTime(), nullable=True),
        sa.Column("queued_at", UtcDateTime(), nullable=True),
        sa.Column("assigned_at", UtcDateTime(), nullable=True),
        sa.Column("respond_by", UtcDateTime(), nullable=True),
        sa.Column("resolve_by", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    with op.batch_alter_table("ticket_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_facts_received", ["received_at", "ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_facts_received")

    op.drop_table("ticket_facts")
    drop_bus_tables(op)
