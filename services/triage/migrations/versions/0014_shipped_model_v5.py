"""shipped_model_v5: version 4's weights and calibration (version 3's) with P0 gate 4
(a utility out, an account gone, thrown out of a system, data leaked, a vessel venting,
English outages; someone at a loss is no question), as a new stored model version;
versions 0 to 4 stay as they decided

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:20:00
"""

from collections.abc import Sequence

from services.triage.classifier.model import shipped_model_bytes
from services.triage.migrations.shipping import ship_model, unship_model

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTE = "shipped model 5: version 4's weights, P0 gate 4"
# The file shipped as version 5. A later shipped model is a new file and a new migration.
SHIPPED = 5


def upgrade() -> None:
    ship_model(shipped_model_bytes(SHIPPED), NOTE)


def downgrade() -> None:
    unship_model(NOTE)
