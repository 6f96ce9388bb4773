"""rollups: per (day ×) channel, category, priority, team and state, and per agent

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:20:00

The measure lists are written out here (not imported) so this revision stays as it
was when later code changes; they match ``services/analytics/rollups.py`` today.
Existing facts are not back-filled: 0002 and 0003 ship together.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BUCKETS = 24  # len(rollups.TIME_BOUNDS) + 1
INT_MEASURES = (
    "tickets",
    "open",
    "queued",
    "complaints",
    "breached",
    "at_risk",
    "sla_evaluated",
    "sla_met",
    "response_known",
    "response_met",
    "resolution_known",
    "resolution_met",
    "frt_count",
    "res_count",
    "resolved",
    "fcr",
    "reopened",
    "reopens",
    "transfers",
    "escalations",
    "csat_count",
    "csat_sum",
    "compensation_count",
    *(f"frt_h{i:02d}" for i in range(_BUCKETS)),
    *(f"res_h{i:02d}" for i in range(_BUCKETS)),
    *(f"csat_{i}" for i in range(1, 6)),
)
FLOAT_MEASURES = ("frt_sum", "res_sum", "compensation_total")
TABLES = {
    "daily_rollups": ("day", "channel", "category", "priority", "team", "state"),
    "agent_daily_rollups": ("day", "team", "agent", "category", "state"),
    "total_rollups": ("channel", "category", "priority", "team", "state"),
    "agent_total_rollups": ("team", "agent", "category", "state"),
    "day_rollups": ("day",),
}


def upgrade() -> None:
    for name, dimensions in TABLES.items():
        op.create_table(
            name,
            *(
                sa.Column(d, sa.Date() if d == "day" else sa.String(length=100), nullable=False)
                for d in dimensions
            ),
            *(
                sa.Column(m, sa.BigInteger(), nullable=False, server_default="0")
                for m in INT_MEASURES
            ),
            *(sa.Column(m, sa.Float(), nullable=False, server_default="0") for m in FLOAT_MEASURES),
            sa.PrimaryKeyConstraint(*dimensions),
        )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
