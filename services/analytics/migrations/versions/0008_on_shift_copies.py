"""on_shift_copies: who of each team is on shift and on leave today, as dispatch last
announced it (team.on_shift_changed), for the dashboard's 当班 panel

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "on_shift_copies",
        sa.Column("team_key", sa.String(length=32), nullable=False),
        sa.Column("has_roster", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("day_kind", sa.String(length=16), nullable=False),
        sa.Column("on_shift", sa.JSON(), nullable=False),
        sa.Column("on_leave", sa.JSON(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_key"),
    )


def downgrade() -> None:
    op.drop_table("on_shift_copies")
