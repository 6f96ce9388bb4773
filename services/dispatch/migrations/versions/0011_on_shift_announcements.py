"""What dispatch last announced of each team's shifts (on_shift_announcements: a digest of
who is on shift and on leave, so team.on_shift_changed goes out only on a change)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "on_shift_announcements",
        sa.Column("team_key", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("announced_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_key"),
    )


def downgrade() -> None:
    op.drop_table("on_shift_announcements")
