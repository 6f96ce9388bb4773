"""Supervisor inbox items carry their facts (agent and display name, subject, the person's
words, kind-specific data) for the workspace to word in the reader's language

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("supervisor_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("agent_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("data", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("supervisor_items", schema=None) as batch_op:
        batch_op.drop_column("data")
        batch_op.drop_column("text")
        batch_op.drop_column("subject")
        batch_op.drop_column("agent_name")
        batch_op.drop_column("agent_id")
