"""What a triage rule is: its conditions and actions, the priority modifiers, a rule set,
and the closed values they may name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.triage.rules.default_data import default_rule_set_body
from shared import vocabulary
from shared.team_copies import SPEC_TEAMS

# The closed values a rule may name, from the one vocabulary (shared.vocabulary); teams
# are data (triage's copy of dispatch's teams), passed to the validation.
PRIORITY_ORDER: tuple[str, ...] = vocabulary.PRIORITIES.keys
CATEGORIES: tuple[str, ...] = vocabulary.CATEGORIES.keys
SCENES: tuple[str, ...] = vocabulary.SCENES.keys
CHANNELS: tuple[str, ...] = vocabulary.CHANNELS.keys
CUSTOMER_TYPES: tuple[str, ...] = vocabulary.CUSTOMER_TYPES.keys
PRIORITIES: tuple[str, ...] = vocabulary.PRIORITIES.keys
# The SPEC's default teams, which the default rules and the industry presets route to
# (every team copy is seeded with them).
SPEC_TEAM_KEYS: tuple[str, ...] = tuple(key for key, _, _ in SPEC_TEAMS)


class InvalidRule(ValueError):
    """A rule, SLA policy or calendar that cannot be used; the message says why."""


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Conditions:
    """Every non-empty condition must hold; within one condition any value may match."""

    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    customer_types: tuple[str, ...] = ()
    scenes: tuple[str, ...] = ()  # the ticket's declared scene, metadata["scene"]
    metadata: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (
            self.keywords
            or self.patterns
            or self.channels
            or self.customer_types
            or self.scenes
            or self.metadata
        )


@dataclass(frozen=True)
class Actions:
    category: str
    priority: str
    team: str
    scene: str = "after_sale"
    skill: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    rule_id: str
    conditions: Conditions
    actions: Actions
    description: str = ""
    enabled: bool = True


# The default modifiers are data too, beside the default rules (the newest rule set in
# services/triage/data/default_rules.json).
_DEFAULT_MODIFIERS: Mapping[str, Any] = default_rule_set_body()["modifiers"]


@dataclass(frozen=True)
class PriorityModifiers:
    vip_raises: bool = bool(_DEFAULT_MODIFIERS["vip_raises"])
    # Breadth of impact: many people, a whole line, a whole branch.
    wide_impact_keywords: tuple[str, ...] = tuple(_DEFAULT_MODIFIERS["wide_impact_keywords"])
    # A metadata count at or above the threshold is wide impact too.
    wide_impact_metadata_key: str = str(_DEFAULT_MODIFIERS["wide_impact_metadata_key"])
    wide_impact_threshold: int = int(_DEFAULT_MODIFIERS["wide_impact_threshold"])
    # Money already taken from the customer is never a mere question: at least P1.
    money_taken_keywords: tuple[str, ...] = tuple(_DEFAULT_MODIFIERS["money_taken_keywords"])
    # The question guard: a text that asks or takes care before anything happened (万一,
    # 买之前, 是真的吗, 有没有…功能) fires no P0 rule, unless it also says a real event
    # (已经, 刚才, 冒烟了, 闻到煤气味). Regex patterns; a real-event cue with a question
    # cue before it in its clause (万一着火了) is part of the question, not an event.
    question_cues: tuple[str, ...] = tuple(_DEFAULT_MODIFIERS["question_cues"])
    real_event_cues: tuple[str, ...] = tuple(_DEFAULT_MODIFIERS["real_event_cues"])
    # Breadth of impact said in a general form (全院, 整栋楼, 很多顾客, 所有的收银台): regex
    # patterns, read as the keywords above are (rules version 6).
    wide_impact_patterns: tuple[str, ...] = tuple(_DEFAULT_MODIFIERS["wide_impact_patterns"])
    # An emergency said, whatever the category read: a body harmed (流血, 缝了三针, 呼吸困难),
    # a person threatened or trapped, money taken by someone else. Regex patterns; one that
    # is not asked about in its clause (万一划伤了怎么办) lifts the ticket to P0, unless the
    # question guard holds (rules version 6).
    emergency_cues: tuple[str, ...] = tuple(_DEFAULT_MODIFIERS["emergency_cues"])


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    modifiers: PriorityModifiers = field(default_factory=PriorityModifiers)
    version: int = 0
    default: Actions = Actions("inquiry", "P2", "frontline", "pre_sale")
