"""Whether the engine can use a rule or a rule set."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from services.triage.rules.model import (
    CATEGORIES,
    CHANNELS,
    CUSTOMER_TYPES,
    PRIORITIES,
    SCENES,
    InvalidRule,
    PriorityModifiers,
    Rule,
)

# --------------------------------------------------------------------------- validation


def validate_rule(rule: Rule, teams: Collection[str]) -> None:
    """Raise :class:`InvalidRule` for a rule the engine cannot use; ``teams``: the keys
    of the teams it may route to (triage's copy of dispatch's teams)."""
    act, cond = rule.actions, rule.conditions
    if not rule.rule_id or not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", rule.rule_id):
        raise InvalidRule(f"rule id {rule.rule_id!r}: use 1-64 letters, digits, '.', '_' or '-'")
    if act.category not in CATEGORIES:
        raise InvalidRule(f"unknown category {act.category!r}; known: {', '.join(CATEGORIES)}")
    if act.priority not in PRIORITIES:
        raise InvalidRule(f"unknown priority {act.priority!r}; known: {', '.join(PRIORITIES)}")
    if act.team not in teams:
        raise InvalidRule(f"unknown team {act.team!r}; known: {', '.join(sorted(teams))}")
    if act.scene not in SCENES:
        raise InvalidRule(f"unknown scene {act.scene!r}; known: {', '.join(SCENES)}")
    if cond.is_empty() or (cond.keywords and not any(k.strip() for k in cond.keywords)):
        raise InvalidRule(f"rule {rule.rule_id}: a rule needs at least one condition")
    for pattern in cond.patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InvalidRule(f"rule {rule.rule_id}: invalid pattern {pattern!r}: {exc}") from exc
    for channel in cond.channels:
        if channel not in CHANNELS:
            raise InvalidRule(f"unknown channel {channel!r}")
    for ctype in cond.customer_types:
        if ctype not in CUSTOMER_TYPES:
            raise InvalidRule(f"unknown customer type {ctype!r}")
    for scene in cond.scenes:
        if scene not in SCENES:
            raise InvalidRule(f"unknown scene {scene!r}")


def validate_ruleset(rules: Iterable[Rule], teams: Collection[str]) -> None:
    seen: set[str] = set()
    for rule in rules:
        validate_rule(rule, teams)
        if rule.rule_id in seen:
            raise InvalidRule(f"duplicate rule id {rule.rule_id!r}")
        seen.add(rule.rule_id)


def validate_modifiers(mods: PriorityModifiers) -> None:
    if mods.wide_impact_threshold < 1:
        raise InvalidRule("wide_impact_threshold must be at least 1.")
    for name, patterns in (
        ("question_cues", mods.question_cues),
        ("real_event_cues", mods.real_event_cues),
        ("wide_impact_patterns", mods.wide_impact_patterns),
        ("emergency_cues", mods.emergency_cues),
    ):
        for pattern in patterns:
            if not pattern.strip():
                raise InvalidRule(f"{name}: an empty pattern matches every text")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InvalidRule(f"{name}: invalid pattern {pattern!r}: {exc}") from exc
