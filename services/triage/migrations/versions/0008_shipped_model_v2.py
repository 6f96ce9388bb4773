"""shipped_model_v2: the classifier trained on the wider corpus with words and word
classes (feature set 2, P0 gate 2) as a new stored model version; versions 0 and 1 stay
as they decided

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence

from services.triage.classifier.model import shipped_model_bytes
from services.triage.migrations.shipping import ship_model, unship_model

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTE = "shipped model 2: words and word classes, wider corpus, P0 gate 2"
# The file shipped as version 2. A later shipped model is a new file and a new migration.
SHIPPED = 2


def upgrade() -> None:
    ship_model(shipped_model_bytes(SHIPPED), NOTE)


def downgrade() -> None:
    unship_model(NOTE)
