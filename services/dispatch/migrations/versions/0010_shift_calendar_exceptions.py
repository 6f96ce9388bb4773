"""Shift rosters follow China's holiday calendar (holiday_schedule_copies, seeded with the
official 2026 schedule; shift_rosters.calendar), and per-agent exceptions to a roster
(shift_exceptions, shift_exception_changes)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime
from shared.holiday_data import OFFICIAL_SCHEDULES

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Older than any announcement triage can make: an admin's load wins.
SEEDED_AT = datetime(2000, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    with op.batch_alter_table("shift_rosters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("calendar", sa.String(length=16), nullable=False, server_default="china")
        )
    copies = op.create_table(
        "holiday_schedule_copies",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("workdays", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.bulk_insert(
        copies,
        [
            {
                "year": year,
                "holidays": [d.isoformat() for d in off],
                "workdays": [d.isoformat() for d in on],
                "actor": "seed:State Council notice",
                "updated_at": SEEDED_AT,
            }
            for year, (off, on) in OFFICIAL_SCHEDULES.items()
        ],
    )
    op.create_table(
        "shift_exceptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_key", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("replaces_agent_id", sa.Uuid(), nullable=True),
        sa.Column("shift", sa.String(length=50), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=True),
        sa.Column("end", sa.String(length=5), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_by_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shift_exceptions_team_key", "shift_exceptions", ["team_key"])
    op.create_table(
        "shift_exception_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_key", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("exception", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_key", "version"),
    )
    op.create_index("ix_shift_exception_changes_team_key", "shift_exception_changes", ["team_key"])


def downgrade() -> None:
    op.drop_table("shift_exception_changes")
    op.drop_table("shift_exceptions")
    op.drop_table("holiday_schedule_copies")
    with op.batch_alter_table("shift_rosters", schema=None) as batch_op:
        batch_op.drop_column("calendar")
