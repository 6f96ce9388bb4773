"""Rules, priority modifiers and rule sets to and from JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.triage.rules.model import Actions, Conditions, PriorityModifiers, Rule, RuleSet

# --------------------------------------------------------------------------- JSON


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    cond, act = rule.conditions, rule.actions
    return {
        "rule_id": rule.rule_id,
        "description": rule.description,
        "enabled": rule.enabled,
        "conditions": {
            "keywords": list(cond.keywords),
            "patterns": list(cond.patterns),
            "channels": list(cond.channels),
            "customer_types": list(cond.customer_types),
            "scenes": list(cond.scenes),
            "metadata": {k: list(v) for k, v in cond.metadata.items()},
        },
        "actions": {
            "category": act.category,
            "scene": act.scene,
            "priority": act.priority,
            "team": act.team,
            "skill": act.skill,
            "tags": list(act.tags),
        },
    }


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    cond = data.get("conditions") or {}
    act = data.get("actions") or {}
    return Rule(
        rule_id=str(data["rule_id"]),
        description=str(data.get("description") or ""),
        enabled=bool(data.get("enabled", True)),
        conditions=Conditions(
            keywords=tuple(cond.get("keywords") or ()),
            patterns=tuple(cond.get("patterns") or ()),
            channels=tuple(cond.get("channels") or ()),
            customer_types=tuple(cond.get("customer_types") or ()),
            scenes=tuple(cond.get("scenes") or ()),
            metadata={
                str(k): tuple(str(x) for x in v) for k, v in (cond.get("metadata") or {}).items()
            },
        ),
        actions=Actions(
            category=str(act["category"]),
            priority=str(act["priority"]),
            team=str(act["team"]),
            scene=str(act.get("scene") or "after_sale"),
            skill=act.get("skill"),
            tags=tuple(act.get("tags") or ()),
        ),
    )


def modifiers_to_dict(mods: PriorityModifiers) -> dict[str, Any]:
    return {
        "vip_raises": mods.vip_raises,
        "wide_impact_keywords": list(mods.wide_impact_keywords),
        "wide_impact_metadata_key": mods.wide_impact_metadata_key,
        "wide_impact_threshold": mods.wide_impact_threshold,
        "money_taken_keywords": list(mods.money_taken_keywords),
        "question_cues": list(mods.question_cues),
        "real_event_cues": list(mods.real_event_cues),
        "wide_impact_patterns": list(mods.wide_impact_patterns),
        "emergency_cues": list(mods.emergency_cues),
    }


def modifiers_from_dict(data: Mapping[str, Any]) -> PriorityModifiers:
    base = PriorityModifiers()
    return PriorityModifiers(
        vip_raises=bool(data.get("vip_raises", base.vip_raises)),
        wide_impact_keywords=tuple(data.get("wide_impact_keywords", base.wide_impact_keywords)),
        wide_impact_metadata_key=str(
            data.get("wide_impact_metadata_key", base.wide_impact_metadata_key)
        ),
        wide_impact_threshold=int(data.get("wide_impact_threshold", base.wide_impact_threshold)),
        money_taken_keywords=tuple(data.get("money_taken_keywords", base.money_taken_keywords)),
        # A rule set stored before the guard (versions 1-3) decided without it, and
        # replays so: no cues, no guard.
        question_cues=tuple(data.get("question_cues", ())),
        real_event_cues=tuple(data.get("real_event_cues", ())),
        # Likewise a rule set stored before version 6: no patterns of breadth, no
        # emergency cues.
        wide_impact_patterns=tuple(data.get("wide_impact_patterns", ())),
        emergency_cues=tuple(data.get("emergency_cues", ())),
    )


def ruleset_to_body(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "rules": [rule_to_dict(r) for r in ruleset.rules],
        "modifiers": modifiers_to_dict(ruleset.modifiers),
    }


def ruleset_from_body(body: Mapping[str, Any], version: int) -> RuleSet:
    return RuleSet(
        rules=tuple(rule_from_dict(r) for r in body.get("rules", [])),
        modifiers=modifiers_from_dict(body.get("modifiers") or {}),
        version=version,
    )
