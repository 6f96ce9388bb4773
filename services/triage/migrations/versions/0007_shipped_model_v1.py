"""shipped_model_v1: the shipped classifier, calibrated and with its P0 gate, as a stored
model version; version 0 replays as it decided (uncalibrated, no gate)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:00:00
"""

import gzip
import json
from collections.abc import Sequence

from services.triage.classifier.model import shipped_model_bytes
from services.triage.migrations.shipping import any_model_active, store_model, unship_model

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTE = "shipped model: calibrated certainty, P0 gate"


def _shipped_body() -> bytes:
    """The file shipped as version 1 (data/model_v1.json.gz, kept as it was) with what
    decides its behaviour written into it as data."""
    body = json.loads(gzip.decompress(shipped_model_bytes(1)))
    body["p0_gate"] = True
    return gzip.compress(json.dumps(body, ensure_ascii=False).encode(), mtime=0)


def upgrade() -> None:
    # In force only where the shipped model still decides (no trained version active):
    # a version trained from supervisors' corrections stays in force.
    store_model(_shipped_body(), NOTE, active=not any_model_active())


def downgrade() -> None:
    unship_model(NOTE)
