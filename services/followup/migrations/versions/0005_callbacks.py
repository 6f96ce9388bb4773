"""callbacks: follow-up tasks after resolution; the ticket's category on sla_clocks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=16), nullable=True))
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=2), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("next_fire_at", UtcDateTime(), nullable=True),
        sa.Column("breached_at", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("source_event_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_event_id", "kind"),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callbacks_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_callbacks_next_fire_at"), ["next_fire_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_callbacks_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_callbacks_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_callbacks_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callbacks_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_callbacks_state"))
        batch_op.drop_index(batch_op.f("ix_callbacks_owner"))
        batch_op.drop_index(batch_op.f("ix_callbacks_next_fire_at"))
        batch_op.drop_index(batch_op.f("ix_callbacks_due_at"))
    op.drop_table("callbacks")
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_column("category")
