"""The workspace's reads: who works a ticket (team and assignee from dispatch's events),
what was sent to the customer, audited contact reveals, and an index for team search

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("assignee_name", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("assigned_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("resolved_by_name", sa.String(100), nullable=True))
        batch_op.create_index("ix_tickets_team_created", ["team", "created_at"])
        batch_op.create_index("ix_tickets_assignee_id", ["assignee_id"])
    op.create_table(
        "outgoing_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(48), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(100), nullable=True),
        sa.Column("actor_name", sa.String(100), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outgoing_messages_ticket_at", "outgoing_messages", ["ticket_id", "at"])
    op.create_table(
        "contact_reveals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("contact_id", sa.String(24), nullable=False),
        sa.Column("masked_value", sa.String(254), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("actor_name", sa.String(100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contact_reveals_customer_at", "contact_reveals", ["customer_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_contact_reveals_customer_at", table_name="contact_reveals")
    op.drop_table("contact_reveals")
    op.drop_index("ix_outgoing_messages_ticket_at", table_name="outgoing_messages")
    op.drop_table("outgoing_messages")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_assignee_id")
        batch_op.drop_index("ix_tickets_team_created")
        batch_op.drop_column("resolved_by_name")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("assignee_name")
        batch_op.drop_column("assignee_id")
