"""rules_guard_cues: default rules version 5, the question guard reads more precautions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

from services.triage.migrations.shipping import ship_rules, unship_rules
from services.triage.rules.default_data import default_rule_set_body

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Version 5 in services/triage/data/default_rules.json: version 4's rules and guard, its
# question cues gaining a risk asked about (会不会有…风险), a fear of later (怕以后), a
# suggestion (提个建议, suggest), preventing a scam (防止被骗), where to report one and how
# to test a safety device: "提个建议,燃气泄漏报警声音能不能再大一点" fires no P0 rule.
# Written as a new rule-set version only where the rules in force are still a
# migration's seed; an admin's own rules stay in force.
RULES_V5 = default_rule_set_body(5)
NOTE = "question guard cues: a risk asked about, a suggestion, preventing a scam fire no P0 rule"


def upgrade() -> None:
    ship_rules(RULES_V5, NOTE)


def downgrade() -> None:
    unship_rules(NOTE)
