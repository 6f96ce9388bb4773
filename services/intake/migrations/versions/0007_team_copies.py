"""team_copies: intake's copy of dispatch's teams (names in the customer's notices)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

from alembic import op

from shared.team_copies import create_team_copies, drop_team_copies

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_team_copies(op)


def downgrade() -> None:
    drop_team_copies(op)
