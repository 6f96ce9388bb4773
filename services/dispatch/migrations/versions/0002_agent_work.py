"""agent work: skill levels, assignment lifecycle, supervisor inbox, compensations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("skill_levels", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("chat_capacity", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("chat_active_count", sa.Integer(), nullable=False, server_default="0")
        )

    # Agents from before skill levels keep taking what they took (P0 and VIP too):
    # each of their skills gets level 3.
    agents = sa.table(
        "agents",
        sa.column("id", sa.Uuid()),
        sa.column("skills", sa.JSON()),
        sa.column("skill_levels", sa.JSON()),
    )
    bind = op.get_bind()
    for agent_id, skills in bind.execute(sa.select(agents.c.id, agents.c.skills)).all():
        if isinstance(skills, str):
            skills = json.loads(skills)
        bind.execute(
            sa.update(agents)
            .where(agents.c.id == agent_id)
            .values(skill_levels={skill: 3 for skill in skills or []})
        )

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.alter_column(
            "state",
            existing_type=sa.String(length=16),
            type_=sa.String(length=24),
            existing_nullable=False,
        )
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("masked_contact", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("skill", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("keywords", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("kb_suggestions", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("last_agent_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("accepted_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolution_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("public_reply", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("visit_from", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("visit_until", UtcDateTime(), nullable=True))

    op.create_table(
        "supervisor_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_key", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("ticket_no", sa.String(length=32), nullable=True),
        sa.Column("assignment_id", sa.Uuid(), nullable=True),
        sa.Column("priority", sa.String(length=2), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supervisor_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervisor_items_team_key"), ["team_key"], unique=False
        )

    op.create_table(
        "compensations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("team_key", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("compensations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compensations_assignment_id"), ["assignment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_compensations_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_compensations_team_key"), ["team_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("compensations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compensations_team_key"))
        batch_op.drop_index(batch_op.f("ix_compensations_state"))
        batch_op.drop_index(batch_op.f("ix_compensations_assignment_id"))
    op.drop_table("compensations")
    with op.batch_alter_table("supervisor_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervisor_items_team_key"))
    op.drop_table("supervisor_items")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        for column in (
            "visit_until",
            "visit_from",
            "updated_at",
            "public_reply",
            "resolution_code",
            "resolved_at",
            "accepted_at",
            "last_agent_id",
            "escalated",
            "kb_suggestions",
            "keywords",
            "skill",
            "masked_contact",
            "channel",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column(
            "state",
            existing_type=sa.String(length=24),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("chat_active_count")
        batch_op.drop_column("chat_capacity")
        batch_op.drop_column("skill_levels")
