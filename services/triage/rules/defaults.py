"""The default rule set (SPEC §3): the rules a fresh store starts with.

The rules are data, the newest version in ``services/triage/data/default_rules.json``
(the migrations seed the store from the same file). Tried in order; the first rule that
fires decides. Core use blocked and safety (P0) first, then the few unmistakable wordings
of the other areas. Everything else is left to the classifier, which generalises over
wordings no rule lists.
"""

from __future__ import annotations

from services.triage.rules.codec import ruleset_from_body
from services.triage.rules.default_data import default_rule_set_body
from services.triage.rules.model import Rule, RuleSet

DEFAULT_RULESET: RuleSet = ruleset_from_body(default_rule_set_body(), version=0)
DEFAULT_RULES: tuple[Rule, ...] = DEFAULT_RULESET.rules
