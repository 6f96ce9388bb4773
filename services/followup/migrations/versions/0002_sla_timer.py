"""SLA timer: warned_at, breached_at and next_fire_at on sla_clocks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warned_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("breached_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("next_fire_at", UtcDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sla_clocks_next_fire_at"), ["next_fire_at"], unique=False
        )
    # Clocks already running when the timer arrives: warn (or breach) from now on.
    op.execute(
        "UPDATE sla_clocks SET next_fire_at = warn_at "
        "WHERE state = 'running' AND stopped_at IS NULL AND warn_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_clocks_next_fire_at"))
        batch_op.drop_column("next_fire_at")
        batch_op.drop_column("breached_at")
        batch_op.drop_column("warned_at")
