"""business time: calendar, triage's deadline and pauses on sla_clocks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_spec", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("base_due_at", UtcDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("paused_seconds", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("paused_at", UtcDateTime(), nullable=True))
    # Clocks from before: their deadline is triage's, never paused, on 24×7.
    op.execute("UPDATE sla_clocks SET base_due_at = due_at")


def downgrade() -> None:
    with op.batch_alter_table("sla_clocks", schema=None) as batch_op:
        batch_op.drop_column("paused_at")
        batch_op.drop_column("paused_seconds")
        batch_op.drop_column("base_due_at")
        batch_op.drop_column("calendar_spec")
