"""The callbacks page's form as follow-up's completion body: call times typed in the
display zone's wall time go out in UTC, and what is wrong is said by field."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.workspace.callbacks import completion_body
from services.workspace.i18n import translator

SHANGHAI = ZoneInfo("Asia/Shanghai")
t = translator("zh-CN")


def test_local_call_times_go_out_in_utc_with_the_score() -> None:
    body, errors = completion_body(
        SHANGHAI,
        t,
        {
            "outcome": "客户确认已解决",
            "score": "4",
            "call_started_at": "2026-12-03T10:00",
            "call_ended_at": "2026-12-03T10:06",
            "verification": "",
        },
    )
    assert not errors
    assert body == {
        "outcome": "客户确认已解决",
        "score": 4,
        "call_started_at": "2026-12-03T02:00:00+00:00",
        "call_ended_at": "2026-12-03T02:06:00+00:00",
        "verification": None,
    }


def test_what_is_wrong_is_said_by_field() -> None:
    _, errors = completion_body(
        SHANGHAI,
        t,
        {
            "outcome": "",
            "score": "9",
            "call_started_at": "2026-12-03T10:06",
            "call_ended_at": "2026-12-03T10:00",
            "verification": "x" * 2001,
        },
    )
    assert errors == {
        "outcome": "必填。",
        "score": "请选择 1–5 分。",
        "call_ended_at": "通话结束时间早于开始时间。",
        "verification": "太长了（最多 2000 字）。",
    }
    _, errors = completion_body(SHANGHAI, t, {"outcome": "好", "call_started_at": "yesterday"})
    assert errors == {"call_started_at": "时间格式不正确。"}
