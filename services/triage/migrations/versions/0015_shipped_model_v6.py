"""shipped_model_v6: retrained (lbfgs, converged) on the corpus's training split with the
spent blind sets d, e and f added (b was already in it), feature set 2, P0 gate 4, as a new
stored model version; versions 0 to 5 stay as they decided

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 00:30:00
"""

from collections.abc import Sequence

from services.triage.classifier.model import shipped_model_bytes
from services.triage.migrations.shipping import ship_model, unship_model

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTE = "shipped model 6: retrained with blind sets b, d, e, f, P0 gate 4"
# The file shipped as version 6. A later shipped model is a new file and a new migration.
SHIPPED = 6


def upgrade() -> None:
    ship_model(shipped_model_bytes(SHIPPED), NOTE)


def downgrade() -> None:
    unship_model(NOTE)
