"""Industry presets: extra vocabulary and rules, calendars and the default SLA policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import time

from services.triage.rules.model import Actions, Conditions, Rule, RuleSet
from services.triage.sla import SlaPolicy
from shared.calendar import (
    BusinessCalendar,
)

# --------------------------------------------------------------------------- industries


def _rule(
    rule_id: str,
    keywords: Sequence[str],
    category: str,
    priority: str,
    team: str,
    scene: str,
    skill: str | None = None,
    tags: Sequence[str] = (),
    description: str = "",
    patterns: Sequence[str] = (),
) -> Rule:
    return Rule(
        rule_id,
        Conditions(keywords=tuple(keywords), patterns=tuple(patterns)),
        Actions(category, priority, team, scene, skill, tuple(tags)),
        description,
    )


@dataclass(frozen=True)
class IndustryPreset:
    """What an industry changes: extra vocabulary for existing rules, extra rules (tried
    before the stored ones), the calendars per priority, and the default SLA policy."""

    name: str
    vocabulary: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extra_rules: tuple[Rule, ...] = ()
    calendar_per_priority: Mapping[str, str] = field(default_factory=dict)
    calendars: Mapping[str, BusinessCalendar] = field(default_factory=dict)
    sla_policy: str = "cross-industry"


INDUSTRIES: dict[str, IndustryPreset] = {
    "generic": IndustryPreset("generic"),
    "e-commerce": IndustryPreset(
        "e-commerce",
        vocabulary={
            "logistics.delay": ("包裹", "运单", "揽收", "派送", "签收", "驿站", "tracking number"),
            "after_sales.refund": ("仅退款", "退差价", "价保", "price protection"),
            "after_sales.return": ("七天无理由", "7天无理由", "退回"),
        },
        extra_rules=(
            _rule(
                "ecommerce.promotion",
                (
                    "优惠券",
                    "满减",
                    "双十一",
                    "双11",
                    "618",
                    "秒杀",
                    "预售",
                    "定金",
                    "尾款",
                    "大促",
                    "活动价",
                    "coupon",
                    "promo code",
                    "flash sale",
                ),
                "inquiry",
                "P2",
                "frontline",
                "in_sale",
                "promotion",
                ("promotion",),
                "Promotion questions (e-commerce preset).",
            ),
        ),
        calendars={
            "ecommerce": BusinessCalendar(
                name="ecommerce",
                windows=((time(9), time(22)),),
                china_holidays=False,
                weekend_days=(),
            )
        },
        calendar_per_priority={"P0": "24x7", "P1": "ecommerce", "P2": "ecommerce"},
    ),
    "finance": IndustryPreset(
        "finance",
        vocabulary={
            "fault.payment": ("转账失败", "扣款异常", "重复扣款", "盗刷", "交易失败"),
            "complaint.service": ("乱收费", "手续费"),
        },
        extra_rules=(
            _rule(
                "finance.fraud",
                ("盗刷", "被盗", "诈骗", "可疑交易", "资金安全", "冻结", "fraud", "unauthorized"),
                "fault",
                "P0",
                "tech_support",
                "after_sale",
                "security",
                ("security",),
                "Suspected fraud or account security (finance preset).",
            ),
        ),
        calendar_per_priority={"P0": "24x7"},
    ),
    "manufacturing": IndustryPreset(
        "manufacturing",
        vocabulary={
            "fault.down": ("停机", "停线", "停产", "设备停转"),
            "fault.defect": ("异响", "精度", "漏油", "过热"),
            "after_sales.return": ("上门", "工程师", "备件", "配件"),
        },
        sla_policy="sop-basic",
    ),
    "healthcare": IndustryPreset(
        "healthcare",
        vocabulary={
            "fault.down": ("急诊", "生命", "过敏", "医疗事故"),
            "inquiry.policy": ("挂号", "预约", "医保", "报销"),
        },
        calendar_per_priority={"P0": "24x7"},
    ),
    "education": IndustryPreset(
        "education",
        vocabulary={
            "fault.down": ("直播卡", "上不了课", "进不了课堂", "无法上课"),
            "inquiry.policy": ("课程", "课表", "排课", "试听", "学费"),
            "after_sales.refund": ("退课", "退学费"),
        },
        sla_policy="helpdesk",
    ),
}


def apply_industry(ruleset: RuleSet, industry: str) -> RuleSet:
    """The rule set with an industry's vocabulary and rules added (the version is kept)."""
    preset = INDUSTRIES[industry]
    rules = []
    for rule in ruleset.rules:
        extra = preset.vocabulary.get(rule.rule_id, ())
        if extra:
            keywords = tuple(dict.fromkeys((*rule.conditions.keywords, *extra)))
            rule = replace(rule, conditions=replace(rule.conditions, keywords=keywords))
        rules.append(rule)
    known = {r.rule_id for r in rules}
    extra_rules = tuple(r for r in preset.extra_rules if r.rule_id not in known)
    return replace(ruleset, rules=(*extra_rules, *rules))


def industry_policy(policy: SlaPolicy, industry: str) -> SlaPolicy:
    """The policy with the industry's calendars per priority."""
    preset = INDUSTRIES[industry]
    if not preset.calendar_per_priority:
        return policy
    targets = {
        p: replace(t, calendar=preset.calendar_per_priority.get(p, t.calendar))
        for p, t in policy.targets.items()
    }
    return replace(policy, targets=targets)


def industry_calendars(
    calendars: Mapping[str, BusinessCalendar], industry: str
) -> dict[str, BusinessCalendar]:
    return {**INDUSTRIES[industry].calendars, **calendars}
