"""Triage's pure rules: the default rules, priority raises, SLA deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.triage.classifier.model import shipped_model
from services.triage.rules.engine import classify, raise_priority
from services.triage.sla import deadlines


@pytest.mark.parametrize(
    ("subject", "category", "priority", "team"),
    [
        ("账号无法登录", "fault", "P0", "tech_support"),
        ("支付失败", "fault", "P0", "tech_support"),
        ("产品无法启动", "fault", "P0", "tech_support"),
        ("物流延迟", "complaint", "P1", "logistics"),
        ("申请退换货", "after_sales", "P1", "after_sales"),
        ("产品需要维修", "after_sales", "P1", "after_sales"),
        ("申请退款", "after_sales", "P1", "finance"),
        ("客服服务态度差,我要投诉", "complaint", "P1", "complaints"),
        ("功能建议:希望增加夜间模式", "suggestion", "P2", "product"),
        ("想定制一批带公司标志的产品", "customization", "P2", "product"),
        ("请问保修政策是什么", "inquiry", "P2", "frontline"),
    ],
)
def test_classify_sop_examples(subject: str, category: str, priority: str, team: str) -> None:
    # Rules first, the shipped classifier where none decides; either way it says why.
    result = classify(subject, "", model=shipped_model())
    assert (result.category, result.priority, result.team) == (category, priority, team)
    if result.decided_by is not None:
        # The matched keyword or pattern is kept with the ticket and explained.
        assert any("matched" in line for line in result.explanation)
        assert any("decided" in line for line in result.explanation)
    else:
        assert any(line.startswith("model v6:") for line in result.explanation)


def test_classify_reads_the_description_too() -> None:
    result = classify("你好", "今天早上开始账号无法登录")
    assert (result.category, result.priority) == ("fault", "P0")
    assert "无法登录" in result.keywords


def test_classify_without_a_match_is_a_p2_inquiry_for_the_front_line() -> None:
    result = classify("你好", "随便聊聊")
    assert (result.category, result.priority, result.team) == ("inquiry", "P2", "frontline")
    assert result.keywords == []
    assert any("no rule matched" in line for line in result.explanation)


def test_the_most_urgent_matching_rule_decides() -> None:
    # 投诉 (P1 complaint) and 支付失败 (P0 fault): the P0 rule wins, both keywords kept.
    result = classify("投诉:支付失败", "")
    assert (result.category, result.priority, result.team) == ("fault", "P0", "tech_support")
    assert set(result.keywords) >= {"投诉", "支付失败"}


def test_vip_raises_priority_one_level_and_says_why() -> None:
    plain = classify("物流延迟", "", "new")
    vip = classify("物流延迟", "", "vip")
    assert plain.priority == "P1"
    assert vip.priority == "P0"
    assert vip.team == plain.team == "logistics"
    assert any("VIP" in line and "P1 → P0" in line for line in vip.explanation)
    assert not any("VIP" in line for line in plain.explanation)


def test_returning_customer_does_not_raise_priority() -> None:
    assert classify("请问保修政策是什么", "", "returning").priority == "P2"


def test_wide_impact_raises_priority_one_level_and_says_why() -> None:
    result = classify("功能建议", "所有用户都希望有夜间模式")
    assert result.priority == "P1"
    assert any("wide impact" in line and "所有用户" in line for line in result.explanation)


def test_vip_and_wide_impact_together_raise_two_levels() -> None:
    result = classify("请问保修政策是什么", "所有用户都想知道", "vip")
    assert result.priority == "P0"


def test_p0_stays_p0() -> None:
    result = classify("账号无法登录", "所有用户都登不上", "vip")
    assert result.priority == "P0"
    # Nothing was raised, so nothing claims it was.
    assert not any(
        "→ P" in line and ("VIP" in line or "wide" in line) for line in result.explanation
    )
    assert raise_priority("P0") == "P0"
    assert raise_priority("P2") == "P1"


def test_cross_industry_p0_deadlines() -> None:
    received = datetime(2026, 11, 22, 9, 15, tzinfo=UTC)
    due = deadlines("P0", received, "cross-industry")
    assert due.respond_by == received + timedelta(minutes=30)
    assert due.resolve_by == received + timedelta(hours=4)
    assert due.policy == "cross-industry"
    assert due.calendar == "24x7"


@pytest.mark.parametrize(
    ("priority", "respond", "resolve"),
    [
        # Sunday 17:15 in Shanghai: P1/P2 clocks run on the business calendar from
        # Monday 09:00; 2 h is working time, 24 h / 72 h are 1 / 3 working days.
        (
            "P1",
            datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
            datetime(2026, 11, 24, 1, 0, tzinfo=UTC),
        ),
        (
            "P2",
            datetime(2026, 11, 24, 1, 0, tzinfo=UTC),
            datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
        ),
    ],
)
def test_cross_industry_p1_p2_deadlines(
    priority: str, respond: datetime, resolve: datetime
) -> None:
    received = datetime(2026, 11, 22, 9, 15, tzinfo=UTC)
    due = deadlines(priority, received, "cross-industry")
    assert (due.respond_by, due.resolve_by) == (respond, resolve)
    assert due.calendar == "default"


def test_unknown_sla_preset_is_an_error() -> None:
    with pytest.raises(KeyError):
        deadlines("P0", datetime(2026, 1, 1, tzinfo=UTC), "no-such-preset")
