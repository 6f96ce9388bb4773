"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-23 15:12:53.891937
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
        "sla_clocks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=2), nullable=True),
        sa.Column("team", sa.String(length=32), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("due_at", UtcDateTime(), nullable=True),
        sa.Column("warn_at", UtcDateTime(), nullable=True),
        sa.Column("stopped_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "kind"),
    )
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_clocks_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sla_clocks_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_clocks_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_sla_clocks_due_at"))

    op.drop_table("sla_clocks")
    drop_bus_tables(op)
