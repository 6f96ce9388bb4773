"""How the supervisor and admin screens read what people type (lists, skill levels, dates,
working hours), word inbox items in the reader's language, and that every word they choose
by a value is in the catalogue."""

from __future__ import annotations

import re
from typing import Any

import pytest

import services.workspace.app  # noqa: F401  (imports every page module, as it runs)
from services.workspace import console_words
from services.workspace.console import (
    parse_dates,
    parse_levels,
    parse_windows,
    show_levels,
    show_windows,
    split_list,
    word_inbox_item,
)
from services.workspace.i18n import CATALOGUE, translator
from services.workspace.pages import TEMPLATES
from services.workspace.supervisor_inbox import NOTE_LIMIT, note_errors


def test_lists_split_on_the_separators_people_type() -> None:
    assert split_list("fault, account，refund、vip；x\ny") == [
        "fault",
        "account",
        "refund",
        "vip",
        "x",
        "y",
    ]
    assert split_list("  ,, ") == [] and split_list(None) == []


def test_skill_levels_read_back_as_they_are_shown() -> None:
    assert parse_levels("fault:3, account：2, login") == {"fault": 3, "account": 2, "login": 1}
    assert parse_levels(show_levels({"fault": 3, "account": 2})) == {"fault": 3, "account": 2}
    with pytest.raises(ValueError):
        parse_levels("fault:high")


def test_dates_and_ranges_of_a_holiday_schedule() -> None:
    assert parse_dates("2027-01-01\n2027-02-06~2027-02-08") == [
        "2027-01-01",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
    ]
    assert parse_dates("2027-10-01 至 2027-10-02") == ["2027-10-01", "2027-10-02"]
    for bad in ("2027-02-30", "2027-02-08~2027-02-06", "明天"):
        with pytest.raises(ValueError):
            parse_dates(bad)


def test_working_hours_read_back_as_they_are_shown() -> None:
    windows = parse_windows("9:00-12:00, 13:30~18:00")
    assert windows == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert parse_windows(show_windows(windows)) == windows
    with pytest.raises(ValueError):
        parse_windows("nine to five")


def test_every_word_chosen_by_a_value_has_its_catalogue_entries() -> None:
    """f.word("prefix.", value) shows the value itself when a word is missing; each prefix
    the screens use must at least have words in the catalogue (both languages)."""
    # Page modules add their words when imported: the app module imports them all.
    assert console_words.WORDS
    prefixes: set[str] = set()
    for folder in ("supervisor", "admin", "console"):
        for template in (TEMPLATES / folder).rglob("*.html"):
            prefixes.update(
                re.findall(r"""f\.word\(\s*["']([a-z_.]+\.)["']""", template.read_text())
            )
    assert prefixes, "the screens choose words by value"
    for prefix in prefixes:
        keys = [key for key in CATALOGUE if key.startswith(prefix)]
        assert keys, prefix
    for key in console_words.WORDS:
        assert {"zh-CN", "en"} <= set(CATALOGUE[key]), key


def _item(kind: str, **facts: Any) -> dict[str, Any]:
    """An inbox item as dispatch's GET /v1/supervisor/inbox answers it."""
    return {
        "kind": kind,
        "ticket_no": "T20261202-000001",
        "priority": "P0",
        "summary": f"P0 ticket T20261202-000001 assigned to 王工 (triaged): {kind}",
        "agent_name": "王工",
        "subject": "账号无法登录",
        "text": None,
        "data": {},
        **facts,
    }


def _when(value: Any) -> str:
    return f"<{value}>"


def test_inbox_items_are_worded_in_the_readers_language_with_the_display_name() -> None:
    zh, en = translator("zh-CN"), translator("en")
    report = _item("report", data={"cause": "triaged"})
    assert word_inbox_item(report, zh, _when) == "P0 工单已分配给 王工（分诊后分配）"
    assert word_inbox_item(report, en, _when) == "P0 ticket assigned to 王工 (after triage)"
    escalation = _item("escalation", text="客户要求主管回电")
    assert word_inbox_item(escalation, zh, _when) == "王工 升级了工单：客户要求主管回电"
    assert word_inbox_item(escalation, en, _when) == "王工 escalated: 客户要求主管回电"
    breach = _item("sla_breached", data={"clock": "response", "due_at": "2026-12-02T02:00Z"})
    assert word_inbox_item(breach, zh, _when) == (
        "首次响应时限已于 <2026-12-02T02:00Z> 超时（处理人：王工）"
    )
    assert word_inbox_item({**breach, "agent_name": None}, en, _when) == (
        "Response deadline breached at <2026-12-02T02:00Z>"
    )
    survey = _item("unsatisfied_survey", text="包裹还是没到", data={"score": 1, "resolved": False})
    assert word_inbox_item(survey, zh, _when) == "客户对 王工 的处理评分 1/5，认为问题未解决"
    asked = _item(
        "extension_request",
        text="等待厂家检测报告",
        data={"extra_minutes": 120, "due_at": "2026-12-03T02:00Z"},
    )
    assert word_inbox_item(asked, en, _when) == (
        "王工 asks for 120 more minutes to resolve (due <2026-12-03T02:00Z>). Why: 等待厂家检测报告"
    )
    reopened = _item("reopened", text="还是登录不了", data={"score": 2})
    assert word_inbox_item(reopened, zh, _when) == (
        "工单被重新打开：还是登录不了（满意度 2/5）（原处理人：王工）"
    )
    # No login-like agent name anywhere; a cause dispatch adds later shows as it is.
    assert word_inbox_item(_item("report", data={"cause": "new_rule"}), zh, _when) == (
        "P0 工单已分配给 王工（new_rule）"
    )
    # An item written before dispatch kept the facts: dispatch's summary.
    old = {"kind": "report", "summary": "P0 ticket T1 assigned to agent-1 (triaged): x"}
    assert word_inbox_item(old, zh, _when) == old["summary"]


def test_a_decision_note_is_required_only_where_the_action_needs_one() -> None:
    t = translator("en")
    # Rejecting compensation needs a reason; approving it does not, but a reason is bounded.
    assert note_errors(t, {}, "c1", "reason", needed=True) == {"c1.reason": t("error.required")}
    assert note_errors(t, {"reason": ""}, "c1", "reason", needed=False) == {}
    too_long = {"note": "x" * (NOTE_LIMIT + 1)}
    assert note_errors(t, too_long, "e1", needed=False) == {
        "e1.note": t("error.too_long", limit=NOTE_LIMIT)
    }
    assert note_errors(t, too_long, "e1", needed=True) == {
        "e1.note": t("error.too_long", limit=NOTE_LIMIT)
    }
    assert note_errors(t, {"note": "done by phone"}, "i1", needed=True) == {}
