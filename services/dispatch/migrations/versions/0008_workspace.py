"""The workspace (issue 13): ticket activity, collaborations, extension requests; the
assignment's version and customer reply flag; inbox items handled or dismissed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:00:00
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
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_replied_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_index(
            "ix_assignments_agent_state_resolve_by", ["agent_id", "state", "resolve_by"]
        )
        batch_op.create_index(
            "ix_assignments_team_state_resolve_by", ["team_key", "state", "resolve_by"]
        )
    with op.batch_alter_table("supervisor_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="open")
        )
        batch_op.add_column(sa.Column("closed_by", sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column("closed_by_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("closed_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("ref_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            "ix_supervisor_items_team_state_created", ["team_key", "state", "created_at"]
        )
    op.create_table(
        "activity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=140), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_activity_ticket_at", "activity", ["ticket_id", "at"])
    op.create_table(
        "collaborations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("asked_by", sa.Uuid(), nullable=False),
        sa.Column("collaborator", sa.String(length=100), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=140), nullable=True),
        sa.Column("answered_by_name", sa.String(length=100), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_collaborations_ticket_id", "collaborations", ["ticket_id"])
    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("team_key", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("extra_minutes", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=140), nullable=True),
        sa.Column("decided_by_name", sa.String(length=100), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("resolve_by_before", UtcDateTime(), nullable=True),
        sa.Column("resolve_by_after", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_extension_requests_assignment_id", "extension_requests", ["assignment_id"])
    op.create_index("ix_extension_requests_team_key", "extension_requests", ["team_key"])


def downgrade() -> None:
    op.drop_table("extension_requests")
    op.drop_table("collaborations")
    op.drop_index("ix_activity_ticket_at", table_name="activity")
    op.drop_table("activity")
    with op.batch_alter_table("supervisor_items", schema=None) as batch_op:
        batch_op.drop_index("ix_supervisor_items_team_state_created")
        for column in ("ref_id", "note", "closed_at", "closed_by_name", "closed_by", "state"):
            batch_op.drop_column(column)
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_team_state_resolve_by")
        batch_op.drop_index("ix_assignments_agent_state_resolve_by")
        batch_op.drop_column("version")
        batch_op.drop_column("customer_replied_at")
