"""shipped_model_v3: the classifier of version 2's recipe (feature set 2, P0 gate 2)
trained on the corpus with its third pass as a new stored model version; versions 0, 1
and 2 stay as they decided

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

from services.triage.classifier.model import shipped_model_bytes
from services.triage.migrations.shipping import ship_model, unship_model

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTE = "shipped model 3: corpus third pass (new topics), feature set 2, P0 gate 2"
# The file shipped as version 3. A later shipped model is a new file and a new migration.
SHIPPED = 3


def upgrade() -> None:
    ship_model(shipped_model_bytes(SHIPPED), NOTE)


def downgrade() -> None:
    unship_model(NOTE)
