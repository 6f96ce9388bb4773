"""Pure rules of every service (their ``domain.py``): no database, no broker."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.analytics import domain as analytics
from services.dispatch import domain as dispatch
from services.followup import domain as followup
from services.intake import domain as intake
from services.triage.classifier.model import shipped_model
from services.triage.rules.defaults import DEFAULT_RULES
from services.triage.rules.engine import classify, raise_priority
from services.triage.sla import deadlines

# --------------------------------------------------------------------------- triage


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
        assert any(line.startswith("model v0:") for line in result.explanation)


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


# --------------------------------------------------------------------------- intake


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_normalise_phone(raw: str, e164: str) -> None:
    assert intake.normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "not a phone", "", "+86 000 0000 0000"])
def test_normalise_phone_rejects_invalid_numbers(raw: str) -> None:
    with pytest.raises(intake.InvalidPhone):
        intake.normalise_phone(raw)


def test_invalid_phone_is_a_value_error() -> None:
    assert issubclass(intake.InvalidPhone, ValueError)


def test_mask_phone() -> None:
    assert intake.mask_phone("+8613812345678") == "138****5678"
    masked_uk = intake.mask_phone("+442079460958")
    assert masked_uk == "442****0958"
    assert "7946" not in masked_uk
    assert intake.mask_phone("+12345") == "****"


def test_mask_email() -> None:
    assert intake.mask_email("zhangsan@example.com") == "z***@example.com"
    assert "zhangsan" not in intake.mask_email("zhangsan@example.com")


def test_masked_contact_prefers_phone_then_email() -> None:
    assert intake.masked_contact("+8613812345678", "a@b.cn") == "138****5678"
    assert intake.masked_contact(None, "alice@b.cn") == "a***@b.cn"
    assert intake.masked_contact(None, None) is None


def test_ticket_number() -> None:
    day = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)
    assert intake.ticket_number(day, 1) == "T20261122-000001"
    assert intake.ticket_number(day, 123) == "T20261122-000123"


@pytest.mark.parametrize(
    ("is_vip", "previous", "expected"),
    [(False, 0, "new"), (False, 1, "returning"), (False, 7, "returning"), (True, 0, "vip")],
)
def test_customer_type(is_vip: bool, previous: int, expected: str) -> None:
    assert intake.customer_type(is_vip, previous) == expected


def test_status_only_advances() -> None:
    assert intake.advances("received", "triaged")
    assert intake.advances("triaged", "assigned")
    assert intake.advances("queued", "assigned")
    assert not intake.advances("assigned", "queued")
    assert not intake.advances("assigned", "triaged")
    assert not intake.advances("triaged", "triaged")
    assert not intake.advances("received", "customer_message")


# --------------------------------------------------------------------------- followup


def test_warning_time_uses_the_lead_for_long_windows() -> None:
    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    due = start + timedelta(hours=24)
    assert followup.warning_time(start, due, timedelta(hours=4)) == due - timedelta(hours=4)


def test_warning_time_is_half_the_window_for_short_windows() -> None:
    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    due = start + timedelta(minutes=30)
    assert followup.warning_time(start, due, timedelta(hours=4)) == start + timedelta(minutes=15)


def test_stop_state() -> None:
    due = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    assert followup.stop_state(due, due - timedelta(minutes=1)) == "met"
    assert followup.stop_state(due, due) == "met"
    assert followup.stop_state(due, due + timedelta(seconds=1)) == "breached"
    assert followup.stop_state(None, due) == "met"


# --------------------------------------------------------------------------- analytics


def test_advanced_state_never_moves_back() -> None:
    assert analytics.advanced_state("new", "assigned") == "assigned"
    assert analytics.advanced_state("assigned", "received") == "assigned"
    assert analytics.advanced_state("assigned", "triaged") == "assigned"
    assert analytics.advanced_state("received", "triaged") == "triaged"
    assert analytics.advanced_state("queued", "assigned") == "assigned"
    assert analytics.advanced_state("triaged", "bogus") == "triaged"


def test_cursor_round_trip() -> None:
    at = datetime(2026, 11, 22, 9, 15, 30, 123456, tzinfo=UTC)
    ident = uuid.uuid4()
    cursor = analytics.encode_cursor(at, ident)
    assert analytics.decode_cursor(cursor) == (at, ident)
    assert "|" not in cursor and "/" not in cursor and "+" not in cursor


@pytest.mark.parametrize(
    "garbage",
    [
        "!!!",
        "abc",
        base64.urlsafe_b64encode(b"not-a-date|" + str(uuid.uuid4()).encode()).decode(),
        base64.urlsafe_b64encode(b"2026-11-22T09:15:00+00:00|nope").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    ],
)
def test_garbage_cursor_is_a_value_error(garbage: str) -> None:
    with pytest.raises(ValueError):
        analytics.decode_cursor(garbage)


# --------------------------------------------------------------------------- dispatch


@pytest.mark.parametrize(("priority", "report"), [("P0", True), ("P1", True), ("P2", False)])
def test_must_report_to_supervisor(priority: str, report: bool) -> None:
    assert dispatch.must_report_to_supervisor(priority) is report


def test_default_teams_and_demo_agents() -> None:
    assert set(dispatch.DEFAULT_TEAM_KEYS) == {
        "frontline",
        "tech_support",
        "finance",
        "logistics",
        "complaints",
        "after_sales",
        "product",
    }
    assert all(team.supervisor for team in dispatch.DEFAULT_TEAMS)
    # Every team triage can route to exists in dispatch.
    assert {rule.actions.team for rule in DEFAULT_RULES} <= set(dispatch.DEFAULT_TEAM_KEYS)
    per_team = {
        key: [n for n, t in dispatch.DEMO_AGENTS if t == key] for key in dispatch.DEFAULT_TEAM_KEYS
    }
    assert all(len(names) == 2 for names in per_team.values())
