"""Triage's rules as plain functions and data: classification, priority, deadlines.

This is the first keyword table; the rule engine of the triage issue replaces it
with ordered, versioned, editable rules and business-calendar deadlines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

PRIORITY_ORDER = ("P0", "P1", "P2")


@dataclass(frozen=True)
class KeywordRule:
    rule_id: str
    keywords: tuple[str, ...]
    category: str
    priority: str
    team: str
    scene: str


# Order matters only between rules of equal priority: the first listed wins.
KEYWORD_RULES: tuple[KeywordRule, ...] = (
    KeywordRule(
        "fault.login",
        ("无法登录", "登录不了", "登不上", "不能登录", "cannot log in", "can't log in"),
        "fault",
        "P0",
        "tech_support",
        "after_sale",
    ),
    KeywordRule(
        "fault.payment",
        ("支付失败", "付款失败", "无法支付", "扣款失败", "payment failed"),
        "fault",
        "P0",
        "tech_support",
        "in_sale",
    ),
    KeywordRule(
        "fault.down",
        ("系统崩溃", "宕机", "无法启动", "不能开机", "安全隐患", "冒烟", "漏电", "system down"),
        "fault",
        "P0",
        "tech_support",
        "after_sale",
    ),
    KeywordRule(
        "fault.defect",
        ("故障", "报错", "闪退", "bug", "不工作", "失灵"),
        "fault",
        "P1",
        "tech_support",
        "after_sale",
    ),
    KeywordRule(
        "logistics.delay",
        ("物流延迟", "物流延误", "快递", "还没发货", "没收到货", "配送", "delivery late"),
        "complaint",
        "P1",
        "logistics",
        "in_sale",
    ),
    KeywordRule(
        "after_sales.refund", ("退款", "refund"), "after_sales", "P1", "finance", "after_sale"
    ),
    KeywordRule(
        "after_sales.return",
        ("退换货", "退货", "换货", "维修", "返修", "return", "repair"),
        "after_sales",
        "P1",
        "after_sales",
        "after_sale",
    ),
    KeywordRule(
        "complaint.service",
        ("投诉", "服务态度", "态度差", "不满意", "差评", "complaint"),
        "complaint",
        "P1",
        "complaints",
        "after_sale",
    ),
    KeywordRule(
        "suggestion.feature",
        ("建议", "希望增加", "功能建议", "改进", "suggest"),
        "suggestion",
        "P2",
        "product",
        "after_sale",
    ),
    KeywordRule(
        "customization.request",
        ("定制", "定做", "专属方案", "customi"),
        "customization",
        "P2",
        "product",
        "pre_sale",
    ),
    KeywordRule(
        "inquiry.policy",
        ("咨询", "请问", "怎么", "如何", "政策", "价格", "how to"),
        "inquiry",
        "P2",
        "frontline",
        "pre_sale",
    ),
)

WIDE_IMPACT_KEYWORDS = ("批量", "所有用户", "大面积", "很多用户", "全部用户", "all users")

# SPEC §4: response / resolution windows per priority.
SLA_PRESETS: dict[str, dict[str, tuple[timedelta, timedelta]]] = {
    "cross-industry": {
        "P0": (timedelta(minutes=30), timedelta(hours=4)),
        "P1": (timedelta(hours=2), timedelta(hours=24)),
        "P2": (timedelta(hours=24), timedelta(hours=72)),
    },
    "sop-basic": {
        "P0": (timedelta(hours=2), timedelta(hours=8)),
        "P1": (timedelta(hours=4), timedelta(hours=24)),
        "P2": (timedelta(hours=24), timedelta(hours=72)),
    },
    "helpdesk": {
        "P0": (timedelta(hours=1), timedelta(hours=8)),
        "P1": (timedelta(hours=4), timedelta(hours=24)),
        "P2": (timedelta(hours=24), timedelta(hours=72)),
    },
}


@dataclass
class Classification:
    category: str = "inquiry"
    scene: str = "pre_sale"
    priority: str = "P2"
    team: str = "frontline"
    keywords: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Deadlines:
    policy: str
    calendar: str
    respond_by: datetime
    resolve_by: datetime


def raise_priority(priority: str) -> str:
    index = PRIORITY_ORDER.index(priority)
    return PRIORITY_ORDER[max(index - 1, 0)]


def classify(subject: str, description: str, customer_type: str = "new") -> Classification:
    text = f"{subject}\n{description}".lower()
    matched: list[tuple[KeywordRule, str]] = []
    for rule in KEYWORD_RULES:
        hit = next((k for k in rule.keywords if k.lower() in text), None)
        if hit is not None:
            matched.append((rule, hit))
    result = Classification()
    if matched:
        # The most urgent matching rule decides; keywords of all matches are kept.
        best, _ = min(matched, key=lambda m: PRIORITY_ORDER.index(m[0].priority))
        result.category, result.scene = best.category, best.scene
        result.priority, result.team = best.priority, best.team
        result.keywords = list(dict.fromkeys(hit for _, hit in matched))
        result.explanation = [f"rule {rule.rule_id} matched '{hit}'" for rule, hit in matched]
        result.explanation.append(
            f"rule {best.rule_id} decided: {best.category} {best.priority} → {best.team}"
        )
    else:
        result.explanation.append("no rule matched: default inquiry P2 → frontline")
    wide = next((k for k in WIDE_IMPACT_KEYWORDS if k.lower() in text), None)
    if wide is not None:
        _raise(result, f"wide impact '{wide}'")
    if customer_type == "vip":
        _raise(result, "VIP customer")
    return result


def _raise(result: Classification, reason: str) -> None:
    raised = raise_priority(result.priority)
    if raised != result.priority:
        result.explanation.append(f"{reason}: {result.priority} → {raised}")
        result.priority = raised


def deadlines(priority: str, received_at: datetime, preset: str) -> Deadlines:
    """Deadlines on the 24×7 calendar; business calendars come with the triage issue."""
    respond, resolve = SLA_PRESETS[preset][priority]
    return Deadlines(
        policy=preset,
        calendar="24x7",
        respond_by=received_at + respond,
        resolve_by=received_at + resolve,
    )
