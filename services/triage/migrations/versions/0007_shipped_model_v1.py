"""shipped_model_v1: the shipped classifier, calibrated and with its P0 gate, as a stored
model version; version 0 replays as it decided (uncalibrated, no gate)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:00:00
"""

import gzip
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from services.triage.classifier.model import shipped_model_bytes
from shared.database import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTE = "shipped model: calibrated certainty, P0 gate"


def _shipped_body() -> tuple[bytes, dict[str, object]]:
    """The file shipped as version 1 (data/model_v1.json.gz, kept as it was) with what
    decides its behaviour written into it as data."""
    body = json.loads(gzip.decompress(shipped_model_bytes(1)))
    body["p0_gate"] = True
    data = gzip.compress(json.dumps(body, ensure_ascii=False).encode(), mtime=0)
    return data, dict(body.get("metrics") or {})


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
    # In force only where the shipped model still decides (no trained version active):
    # a version trained from supervisors' corrections stays in force.
    trained_in_force = bind.scalar(
        sa.select(sa.func.count()).select_from(versions).where(versions.c.active.is_(True))
    )
    body, metrics = _shipped_body()
    op.bulk_insert(
        versions,
        [
            {
                "version": int(latest) + 1,
                "body": body,
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
