"""ticket_facts: the resolution text, the phone record form and the callback

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: list[tuple[str, Any]] = [
    ("resolution_text", sa.Text()),
    ("call_started_at", UtcDateTime()),
    ("call_ended_at", UtcDateTime()),
    ("call_handler", sa.String(length=100)),
    ("verification_steps", sa.Text()),
    ("call_resolution", sa.Text()),
    ("callback_outcome", sa.Text()),
    ("callback_by", sa.String(length=100)),
    ("callback_score", sa.Integer()),
    ("callback_completed_at", UtcDateTime()),
]


def upgrade() -> None:
    with op.batch_alter_table("ticket_facts", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_facts", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
