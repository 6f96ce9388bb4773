"""callbacks: completed by a named person, the call record, cancelled by a reopen

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("completed_by_name", "call_started_at", "call_ended_at", "verification", "cancelled_at")


def upgrade() -> None:
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed_by_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("call_started_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("call_ended_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("verification", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
