"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-23 15:12:32.088477
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime, create_bus_tables, drop_bus_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_bus_tables(op)
    op.create_table(
        "teams",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("supervisor", sa.String(length=100), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("team_key", sa.String(length=32), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("active_count", sa.Integer(), nullable=False),
        sa.Column("last_assigned_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_key"],
            ["teams.key"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_team_key"), ["team_key"], unique=False)

    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_no", sa.String(length=32), nullable=False),
        sa.Column("team_key", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("customer_type", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("respond_by", UtcDateTime(), nullable=False),
        sa.Column("resolve_by", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_team_key"), ["team_key"], unique=False)

    # The default teams of SPEC §3, each with a supervisor. Written out here, not
    # imported, so this migration stays what it was when it shipped.
    teams = sa.table(
        "teams",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("supervisor", sa.String),
        sa.column("skills", sa.JSON),
    )
    op.bulk_insert(
        teams,
        [
            {
                "key": "frontline",
                "name": "一线客服 Front line",
                "supervisor": "frontline-supervisor",
                "skills": ["inquiry"],
            },
            {
                "key": "tech_support",
                "name": "技术支持 Tech support",
                "supervisor": "tech-supervisor",
                "skills": ["fault"],
            },
            {
                "key": "finance",
                "name": "财务 Finance",
                "supervisor": "finance-supervisor",
                "skills": ["refund"],
            },
            {
                "key": "logistics",
                "name": "物流 Logistics",
                "supervisor": "logistics-supervisor",
                "skills": ["delivery"],
            },
            {
                "key": "complaints",
                "name": "投诉专员 Complaints",
                "supervisor": "complaints-supervisor",
                "skills": ["complaint"],
            },
            {
                "key": "after_sales",
                "name": "售后 After-sales",
                "supervisor": "after-sales-supervisor",
                "skills": ["after_sales"],
            },
            {
                "key": "product",
                "name": "产品 Product",
                "supervisor": "product-supervisor",
                "skills": ["suggestion", "customization"],
            },
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_team_key"))
        batch_op.drop_index(batch_op.f("ix_assignments_state"))
        batch_op.drop_index(batch_op.f("ix_assignments_agent_id"))

    op.drop_table("assignments")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_team_key"))

    op.drop_table("agents")
    op.drop_table("teams")
    drop_bus_tables(op)
