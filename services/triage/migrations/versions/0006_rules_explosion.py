"""rules_explosion: default rules version 3, an explosion (电饭煲炸了) is personal safety

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:45:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from services.triage.rules.default_data import default_rule_set_body
from shared.database import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Version 3 in services/triage/data/default_rules.json: the safety rule also reads 炸了
# when something that can explode did (电饭煲炸了, not 心态炸了), and 自燃. Written as a
# new rule-set version only where the rules in force are still a migration's seed; an
# admin's own rules stay in force.
RULES_V3 = default_rule_set_body(3)
NOTE = "safety: an appliance or battery that exploded (炸了), 自燃"


def _versions() -> sa.TableClause:
    return sa.table(
        "triage_config_versions",
        sa.column("kind", sa.String),
        sa.column("version", sa.Integer),
        sa.column("body", sa.JSON),
        sa.column("note", sa.String),
        sa.column("changed_by", sa.String),
        sa.column("created_at", UtcDateTime),
    )


def upgrade() -> None:
    versions = _versions()
    latest = (
        op.get_bind()
        .execute(
            sa.select(versions.c.version, versions.c.changed_by)
            .where(versions.c.kind == "rules")
            .order_by(versions.c.version.desc())
            .limit(1)
        )
        .first()
    )
    if latest is not None and latest.changed_by != "migration":
        return  # an admin has changed the rules: theirs stay in force
    op.bulk_insert(
        versions,
        [
            {
                "kind": "rules",
                "version": (latest.version if latest else 0) + 1,
                "body": RULES_V3,
                "note": NOTE,
                "changed_by": "migration",
                "created_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    versions = _versions()
    op.execute(
        versions.delete().where(
            versions.c.kind == "rules",
            versions.c.changed_by == "migration",
            versions.c.note == NOTE,
        )
    )
