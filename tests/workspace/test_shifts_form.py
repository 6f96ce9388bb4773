"""The shifts page's leave form as dispatch's exception body, and dispatch's refusals
(stable codes) said in Chinese and English next to the field they are about."""

from __future__ import annotations

import pytest

from services.workspace.clients import ServiceProblem
from services.workspace.i18n import CATALOGUE, translator
from services.workspace.supervisor_shifts import leave_body, refusal_fields, weekdays

zh, en = translator("zh-CN"), translator("en")
AGENT = "0b7d3c4e-8a51-4d7e-9a3f-1c2b3d4e5f60"


def test_the_form_goes_out_as_leave_and_what_is_wrong_is_said_by_field() -> None:
    body, errors = leave_body(
        zh, {"agent_id": AGENT, "first_day": "2026-12-07", "last_day": "", "note": "年假"}
    )
    assert not errors
    assert body == {"kind": "leave", "agent_id": AGENT, "first_day": "2026-12-07", "note": "年假"}
    # The range is dispatch's to judge: a last day before the first goes out as typed.
    body, errors = leave_body(
        zh, {"agent_id": AGENT, "first_day": "2026-12-09", "last_day": "2026-12-07"}
    )
    assert not errors and body["last_day"] == "2026-12-07"
    _, errors = leave_body(
        zh, {"agent_id": "", "first_day": "", "last_day": "12/07", "note": "x" * 201}
    )
    assert errors == {
        "agent_id": "必填。",
        "first_day": "必填。",
        "last_day": "日期格式不正确。",
        "note": "太长了（最多 200 字）。",
    }
    _, errors = leave_body(zh, {"agent_id": "frontline-agent-1", "first_day": "2026-12-07"})
    assert errors == {"agent_id": "没有这个坐席。"}


@pytest.mark.parametrize(
    ("code", "status", "field", "chinese"),
    [
        ("end_before_start", 422, "last_day", "结束日期早于开始日期。"),
        ("leave_too_long", 422, "last_day", "请假最多 92 天；更长请调整班次表。"),
        ("unknown_agent", 422, "agent_id", "没有这个坐席。"),
        ("agent_not_in_team", 422, "agent_id", "该坐席不属于此团队。"),
        ("exception_overlap", 409, "form", "与该坐席已有的请假或调班时间重叠。"),
        ("not_their_shift", 422, "form", "被替班的坐席当天不上这个班次。"),
        ("not_team_supervisor", 403, "form", "您不是该团队的主管。"),
        ("shift_roster_not_found", 404, "form", "此团队不排班，无需登记请假。"),
    ],
)
def test_dispatch_refusals_are_said_in_both_languages(
    code: str, status: int, field: str, chinese: str
) -> None:
    problem = ServiceProblem(status, code, "dispatch's English", "dispatch")
    assert refusal_fields(zh, problem) == {field: chinese}
    english = refusal_fields(en, problem)[field]
    assert english == CATALOGUE[f"error.{code}"]["en"] and english != "dispatch's English"


def test_weekdays_read_as_people_say_them() -> None:
    assert weekdays(zh, [0, 1, 2, 3, 4, 5, 6]) == "每天"
    assert weekdays(zh, [6, 0, 2]) == "周一、周三、周日"
    assert weekdays(en, [1, 3, 5]) == "Tue, Thu, Sat"
