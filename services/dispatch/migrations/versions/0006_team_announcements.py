"""teams: an English name, when each team last changed and when dispatch announced it

Teams are announced to the other services (team.created / team.updated / team.deleted);
a team whose latest change is not announced yet (every team, after this migration) is
announced when dispatch starts. The seeded teams get the names the other services
seed in their copies (shared.team_copies.SPEC_TEAMS as it shipped), Chinese and English
apart, unless an admin renamed them already.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:20:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (key, the name 0001 seeded, Chinese name, English name)
SEEDED = (
    ("frontline", "一线客服 Front line", "一线客服", "front-line"),
    ("tech_support", "技术支持 Tech support", "技术", "technical support"),
    ("finance", "财务 Finance", "财务", "finance"),
    ("logistics", "物流 Logistics", "物流", "logistics"),
    ("complaints", "投诉专员 Complaints", "投诉处理", "complaints"),
    ("after_sales", "售后 After-sales", "售后", "after-sales"),
    ("product", "产品 Product", "产品", "product"),
)


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_en", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("announced_at", UtcDateTime(), nullable=True))
    teams = sa.table(
        "teams",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("name_en", sa.String),
        sa.column("updated_at", UtcDateTime),
    )
    for key, seeded, zh, en in SEEDED:
        op.execute(
            teams.update()
            .where(teams.c.key == key, teams.c.name == seeded)
            .values(name=zh, name_en=en)
        )
    op.execute(teams.update().values(updated_at=datetime.now(UTC)))
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=UtcDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("announced_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("name_en")
