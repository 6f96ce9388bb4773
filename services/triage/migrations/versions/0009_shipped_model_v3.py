"""shipped_model_v3: the classifier of version 2's recipe (feature set 2, P0 gate 2)
trained on the corpus with its third pass as a new stored model version; versions 0, 1
and 2 stay as they decided

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 18:30:00
"""

import gzip
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from services.triage.classifier.model import shipped_model_bytes
from shared.database import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTE = "shipped model 3: corpus third pass (new topics), feature set 2, P0 gate 2"
# The file shipped as version 3. A later shipped model is a new file and a new migration.
SHIPPED = 3


def _versions() -> sa.TableClause:
    return sa.table(
        "triage_model_versions",
        sa.column("version", sa.Integer),
        sa.column("body", sa.LargeBinary),
        sa.column("metrics", sa.JSON),
        sa.column("examples", sa.Integer),
        sa.column("corrections", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("note", sa.String),
        sa.column("changed_by", sa.String),
        sa.column("created_at", UtcDateTime),
    )


def upgrade() -> None:
    versions = _versions()
    bind = op.get_bind()
    latest = bind.scalar(sa.select(sa.func.max(versions.c.version))) or 0
    # In force only where a shipped model still decides (the version in force, the highest
    # active one, is one a migration stored, or none is): a version trained from
    # supervisors' corrections stays in force (`sopdesk triage train` folds them into
    # a model on the new features when run again).
    in_force = bind.execute(
        sa.select(versions.c.changed_by)
        .where(versions.c.active.is_(True))
        .order_by(versions.c.version.desc())
        .limit(1)
    ).first()
    trained_in_force = in_force is not None and in_force.changed_by != "migration"
    data = shipped_model_bytes(SHIPPED)
    metrics = dict(json.loads(gzip.decompress(data)).get("metrics") or {})
    op.bulk_insert(
        versions,
        [
            {
                "version": int(latest) + 1,
                "body": data,
                "metrics": metrics,
                "examples": int(str(metrics.get("examples", 0))),
                "corrections": 0,
                "active": not trained_in_force,
                "note": NOTE,
                "changed_by": "migration",
                "created_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    versions = _versions()
    op.execute(
        versions.delete().where(versions.c.changed_by == "migration", versions.c.note == NOTE)
    )
