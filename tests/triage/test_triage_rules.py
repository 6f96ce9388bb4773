"""The rule engine, SLA policies and industry presets of triage (pure: no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.triage.industries import (
    INDUSTRIES,
    apply_industry,
    industry_calendars,
    industry_policy,
)
from services.triage.knowledge import rank_articles
from services.triage.rules.codec import ruleset_from_body, ruleset_to_body
from services.triage.rules.defaults import DEFAULT_RULES, DEFAULT_RULESET
from services.triage.rules.engine import TicketText, classify, evaluate
from services.triage.rules.model import (
    SPEC_TEAM_KEYS,
    Actions,
    Conditions,
    InvalidRule,
    PriorityModifiers,
    Rule,
    RuleSet,
)
from services.triage.rules.validation import validate_rule, validate_ruleset
from services.triage.sla import (
    DEFAULT_CALENDARS,
    SLA_POLICIES,
    SLA_PRESETS,
    SlaTarget,
    compute_deadlines,
    deadlines,
    policy_from_dict,
    policy_to_dict,
    validate_policy,
)
from shared.calendar import BusinessCalendar

CST = ZoneInfo("Asia/Shanghai")


def _ticket(subject: str, description: str = "", **kw: object) -> TicketText:
    return TicketText(subject, description, **kw)  # type: ignore[arg-type]


def test_keywords_match_on_jieba_words_as_well_as_substrings() -> None:
    # "无法登录" is not a substring, but jieba's words 无法 + 登录 are present and close.
    result = classify("登录总是无法成功", "")
    assert (result.category, result.priority) == ("fault", "P0")
    assert "无法登录" in result.keywords
    # Far-apart words do not make a match.
    far = classify("无法确定", "这个问题和我上周的订单有关,也可能和登录有关")
    assert far.decided_by != "fault.login"


def test_words_added_to_jiebas_global_dictionary_do_not_change_matching() -> None:
    # Analytics adds its keywords to jieba's global dictionary; in a process hosting
    # both, "无法登录" must still split into 无法 + 登录 for triage's rules.
    import jieba

    jieba.add_word("无法登录")
    try:
        result = classify("登录总是无法成功", "")
    finally:
        jieba.del_word("无法登录")
    assert (result.category, result.priority) == ("fault", "P0")


def test_english_keywords_match_word_starts_only() -> None:
    assert classify("Charged twice?", "").team == "finance"
    assert classify("overcharged twice", "").team == "frontline"


def test_every_result_explains_itself() -> None:
    result = classify("还没发货,我要投诉", "")
    assert result.decided_by == "logistics.delay"
    assert result.fired_rules == ["logistics.delay", "complaint.service"]
    assert result.explanation[-1].startswith("rule logistics.delay decided")
    assert "delivery" in result.tags and "complaint" in result.tags


def test_the_first_rule_in_order_decides() -> None:
    first = Rule("a", Conditions(keywords=("退款",)), Actions("complaint", "P1", "complaints"))
    second = Rule("b", Conditions(keywords=("退款",)), Actions("after_sales", "P0", "finance"))
    result = evaluate(RuleSet((first, second)), _ticket("退款"))
    assert (result.decided_by, result.team) == ("a", "complaints")
    assert result.fired_rules == ["a", "b"]


def test_channel_customer_type_scene_and_metadata_conditions() -> None:
    rule = Rule(
        "vip.app.shipped",
        Conditions(
            channels=("app",),
            customer_types=("vip",),
            scenes=("in_sale",),
            metadata={"order_status": ("shipped",)},
        ),
        Actions("complaint", "P1", "logistics", "in_sale", tags=("vip_shipped",)),
    )
    rules = RuleSet((rule,))
    hit = _ticket(
        "hello",
        channel="app",
        customer_type="vip",
        metadata={"scene": "in_sale", "order_status": "SHIPPED"},
    )
    result = evaluate(rules, hit)
    assert result.decided_by == "vip.app.shipped"
    assert (
        "channel app" in result.explanation[0] and "order_status=SHIPPED" in result.explanation[0]
    )
    for miss in (
        replace(hit, channel="email"),
        replace(hit, customer_type="new"),
        replace(hit, metadata={"scene": "in_sale", "order_status": "paid"}),
        replace(hit, metadata={"order_status": "shipped"}),
    ):
        assert evaluate(rules, miss).decided_by is None


def test_patterns() -> None:
    result = classify("付款时一直不成功", "")
    assert result.decided_by == "fault.payment"
    assert any("pattern" in line for line in result.explanation)


def test_wide_impact_from_a_metadata_count() -> None:
    few = classify("物流延迟", "", metadata={"affected_users": 3})
    many = classify("物流延迟", "", metadata={"affected_users": "120"})
    assert (few.priority, many.priority) == ("P1", "P0")
    assert any("affected_users=120" in line for line in many.explanation)


def test_modifiers_are_configurable() -> None:
    rules = replace(
        DEFAULT_RULESET,
        modifiers=PriorityModifiers(
            vip_raises=False, wide_impact_keywords=("全网",), wide_impact_patterns=()
        ),
    )
    assert classify("物流延迟", "", "vip", ruleset=rules).priority == "P1"
    assert classify("物流延迟", "全网都这样", ruleset=rules).priority == "P0"
    assert classify("物流延迟", "所有用户", ruleset=rules).priority == "P1"
    assert classify("物流延迟", "整栋楼都没收到", ruleset=rules).priority == "P1"
    # Breadth said in a general form is its own list (rules version 6's patterns).
    patterned = replace(rules, modifiers=replace(rules.modifiers, wide_impact_patterns=("整栋",)))
    assert classify("物流延迟", "整栋楼都没收到", ruleset=patterned).priority == "P0"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule("x", Conditions(keywords=("a",)), Actions("weird", "P1", "finance")), "category"),
        (Rule("x", Conditions(keywords=("a",)), Actions("fault", "P9", "finance")), "priority"),
        (Rule("x", Conditions(keywords=("a",)), Actions("fault", "P1", "nobody")), "team"),
        (Rule("x", Conditions(), Actions("fault", "P1", "finance")), "condition"),
        (Rule("x", Conditions(keywords=(" ",)), Actions("fault", "P1", "finance")), "condition"),
        (Rule("x", Conditions(patterns=("([",)), Actions("fault", "P1", "finance")), "pattern"),
        (Rule("x", Conditions(channels=("fax",)), Actions("fault", "P1", "finance")), "channel"),
        (Rule("bad id!", Conditions(keywords=("a",)), Actions("fault", "P1", "finance")), "id"),
    ],
)
def test_broken_rules_are_refused(rule: Rule, message: str) -> None:
    with pytest.raises(InvalidRule, match=message):
        validate_rule(rule, SPEC_TEAM_KEYS)


def test_duplicate_rule_ids_are_refused() -> None:
    rule = DEFAULT_RULES[0]
    with pytest.raises(InvalidRule, match="duplicate"):
        validate_ruleset([rule, rule], SPEC_TEAM_KEYS)


def test_default_rules_are_valid_and_round_trip_through_json() -> None:
    validate_ruleset(DEFAULT_RULES, SPEC_TEAM_KEYS)
    body = ruleset_to_body(DEFAULT_RULESET)
    again = ruleset_from_body(body, version=7)
    assert again.rules == DEFAULT_RULES
    assert again.modifiers == DEFAULT_RULESET.modifiers
    assert again.version == 7


# --------------------------------------------------------------------------- SLA


@pytest.mark.parametrize(
    ("preset", "p0", "p1", "p2"),
    [
        ("cross-industry", ("30m", "4h"), ("2h", "1d"), ("1d", "3d")),
        ("sop-basic", ("2h", "8h"), ("4h", "1d"), ("1d", "3d")),
        ("helpdesk", ("1h", "8h"), ("4h", "1d"), ("1d", "3d")),
    ],
)
def test_sla_presets(
    preset: str, p0: tuple[str, str], p1: tuple[str, str], p2: tuple[str, str]
) -> None:
    policy = SLA_POLICIES[preset]
    for priority, (respond, resolve) in (("P0", p0), ("P1", p1), ("P2", p2)):
        target = policy.targets[priority]
        assert (target.respond, target.resolve) == (respond, resolve)
        assert target.calendar == ("24x7" if priority == "P0" else "default")
    validate_policy(policy, DEFAULT_CALENDARS)
    assert SLA_PRESETS[preset]["P2"] == (timedelta(hours=24), timedelta(hours=72))


def test_deadlines_friday_evening_on_the_business_calendar() -> None:
    friday = datetime(2026, 11, 20, 17, 50, tzinfo=CST)
    p1 = deadlines("P1", friday, "cross-industry")
    assert p1.respond_by == datetime(2026, 11, 23, 10, 50, tzinfo=CST)
    # One working day: the same time on the next working day.
    assert p1.resolve_by == datetime(2026, 11, 23, 17, 50, tzinfo=CST)
    # Outside working hours the day count starts at the next window (Monday 09:00).
    late = deadlines("P1", datetime(2026, 11, 20, 19, 0, tzinfo=CST), "cross-industry")
    assert late.resolve_by == datetime(2026, 11, 24, 9, 0, tzinfo=CST)
    p0 = deadlines("P0", friday, "cross-industry")
    assert (p0.respond_by, p0.resolve_by) == (
        datetime(2026, 11, 20, 18, 20, tzinfo=CST),
        datetime(2026, 11, 20, 21, 50, tzinfo=CST),
    )
    assert p0.calendar_spec.always_open


def test_deadlines_before_national_day() -> None:
    start = datetime(2026, 9, 30, 16, 0, tzinfo=CST)
    p1 = deadlines("P1", start, "helpdesk")
    # 2 h on 09-30, then 2 h on the first working day after the holiday (10-08).
    assert p1.respond_by == datetime(2026, 10, 8, 11, 0, tzinfo=CST)
    p2 = deadlines("P2", start, "helpdesk")
    assert p2.respond_by == datetime(2026, 10, 8, 16, 0, tzinfo=CST)
    # 3 working days: 10-08 (Thu), 10-09 (Fri), 10-10 (make-up Saturday).
    assert p2.resolve_by == datetime(2026, 10, 10, 16, 0, tzinfo=CST)


def test_invalid_policies_are_refused() -> None:
    good = SLA_POLICIES["cross-industry"]
    with pytest.raises(InvalidRule, match="duration"):
        validate_policy(
            replace(good, targets={**good.targets, "P1": SlaTarget("soon", "1d", "default")}),
            DEFAULT_CALENDARS,
        )
    with pytest.raises(InvalidRule, match="calendar"):
        validate_policy(
            replace(good, targets={**good.targets, "P1": SlaTarget("1h", "1d", "mars")}),
            DEFAULT_CALENDARS,
        )
    with pytest.raises(InvalidRule, match="exactly"):
        validate_policy(replace(good, targets={"P0": good.targets["P0"]}), {})


def test_policy_round_trips_through_json() -> None:
    policy = SLA_POLICIES["helpdesk"]
    assert policy_from_dict(policy_to_dict(policy)) == policy


# --------------------------------------------------------------------------- industries


def test_ecommerce_adds_promotion_and_delivery_vocabulary() -> None:
    ecommerce = apply_industry(DEFAULT_RULESET, "e-commerce")
    promo = classify("双11的满减券怎么用不了", "", ruleset=ecommerce)
    assert promo.decided_by == "ecommerce.promotion"
    generic = classify("运单号查不到", "")
    assert generic.team == "frontline"
    assert classify("运单号查不到", "", ruleset=ecommerce).team == "logistics"


def test_finance_and_healthcare_run_p0_around_the_clock() -> None:
    base = SLA_POLICIES["cross-industry"]
    for industry in ("finance", "healthcare"):
        assert industry_policy(base, industry).targets["P0"].calendar == "24x7"
    finance = apply_industry(DEFAULT_RULESET, "finance")
    fraud = classify("我的卡被盗刷了", "", ruleset=finance)
    assert (fraud.category, fraud.priority) == ("fault", "P0")


def test_ecommerce_calendar_is_every_day_until_22() -> None:
    calendars = industry_calendars(DEFAULT_CALENDARS, "e-commerce")
    policy = industry_policy(SLA_POLICIES["cross-industry"], "e-commerce")
    sunday = datetime(2026, 11, 22, 20, 30, tzinfo=CST)
    due = compute_deadlines(policy, calendars, "P1", sunday)
    assert due.calendar == "ecommerce"
    # 1.5 h on Sunday until 22:00, 0.5 h on Monday from 09:00.
    assert due.respond_by == datetime(2026, 11, 23, 9, 30, tzinfo=CST)
    assert isinstance(due.calendar_spec, BusinessCalendar)


def test_every_industry_routes_to_known_teams() -> None:
    for name in INDUSTRIES:
        rules = apply_industry(DEFAULT_RULESET, name)
        validate_ruleset(rules.rules, SPEC_TEAM_KEYS)
        assert INDUSTRIES[name].sla_policy in SLA_POLICIES


# --------------------------------------------------------------------------- knowledge base


def test_rank_articles_on_segmented_words() -> None:
    articles = [
        (1, "七天无理由退换货政策", "签收后7天内可申请退换货", ["退货", "七天无理由"]),
        (2, "退款到账时间", "退款预计3-5个工作日原路返回", ["退款"]),
        (3, "保修政策", "保修期内免费维修", ["保修"]),
    ]
    assert rank_articles("退货需要什么条件", articles)[0][0] == 1
    assert rank_articles("我的退款多久到账", articles)[0][0] == 2
    assert rank_articles("", articles) == []
    assert rank_articles("天气怎么样", articles) == []
