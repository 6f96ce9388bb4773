"""key_delegations: an admin lets an integration key act for a person

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:40:00
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
    op.create_table(
        "key_delegations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key_name", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.Uuid(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column("granted_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_key_delegations_key_name", "key_delegations", ["key_name"])
    op.create_index("ix_key_delegations_person_id", "key_delegations", ["person_id"])


def downgrade() -> None:
    op.drop_table("key_delegations")
