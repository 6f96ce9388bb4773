"""Who is on shift: dispatch owns the rosters and announces, per team, the agents on shift
now and those on leave today whenever that changes (a shift starts or ends, leave is added
or removed, an agent joins or leaves the team). Analytics keeps a copy for the dashboard;
a copy takes an announcement only when it is not older than what it holds."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.events.envelope import Envelope, Payload

DayKind = Literal["workday", "holiday", "weekend"]


class AgentOnShiftData(Payload):
    agent_id: uuid.UUID
    name: str = Field(description="The agent's display name", examples=["张伟"])
    shift: str = Field(examples=["早班"])
    until: datetime = Field(description="When the shift they work now ends")


class AgentOnLeaveData(Payload):
    agent_id: uuid.UUID
    name: str = Field(examples=["李娜"])
    first_day: date
    last_day: date


class OnShiftData(Payload):
    team: str = Field(min_length=1, max_length=32, examples=["frontline"])
    # False: the team works without shifts (every online agent takes work); the lists
    # are then empty.
    has_roster: bool
    timezone: str = Field(examples=["Asia/Shanghai"])
    day: date = Field(description="Today in the roster's time zone")
    day_kind: DayKind = Field(
        description="workday (a make-up workday 调休上班 too), holiday (a day off of China's"
        " official schedule) or weekend"
    )
    on_shift: list[AgentOnShiftData] = Field(default_factory=list)
    on_leave: list[AgentOnLeaveData] = Field(default_factory=list)
    # The moment this answer holds for; a copy keeps the newest.
    as_of: datetime


class TeamOnShiftChanged(Envelope):
    stream: ClassVar[str] = "dispatch"
    type: Literal["team.on_shift_changed"] = "team.on_shift_changed"
    data: OnShiftData

    def key(self) -> str:
        # With the team's own announcements, in order on one partition.
        return f"team:{self.data.team}"
