"""Request fingerprints (an Idempotency-Key reused with another body); why a message was
joined to a ticket, and the ticket it was split off into

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("tickets", "ticket_messages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("request_fingerprint", sa.String(64), nullable=True))
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_reason", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("split_into_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_column("split_into_id")
        batch_op.drop_column("match_reason")
    for table in ("tickets", "ticket_messages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("request_fingerprint")
