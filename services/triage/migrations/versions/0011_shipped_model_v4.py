"""shipped_model_v4: version 3's weights and calibration with P0 gate 3 (emergencies in
more everyday forms: money someone else took, a thing given up, a body harmed, people shut
in) and its P0 threshold as data, as a new stored model version; versions 0 to 3 stay as
they decided

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

from services.triage.classifier.model import shipped_model_bytes
from services.triage.migrations.shipping import ship_model, unship_model

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTE = "shipped model 4: version 3's weights, P0 gate 3"
# The file shipped as version 4. A later shipped model is a new file and a new migration.
SHIPPED = 4


def upgrade() -> None:
    ship_model(shipped_model_bytes(SHIPPED), NOTE)


def downgrade() -> None:
    unship_model(NOTE)
