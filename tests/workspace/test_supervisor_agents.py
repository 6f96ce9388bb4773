"""The supervisor's agents page reads each agent's shift and leave today from dispatch's
on-shift view of their team (the page itself is drawn in the supervisor flow)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from services.workspace.i18n import translator
from services.workspace.live import LiveHub
from services.workspace.session import SignedInPerson
from services.workspace.settings import WorkspaceSettings
from services.workspace.supervisor_team import with_shifts

ZHANG, LI, WANG = "id-zhang", "id-li", "id-wang"


def _view(team: str, has_roster: bool, **more: Any) -> dict[str, Any]:
    return {"team_key": team, "has_roster": has_roster, "takes_work": [], **more}


def test_each_agent_has_their_shift_and_leave_today() -> None:
    agents: list[dict[str, Any]] = [
        {"id": ZHANG, "team_key": "tech_support"},
        {"id": LI, "team_key": "tech_support"},
        {"id": WANG, "team_key": "finance"},
    ]
    leave = {"kind": "leave", "agent_id": LI, "first_day": "2026-12-07", "last_day": "2026-12-09"}
    swap = {"kind": "swap", "agent_id": ZHANG, "first_day": "2026-12-07"}
    views = [
        _view(
            "tech_support",
            True,
            agents=[{"id": ZHANG, "shift": "早班", "until": "2026-12-07T16:00:00+08:00"}],
            takes_work=[ZHANG],
            exceptions_today=[leave, swap],
        ),
        _view("finance", False, agents=[{"id": WANG}], exceptions_today=[]),
    ]
    with_shifts(agents, views)
    zhang, li, wang = agents
    assert zhang["rostered"] and zhang["shift"]["shift"] == "早班" and zhang["shift"]["takes_work"]
    assert zhang["leave"] is None, "a swap is not leave"
    assert li["shift"] is None and li["leave"] == leave
    assert (wang["rostered"], wang["shift"], wang["leave"]) == (False, None, None)


def test_leave_is_worded_in_both_languages() -> None:
    zh, en = translator("zh-CN"), translator("en")
    assert zh("super.on_leave") == "今日请假" and en("super.on_leave") == "on leave today"
    assert zh("super.leave_until", day="2026-12-09") == "至 2026-12-09"
    assert en("super.leave_until", day="2026-12-09") == "until 2026-12-09"


async def test_who_is_on_shift_changing_redraws_the_team_supervisors_pages() -> None:
    hub = LiveHub(WorkspaceSettings(live_updates=False))
    lead = SignedInPerson(
        uuid.uuid4(),
        "lead",
        "主管",
        frozenset({"supervisor"}),
        frozenset(),
        frozenset({"tech_support"}),
        "t",
    )
    other = SignedInPerson(
        uuid.uuid4(),
        "fin",
        "主管",
        frozenset({"supervisor"}),
        frozenset(),
        frozenset({"finance"}),
        "t",
    )
    mine, theirs = hub.open(lead), hub.open(other)
    event = {"type": "team.on_shift_changed", "data": {"team": "tech_support", "on_shift": []}}
    assert hub.dispatch(event) == 1
    signal = await asyncio.wait_for(mine.queue.get(), 1)
    assert signal.kind == "work" and theirs.queue.empty()
