"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-23 15:11:59.770540
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
        "triage_decisions",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_no", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("scene", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("team", sa.String(length=32), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("sla_policy", sa.String(length=32), nullable=False),
        sa.Column("calendar", sa.String(length=32), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("respond_by", UtcDateTime(), nullable=False),
        sa.Column("resolve_by", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )


def downgrade() -> None:
    op.drop_table("triage_decisions")
    drop_bus_tables(op)
