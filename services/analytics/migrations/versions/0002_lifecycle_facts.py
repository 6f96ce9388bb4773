"""lifecycle facts: response/resolution, deadlines, counters, compensation, CSAT, FCR

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> list[sa.Column[object]]:
    false = sa.false()
    return [
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=True),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("first_agent_id", sa.Uuid(), nullable=True),
        sa.Column("first_assigned_at", UtcDateTime(), nullable=True),
        sa.Column("accepted_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by_agent_id", sa.Uuid(), nullable=True),
        sa.Column("resolution_code", sa.String(length=64), nullable=True),
        sa.Column("reopened_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("warned_at", UtcDateTime(), nullable=True),
        sa.Column("state_at", UtcDateTime(), nullable=True),
        sa.Column("first_response_seconds", sa.Float(), nullable=True),
        sa.Column("resolution_seconds", sa.Float(), nullable=True),
        sa.Column("response_met", sa.Boolean(), nullable=True),
        sa.Column("resolution_met", sa.Boolean(), nullable=True),
        sa.Column("response_breached", sa.Boolean(), nullable=False, server_default=false),
        sa.Column("resolution_breached", sa.Boolean(), nullable=False, server_default=false),
        sa.Column("update_breached", sa.Boolean(), nullable=False, server_default=false),
        sa.Column("breached", sa.Boolean(), nullable=False, server_default=false),
        sa.Column("transfers", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("escalations", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("reopens", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("compensation_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("compensation_total", sa.Float(), nullable=False, server_default="0"),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("survey_resolved", sa.Boolean(), nullable=True),
        sa.Column("survey_comment", sa.Text(), nullable=True),
        sa.Column("fcr", sa.Boolean(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("ticket_facts", schema=None) as batch_op:
        for column in _columns():
            batch_op.add_column(column)
        batch_op.create_index("ix_ticket_facts_state", ["state"], unique=False)
    op.create_table(
        "counted_events",
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("counted_events")
    with op.batch_alter_table("ticket_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_facts_state")
        for column in reversed(_columns()):
            batch_op.drop_column(column.name)
