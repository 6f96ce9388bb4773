"""ticket facts: the calendar and business-time response and resolution

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 17:03:29.493755
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_spec", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("first_response_business_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("resolution_business_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_facts", schema=None) as batch_op:
        batch_op.drop_column("resolution_business_seconds")
        batch_op.drop_column("first_response_business_seconds")
        batch_op.drop_column("calendar_spec")
