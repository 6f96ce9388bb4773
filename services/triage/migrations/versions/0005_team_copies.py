"""team_copies: triage's copy of dispatch's teams (the teams a rule may route to)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

from alembic import op

from shared.team_copies import create_team_copies, drop_team_copies

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_team_copies(op)


def downgrade() -> None:
    drop_team_copies(op)
