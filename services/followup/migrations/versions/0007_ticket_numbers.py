"""sla_clocks.ticket_no and surveys.ticket_no: the survey page names the ticket

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("sla_clocks", "surveys"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("ticket_no", sa.String(length=32), nullable=True))


def downgrade() -> None:
    for table in ("sla_clocks", "surveys"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("ticket_no")
