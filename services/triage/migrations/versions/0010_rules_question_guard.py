"""rules_question_guard: default rules version 4, a question or precaution fires no P0 rule

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

from services.triage.migrations.shipping import ship_rules, unship_rules
from services.triage.rules.default_data import default_rule_set_body

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Version 4 in services/triage/data/default_rules.json: the modifiers gain the question
# guard (question_cues, real_event_cues): "电梯万一着火了有没有自动断电的功能" or "买之前问一下
# 会不会冒烟" fires no P0 rule unless the text also says a real event (刚才, 冒烟了). The
# rules are version 3's. Written as a new rule-set version only where the rules in force
# are still a migration's seed; an admin's own rules stay in force.
RULES_V4 = default_rule_set_body(4)
NOTE = "question guard: a question or precaution (万一, 买之前, 是真的吗) fires no P0 rule"


def upgrade() -> None:
    ship_rules(RULES_V4, NOTE)


def downgrade() -> None:
    unship_rules(NOTE)
