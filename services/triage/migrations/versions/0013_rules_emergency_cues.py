"""rules_emergency_cues: default rules version 6, emergencies and breadth said in general
forms

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

from services.triage.migrations.shipping import ship_rules, unship_rules
from services.triage.rules.default_data import default_rule_set_body

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Version 6 in services/triage/data/default_rules.json: version 5's rules and guard, plus
# emergency cues that make any category P0 (a body harmed, a person threatened or trapped,
# money taken by someone else: "护士拿错了药…身上起了一片疹子"), breadth of impact as
# patterns (全院, 整栋楼, 很多顾客), question cues for a suggestion, hearsay, an alarm said
# not to have happened and a safety device named (漏电保护开关), and fault.down reading an
# app gone as soon as it opens (一打开就闪退). Written as a new rule-set version only where
# the rules in force are still a migration's seed; an admin's own rules stay in force.
RULES_V6 = default_rule_set_body(6)
NOTE = "emergency cues in any category, breadth as patterns, suggestions and hearsay guarded"


def upgrade() -> None:
    ship_rules(RULES_V6, NOTE)


def downgrade() -> None:
    unship_rules(NOTE)
