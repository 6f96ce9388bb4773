"""rollups: per (day ×) channel, category, priority, team and state, and per agent

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:20:00

The tables, their keys and measures are version 1 of ``services/analytics/data/rollups.json``,
the file ``services/analytics/rollups.py`` reads too (its newest entry).
Existing facts are not back-filled: 0002 and 0003 ship together.
"""

import json
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables as version 1 of services/analytics/data/rollups.json has them (an entry
# there is never rewritten; a new measure is a new entry and a new migration).
_SHAPE = json.loads(
    (Path(__file__).resolve().parents[2] / "data" / "rollups.json").read_text(encoding="utf-8")
)["versions"][0]
INT_MEASURES: tuple[str, ...] = tuple(_SHAPE["int_measures"])
FLOAT_MEASURES: tuple[str, ...] = tuple(_SHAPE["float_measures"])
TABLES: dict[str, tuple[str, ...]] = {name: tuple(keys) for name, keys in _SHAPE["tables"].items()}


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
