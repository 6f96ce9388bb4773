"""Model versions; decisions name the model version, confidence, review flag and text

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.triage.migrations.shipping import MIGRATION, newest_rules, store_rules
from services.triage.rules.default_data import default_rule_set_body
from shared.database import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default policy since the classifier (services/triage/rules): the precise rules,
# the classifier for everything else; version 2 in services/triage/data/default_rules.json.
# Written as a new rule-set version only where the rules in force are still 0002's seed;
# an admin's own rules stay in force.
RULES_V2 = default_rule_set_body(2)


def upgrade() -> None:
    op.create_table(
        "triage_model_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    with op.batch_alter_table("triage_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("needs_review", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
    _seed_rules_v2()


def _seed_rules_v2() -> None:
    newest = newest_rules()
    if newest is not None and (newest.version != 1 or newest.changed_by != MIGRATION):
        return  # an admin has changed the rules: theirs stay in force
    store_rules(RULES_V2, "precise policy rules; the classifier decides the rest", newest)


def downgrade() -> None:
    with op.batch_alter_table("triage_decisions", schema=None) as batch_op:
        batch_op.drop_column("text")
        batch_op.drop_column("needs_review")
        batch_op.drop_column("confidence")
        batch_op.drop_column("model_version")
    op.drop_table("triage_model_versions")
    op.execute(
        "DELETE FROM triage_config_versions WHERE kind = 'rules' AND changed_by = 'migration'"
        " AND version > 1"
    )
