"""Triage's rules as plain functions and data: the rule engine, priority, SLA deadlines,
industry presets and knowledge-base ranking. No database, no broker.

A rule set is an ordered list of rules. A rule fires when every condition it
states holds: its text condition (any of its keywords or regex patterns in
subject + description; keywords match as substrings, as English word prefixes,
or as jieba words close together), channel, customer type, scene and ticket
metadata. The first rule in order that fires decides category, scene, priority,
team and skill (the default set lists the P0 rules first); the keywords and
tags of all fired rules are kept. Priority is then raised one level for VIP
customers and one level for wide impact. Every step is written to the
explanation that travels with the decision.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any, get_args

import jieba

from shared.calendar import (
    DEFAULT_CALENDAR,
    TWENTY_FOUR_SEVEN,
    BusinessCalendar,
    add_business_time,
    add_working_days,
    next_working_time,
)
from shared.events import Category, Channel, CustomerType, Priority, Scene

jieba.setLogLevel(logging.WARNING)
# Triage's own tokenizer: words another part of the process adds to jieba's global
# dictionary (jieba.add_word) must not change how rules and articles match.
_TOKENIZER = jieba.Tokenizer()


def load_dictionary() -> None:
    """Load jieba's dictionary now (about a second) rather than on the first ticket."""
    _TOKENIZER.initialize()


PRIORITY_ORDER: tuple[str, ...] = ("P0", "P1", "P2")
CATEGORIES: tuple[str, ...] = get_args(Category)
SCENES: tuple[str, ...] = get_args(Scene)
CHANNELS: tuple[str, ...] = get_args(Channel)
CUSTOMER_TYPES: tuple[str, ...] = get_args(CustomerType)
PRIORITIES: tuple[str, ...] = get_args(Priority)
# SPEC §3: the default team keys (dispatch owns the teams; triage routes to these).
TEAMS: tuple[str, ...] = (
    "frontline",
    "tech_support",
    "finance",
    "logistics",
    "complaints",
    "after_sales",
    "product",
)


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

    # The first keyword table's attribute names, still read by other code and tests.
    @property
    def keywords(self) -> tuple[str, ...]:
        return self.conditions.keywords

    @property
    def category(self) -> str:
        return self.actions.category

    @property
    def priority(self) -> str:
        return self.actions.priority

    @property
    def team(self) -> str:
        return self.actions.team

    @property
    def scene(self) -> str:
        return self.actions.scene


@dataclass(frozen=True)
class PriorityModifiers:
    vip_raises: bool = True
    wide_impact_keywords: tuple[str, ...] = (
        "批量",
        "所有用户",
        "大面积",
        "很多用户",
        "全部用户",
        "大量用户",
        "all users",
        "everyone",
    )
    # A metadata count at or above the threshold is wide impact too.
    wide_impact_metadata_key: str = "affected_users"
    wide_impact_threshold: int = 50


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    modifiers: PriorityModifiers = field(default_factory=PriorityModifiers)
    version: int = 0
    default: Actions = Actions("inquiry", "P2", "frontline", "pre_sale")


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


# Tried in this order; the first rule that fires decides. Core-use-blocked (P0)
# rules come first, then defects, then questions about policies and usage (so a
# question mentioning returns or delivery is an inquiry), then the P1 areas.
DEFAULT_RULES: tuple[Rule, ...] = (
    _rule(
        "fault.login",
        (
            "无法登录",
            "登录不了",
            "登不上",
            "不能登录",
            "登录失败",
            "登陆不上",
            "无法登陆",
            "登不进",
            "账户被锁",
            "账号被锁",
            "cannot log in",
            "can't log in",
            "unable to log in",
            "login fail",
            "cannot sign in",
            "can't sign in",
            "unable to sign in",
        ),
        "fault",
        "P0",
        "tech_support",
        "after_sale",
        "account",
        ("login",),
        "Core use blocked: the customer cannot log in.",
        patterns=(
            r"(登录|登陆).{0,12}(错误|失败|不了|不上|没有?反应|进不去|异常)",
            r"(进不去|登不进|打不开).{0,4}(账户|账号)",
            r"(账户|账号).{0,6}(进不去|被锁|锁定|冻结)",
        ),
    ),
    _rule(
        "fault.payment",
        (
            "支付失败",
            "付款失败",
            "无法支付",
            "扣款失败",
            "付不了款",
            "支付不了",
            "无法付款",
            "payment failed",
            "payment fails",
            "cannot pay",
            "can't pay",
            "card declined",
            "card was declined",
        ),
        "fault",
        "P0",
        "tech_support",
        "in_sale",
        "payment",
        ("payment",),
        "Core use blocked: payment fails.",
        patterns=(
            r"(付款|支付|付钱|结账).{0,8}(不成功|失败|不了|出现?问题|出错|异常)",
            r"扣(了)?(钱|款).{0,16}(未支付|没生成|没有生成|找不到|待支付)",
            r"扣款成功.{0,10}订单",
        ),
    ),
    _rule(
        "fault.down",
        (
            "系统崩溃",
            "系统崩了",
            "宕机",
            "无法启动",
            "不能开机",
            "开不了机",
            "启动不了",
            "打不开",
            "安全隐患",
            "冒烟",
            "漏电",
            "起火",
            "爆炸",
            "无法使用",
            "焦味",
            "system down",
            "won't start",
            "will not start",
            "does not start",
            "doesn't start",
            "won't turn on",
            "does not power on",
            "doesn't power on",
            "outage",
            "smoking",
            "caught fire",
            "safety hazard",
            "platform is down",
            "seems to be down",
        ),
        "fault",
        "P0",
        "tech_support",
        "after_sale",
        "device",
        ("down",),
        "Core use blocked: system or device down, or a safety risk.",
    ),
    _rule(
        "fault.defect",
        (
            "故障",
            "报错",
            "闪退",
            "bug",
            "不工作",
            "失灵",
            "卡顿",
            "异常",
            "出错",
            "死机",
            "不制冷",
            "不加热",
            "没声音",
            "验证码",
            "卡纸",
            "自动退出",
            "error",
            "not working",
            "glitch",
            "keeps freezing",
            "crash",
            "stopped working",
        ),
        "fault",
        "P1",
        "tech_support",
        "after_sale",
        "device",
        ("defect",),
        "Non-core defect.",
    ),
    _rule(
        "inquiry.question",
        (),
        "inquiry",
        "P2",
        "frontline",
        "pre_sale",
        "general",
        ("inquiry",),
        "Questions about policies, conditions and how to do things.",
        patterns=(
            r"(条件|政策|规则|流程|标准)(是什么|有哪些|是怎样)",
            r"什么(条件|政策|规则)",
            r"(多久|多长时间|几天)(能|可以|会)",
            r"什么时候(发|能发|可以发)",
            r"(怎么|怎样|如何)(修改|更改|使用|办理|开通|设置|绑定|改)",
            r"能(改成|改到|修改)",
            r"how (do|can) i (change|update|use|set|edit)",
            r"what is your .{0,30}policy",
        ),
    ),
    _rule(
        "complaint.attitude",
        (
            "服务态度",
            "态度差",
            "态度很差",
            "态度不好",
            "态度恶劣",
            "不耐烦",
            "敷衍",
            "挂我电话",
            "爱答不理",
            "说话太冲",
            "rude",
            "unprofessional",
            "hung up on me",
        ),
        "complaint",
        "P1",
        "complaints",
        "after_sale",
        "complaint",
        ("complaint",),
        "Complaint about a person's service.",
    ),
    _rule(
        "logistics.delay",
        (
            "物流延迟",
            "物流延误",
            "快递",
            "还没发货",
            "没收到货",
            "未收到货",
            "配送",
            "物流",
            "发货",
            "没到货",
            "迟迟不到",
            "没送到",
            "没派送",
            "还没派送",
            "未派送",
            "送货",
            "delivery late",
            "late delivery",
            "not delivered",
            "not arrived",
            "hasn't arrived",
            "has not arrived",
            "shipping",
            "parcel",
            "package",
            "tracking",
            "where is my order",
            "delivery is",
        ),
        "complaint",
        "P1",
        "logistics",
        "in_sale",
        "delivery",
        ("delivery",),
        "Delivery late or missing.",
    ),
    _rule(
        "after_sales.refund",
        (
            "退款",
            "退钱",
            "返还",
            "差价",
            "多扣",
            "重复扣",
            "扣了两次",
            "收了两次",
            "refund",
            "money back",
        ),
        "after_sales",
        "P1",
        "finance",
        "after_sale",
        "refund",
        ("refund",),
        "Refunds go to finance.",
        patterns=(r"钱.{0,6}(退回|退给|退还)",),
    ),
    _rule(
        "after_sales.return",
        (
            "退换货",
            "退货",
            "换货",
            "维修",
            "返修",
            "修理",
            "更换",
            "坏了",
            "换一",
            "换成",
            "换新",
            "碎了",
            "破损",
            "送修",
            "尺码不合适",
            "退回去",
            "return",
            "exchange",
            "repair",
            "replacement",
            "broken",
            "send them back",
            "send it back",
        ),
        "after_sales",
        "P1",
        "after_sales",
        "after_sale",
        "return_repair",
        ("after_sales",),
        "Return, exchange or repair.",
    ),
    _rule(
        "complaint.service",
        ("投诉", "不满意", "不满", "差评", "complaint", "complain", "terrible service"),
        "complaint",
        "P1",
        "complaints",
        "after_sale",
        "complaint",
        ("complaint",),
        "Complaint about the service.",
    ),
    _rule(
        "suggestion.feature",
        (
            "建议",
            "希望增加",
            "功能建议",
            "改进",
            "希望能",
            "能不能增加",
            "加个",
            "新增",
            "提个意见",
            "意见",
            "能不能支持",
            "希望以后",
            "suggest",
            "feature request",
            "would be nice",
            "please add",
        ),
        "suggestion",
        "P2",
        "product",
        "after_sale",
        "product_feedback",
        ("suggestion",),
        "Suggestions go to the product team.",
    ),
    _rule(
        "customization.request",
        (
            "定制",
            "定做",
            "订做",
            "专属方案",
            "企业采购",
            "批量采购",
            "刻字",
            "印上",
            "customi",
            "bespoke",
            "bulk order",
        ),
        "customization",
        "P2",
        "product",
        "pre_sale",
        "customization",
        ("customization",),
        "Custom requests go to the product team.",
    ),
    _rule(
        "inquiry.policy",
        (
            "咨询",
            "请问",
            "怎么",
            "如何",
            "政策",
            "价格",
            "多少钱",
            "是否",
            "能否",
            "规则",
            "how to",
            "how do",
            "how can",
            "what is",
            "policy",
            "price",
        ),
        "inquiry",
        "P2",
        "frontline",
        "pre_sale",
        "general",
        ("inquiry",),
        "Information, policy and usage questions.",
    ),
)
# The first keyword table's name.
KEYWORD_RULES = DEFAULT_RULES
WIDE_IMPACT_KEYWORDS = PriorityModifiers().wide_impact_keywords
DEFAULT_RULESET = RuleSet(DEFAULT_RULES)


# --------------------------------------------------------------------------- text


@dataclass(frozen=True)
class TicketText:
    subject: str
    description: str = ""
    channel: str | None = None
    customer_type: str = "new"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.description}".lower()


@lru_cache(maxsize=4096)
def segment(text: str) -> tuple[str, ...]:
    """jieba's words of a text, lower-cased, without blanks and punctuation."""
    return tuple(
        w.strip().lower()
        for w in _TOKENIZER.lcut(text)
        if w.strip() and (w.strip().isalnum() or len(w.strip()) > 1)
    )


_ASCII = re.compile(r"^[\x00-\x7f]+$")


def _keyword_matches(keyword: str, text: str, words: tuple[str, ...]) -> bool:
    key = keyword.lower().strip()
    if not key:
        return False
    if _ASCII.match(key):
        # English: whole words at the start (so "refund" matches "refunded", not "prefund").
        return re.search(r"(?<![a-z0-9])" + re.escape(key), text) is not None
    if key in text:
        return True
    # Chinese: jieba's words of the keyword, all present and close together in the text
    # ("无法登录" matches "登录一直无法成功").
    parts = segment(key)
    if len(parts) < 2:
        return False
    positions = [[i for i, w in enumerate(words) if w == part] for part in parts]
    if not all(positions):
        return False
    span = len(parts) + 3
    return any(
        all(any(abs(i - j) <= span for j in other) for other in positions) for i in positions[0]
    )


def _metadata_matches(expected: Mapping[str, tuple[str, ...]], metadata: Mapping[str, Any]) -> bool:
    for key, values in expected.items():
        actual = metadata.get(key)
        if actual is None or str(actual).lower() not in {v.lower() for v in values}:
            return False
    return True


@dataclass
class RuleMatch:
    rule: Rule
    keywords: list[str]
    reasons: list[str]


def match_rule(rule: Rule, ticket: TicketText) -> RuleMatch | None:
    """Whether ``rule`` fires on ``ticket``, and on what."""
    if not rule.enabled:
        return None
    cond = rule.conditions
    text = ticket.text
    words = segment(text)
    reasons: list[str] = []
    hits: list[str] = []
    if cond.keywords or cond.patterns:
        # The text condition: any keyword or any pattern.
        hits = [k for k in cond.keywords if _keyword_matches(k, text, words)]
        pattern = next((p for p in cond.patterns if re.search(p, text, re.IGNORECASE)), None)
        if not hits and pattern is None:
            return None
        reasons.append(f"keyword '{hits[0]}'" if hits else f"pattern /{pattern}/")
    if cond.channels:
        if ticket.channel not in cond.channels:
            return None
        reasons.append(f"channel {ticket.channel}")
    if cond.customer_types:
        if ticket.customer_type not in cond.customer_types:
            return None
        reasons.append(f"customer type {ticket.customer_type}")
    if cond.scenes:
        if ticket.metadata.get("scene") not in cond.scenes:
            return None
        reasons.append(f"scene {ticket.metadata.get('scene')}")
    if cond.metadata:
        if not _metadata_matches(cond.metadata, ticket.metadata):
            return None
        reasons.append("metadata " + ", ".join(f"{k}={ticket.metadata[k]}" for k in cond.metadata))
    return RuleMatch(rule, hits, reasons)


@dataclass
class Classification:
    category: str = "inquiry"
    scene: str = "pre_sale"
    priority: str = "P2"
    team: str = "frontline"
    skill: str | None = None
    tags: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    fired_rules: list[str] = field(default_factory=list)
    decided_by: str | None = None
    rule_version: int = 0


def raise_priority(priority: str) -> str:
    index = PRIORITY_ORDER.index(priority)
    return PRIORITY_ORDER[max(index - 1, 0)]


def evaluate(ruleset: RuleSet, ticket: TicketText) -> Classification:
    """Run the rule set on one ticket; the result explains itself."""
    matches = [m for m in (match_rule(rule, ticket) for rule in ruleset.rules) if m is not None]
    default = ruleset.default
    result = Classification(
        category=default.category,
        scene=default.scene,
        priority=default.priority,
        team=default.team,
        skill=default.skill,
        rule_version=ruleset.version,
    )
    if matches:
        best = matches[0]  # rules are tried in order: the first that fires decides
        act = best.rule.actions
        result.category, result.scene, result.priority = act.category, act.scene, act.priority
        result.team, result.skill = act.team, act.skill
        result.decided_by = best.rule.rule_id
        result.fired_rules = [m.rule.rule_id for m in matches]
        result.keywords = list(dict.fromkeys(k for m in matches for k in m.keywords))
        result.tags = list(dict.fromkeys(t for m in matches for t in m.rule.actions.tags))
        for m in matches:
            hit = m.keywords[0] if m.keywords else None
            what = f"'{hit}'" if hit and len(m.reasons) == 1 else " and ".join(m.reasons)
            result.explanation.append(f"rule {m.rule.rule_id} matched {what}")
        result.explanation.append(
            f"rule {best.rule.rule_id} decided: {act.category} {act.priority} → {act.team}"
        )
    else:
        result.explanation.append(
            f"no rule matched: default {default.category} {default.priority} → {default.team}"
        )
    mods = ruleset.modifiers
    text = ticket.text
    wide = next((k for k in mods.wide_impact_keywords if k.lower() in text), None)
    if wide is not None:
        _raise(result, f"wide impact '{wide}'")
    else:
        count = _as_int(ticket.metadata.get(mods.wide_impact_metadata_key))
        if count is not None and count >= mods.wide_impact_threshold:
            _raise(result, f"wide impact {mods.wide_impact_metadata_key}={count}")
    if mods.vip_raises and ticket.customer_type == "vip":
        _raise(result, "VIP customer")
    if ruleset.version:
        result.explanation.append(f"rule set version {ruleset.version}")
    return result


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _raise(result: Classification, reason: str) -> None:
    raised = raise_priority(result.priority)
    if raised != result.priority:
        result.explanation.append(f"{reason}: {result.priority} → {raised}")
        result.priority = raised


def classify(
    subject: str,
    description: str,
    customer_type: str = "new",
    *,
    channel: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    ruleset: RuleSet | None = None,
) -> Classification:
    """Classify a text with a rule set (the default rules when none is given)."""
    ticket = TicketText(subject, description, channel, customer_type, metadata or {})
    return evaluate(ruleset or DEFAULT_RULESET, ticket)


# --------------------------------------------------------------------------- validation


def validate_rule(rule: Rule) -> None:
    """Raise :class:`InvalidRule` for a rule the engine cannot use."""
    act, cond = rule.actions, rule.conditions
    if not rule.rule_id or not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", rule.rule_id):
        raise InvalidRule(f"rule id {rule.rule_id!r}: use 1-64 letters, digits, '.', '_' or '-'")
    if act.category not in CATEGORIES:
        raise InvalidRule(f"unknown category {act.category!r}; known: {', '.join(CATEGORIES)}")
    if act.priority not in PRIORITIES:
        raise InvalidRule(f"unknown priority {act.priority!r}; known: {', '.join(PRIORITIES)}")
    if act.team not in TEAMS:
        raise InvalidRule(f"unknown team {act.team!r}; known: {', '.join(TEAMS)}")
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


def validate_ruleset(rules: Iterable[Rule]) -> None:
    seen: set[str] = set()
    for rule in rules:
        validate_rule(rule)
        if rule.rule_id in seen:
            raise InvalidRule(f"duplicate rule id {rule.rule_id!r}")
        seen.add(rule.rule_id)


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


# --------------------------------------------------------------------------- SLA


_DURATION = re.compile(r"^\s*(\d+)\s*(m|h|d)\s*$")


@dataclass(frozen=True)
class SlaTarget:
    """Response and resolution windows of one priority, on one calendar.

    Durations are ``"30m"``/``"4h"`` (working time on the calendar) or ``"1d"``
    (working days: the same time of day, n working days later, counted from the
    first working instant).
    """

    respond: str
    resolve: str
    calendar: str


@dataclass(frozen=True)
class SlaPolicy:
    name: str
    targets: Mapping[str, SlaTarget]
    description: str = ""


def parse_duration(text: str) -> tuple[int, str]:
    found = _DURATION.match(text)
    if found is None:
        raise InvalidRule(f"duration {text!r}: use minutes '30m', hours '4h' or working days '3d'")
    return int(found.group(1)), found.group(2)


def _policy(
    name: str, p0: tuple[str, str], p1: tuple[str, str], p2: tuple[str, str], desc: str
) -> SlaPolicy:
    return SlaPolicy(
        name,
        {
            "P0": SlaTarget(*p0, calendar="24x7"),
            "P1": SlaTarget(*p1, calendar="default"),
            "P2": SlaTarget(*p2, calendar="default"),
        },
        desc,
    )


# SPEC §4. A day-long window ("24 h", "72 h") on the business calendar is counted in
# working days: 24 h → 1 working day, 72 h → 3 working days.
SLA_POLICIES: dict[str, SlaPolicy] = {
    "cross-industry": _policy(
        "cross-industry", ("30m", "4h"), ("2h", "1d"), ("1d", "3d"), "seed 002 (default)"
    ),
    "sop-basic": _policy("sop-basic", ("2h", "8h"), ("4h", "1d"), ("1d", "3d"), "seed 000"),
    "helpdesk": _policy("helpdesk", ("1h", "8h"), ("4h", "1d"), ("1d", "3d"), "seed 004"),
}


def _nominal(duration: str) -> timedelta:
    amount, unit = parse_duration(duration)
    return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount)}.get(
        unit, timedelta(hours=24 * amount)
    )


# The nominal windows per preset, as SPEC §4 writes them.
SLA_PRESETS: dict[str, dict[str, tuple[timedelta, timedelta]]] = {
    name: {p: (_nominal(t.respond), _nominal(t.resolve)) for p, t in policy.targets.items()}
    for name, policy in SLA_POLICIES.items()
}

DEFAULT_CALENDARS: dict[str, BusinessCalendar] = {
    "default": DEFAULT_CALENDAR,
    "24x7": TWENTY_FOUR_SEVEN,
}


def validate_policy(policy: SlaPolicy, calendars: Mapping[str, BusinessCalendar]) -> None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.\-]{0,31}", policy.name):
        raise InvalidRule(f"policy name {policy.name!r}: lower-case letters, digits, '-', '_'")
    if set(policy.targets) != set(PRIORITIES):
        raise InvalidRule(f"policy {policy.name}: give targets for exactly {', '.join(PRIORITIES)}")
    for priority, target in policy.targets.items():
        parse_duration(target.respond)
        parse_duration(target.resolve)
        if target.calendar not in calendars:
            raise InvalidRule(
                f"policy {policy.name} {priority}: unknown calendar {target.calendar!r}"
            )


def policy_to_dict(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "description": policy.description,
        "targets": {
            p: {"respond": t.respond, "resolve": t.resolve, "calendar": t.calendar}
            for p, t in policy.targets.items()
        },
    }


def policy_from_dict(data: Mapping[str, Any]) -> SlaPolicy:
    return SlaPolicy(
        name=str(data["name"]),
        description=str(data.get("description") or ""),
        targets={
            str(p): SlaTarget(str(t["respond"]), str(t["resolve"]), str(t["calendar"]))
            for p, t in (data.get("targets") or {}).items()
        },
    )


def due_after(calendar: BusinessCalendar, start: datetime, duration: str) -> datetime:
    amount, unit = parse_duration(duration)
    if unit == "d":
        if calendar.always_open:
            return start + timedelta(days=amount)
        return add_working_days(calendar, next_working_time(calendar, start), amount)
    delta = timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount)
    return add_business_time(calendar, start, delta)


@dataclass(frozen=True)
class Deadlines:
    policy: str
    calendar: str
    respond_by: datetime
    resolve_by: datetime
    calendar_spec: BusinessCalendar = TWENTY_FOUR_SEVEN


def compute_deadlines(
    policy: SlaPolicy,
    calendars: Mapping[str, BusinessCalendar],
    priority: str,
    received_at: datetime,
) -> Deadlines:
    target = policy.targets[priority]
    calendar = calendars[target.calendar]
    return Deadlines(
        policy=policy.name,
        calendar=target.calendar,
        respond_by=due_after(calendar, received_at, target.respond),
        resolve_by=due_after(calendar, received_at, target.resolve),
        calendar_spec=calendar,
    )


def deadlines(
    priority: str,
    received_at: datetime,
    preset: str,
    calendars: Mapping[str, BusinessCalendar] | None = None,
) -> Deadlines:
    """Deadlines of a preset policy (P0 on the 24×7 calendar, P1/P2 on business time)."""
    return compute_deadlines(
        SLA_POLICIES[preset], calendars or DEFAULT_CALENDARS, priority, received_at
    )


# --------------------------------------------------------------------------- industries


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


# --------------------------------------------------------------------------- knowledge base


# Words too common in questions to say what an article is about.
_STOPWORDS = frozenset(
    [
        "请问",
        "什么",
        "怎么",
        "怎么样",
        "可以",
        "需要",
        "一下",
        "多少",
        "我们",
        "你们",
        "是否",
        "如何",
        "这个",
        "那个",
        "没有",
        "还是",
        "已经",
        "时候",
        "现在",
        "能够",
        "为什么",
        "还有",
        "问题",
        "谢谢",
        "您好",
        "你好",
        "the",
        "a",
        "an",
        "is",
        "are",
        "do",
        "does",
        "how",
        "what",
        "my",
        "i",
        "to",
        "of",
        "for",
        "and",
        "or",
        "can",
    ]
)


def rank_articles(
    query: str, articles: Sequence[tuple[Any, str, str, Sequence[str]]], limit: int = 3
) -> list[tuple[Any, float]]:
    """Rank (id, title, answer, tags) by shared jieba words; title and tags weigh more,
    and an article must share a word with its title or tags to be suggested at all."""
    words = {
        w
        for w in segment(query.lower())
        if (len(w) > 1 or (w.isascii() and w.isalnum())) and w not in _STOPWORDS
    }
    if not words:
        return []
    scored: list[tuple[Any, float]] = []
    for ident, title, answer, tags in articles:
        title_words = set(segment(title.lower()))
        tag_words = {t.lower() for t in tags} | {w for t in tags for w in segment(t.lower())}
        answer_words = set(segment(answer.lower()))
        score = 0.0
        on_topic = False  # an answer-only match is too weak to suggest the article
        for word in words:
            if word in tag_words:
                score += 3
                on_topic = True
            elif any(len(t) > 1 and (t in word or word in t) for t in tag_words):
                score += 2  # 保修期 ~ 保修
                on_topic = True
            if word in title_words:
                score += 2
                on_topic = True
            elif word in title.lower():
                score += 1
                on_topic = True
            if word in answer_words:
                score += 1
        if on_topic:
            scored.append((ident, score / len(words)))
    scored.sort(key=lambda s: -s[1])
    return scored[:limit]
