"""rules_explosion: default rules version 3, an explosion (电饭煲炸了) is personal safety

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:45:00
"""

from collections.abc import Sequence

from services.triage.migrations.shipping import ship_rules, unship_rules
from services.triage.rules.default_data import default_rule_set_body

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


def upgrade() -> None:
    ship_rules(RULES_V3, NOTE)


def downgrade() -> None:
    unship_rules(NOTE)
