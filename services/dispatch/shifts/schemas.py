"""HTTP bodies of shifts."""

from __future__ import annotations

import uuid
from datetime import date as date_
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.dispatch.shifts.domain import parse_clock

Handover = Literal["keep", "queue", "reassign"]
CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"


class ShiftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40, examples=["早班"])
    start: str = Field(pattern=CLOCK, description="Local start, HH:MM", examples=["08:00"])
    end: str = Field(
        pattern=CLOCK,
        description="Local end, HH:MM (24:00: midnight); not after start: the next day",
        examples=["16:00"],
    )
    days: list[int] = Field(
        default=[0, 1, 2, 3, 4, 5, 6],
        description="Weekdays the shift starts on (Monday 0 … Sunday 6)",
        examples=[[0, 1, 2, 3, 4]],
    )
    agent_ids: list[uuid.UUID] = Field(description="Agents of the team who work this shift")
    holidays: Literal["work", "off"] | None = Field(
        default=None,
        description=(
            "On the calendar's days off (法定节假日): work (runs, 24×7) or off (does not run;"
            " on a make-up workday 调休上班 it runs as on a weekday). Unset: work for a"
            " pattern that runs every day, off otherwise"
        ),
        examples=["off"],
    )

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(not 0 <= d <= 6 for d in value):
            raise ValueError("days are weekdays 0 (Monday) … 6 (Sunday), at least one")
        return sorted(set(value))

    @model_validator(mode="after")
    def _clock(self) -> ShiftBody:
        parse_clock(self.start), parse_clock(self.end)
        return self


ROSTER_EXAMPLE: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "handover": "queue",
    "shifts": [
        {
            "name": "早班",
            "start": "08:00",
            "end": "16:00",
            "holidays": "work",
            "agent_ids": ["0b7d3c4e-8a51-4d7e-9a3f-1c2b3d4e5f60"],
        },
        {
            "name": "中班",
            "start": "16:00",
            "end": "24:00",
            "agent_ids": ["5a1f2e3d-4c5b-4a69-8f7e-6d5c4b3a2910"],
        },
        {
            "name": "夜班",
            "start": "00:00",
            "end": "08:00",
            "days": [0, 1, 2, 3, 4],
            "holidays": "off",
            "agent_ids": ["9c8b7a69-5847-4362-a1b0-c9d8e7f6a5b4"],
        },
    ],
    "calendar": "china",
    "expected_version": 2,
}


class RosterBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ROSTER_EXAMPLE]})

    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone of the shift times")
    handover: Handover = Field(
        default="queue",
        description=(
            "When an agent goes off shift: keep (their open work waits for their next shift),"
            " queue (work not accepted yet goes back to the team's queue, accepted work stays),"
            " reassign (assigned and accepted work goes to agents on shift, else the queue)"
        ),
    )
    shifts: list[ShiftBody] = Field(max_length=100)
    calendar: Literal["china", "none"] = Field(
        default="china",
        description=(
            "china: China's official holiday schedule applies (days off, make-up workdays;"
            " dispatch's copy of what triage's admins load); none: weekdays only"
        ),
    )
    expected_version: int | None = Field(
        default=None,
        ge=0,
        description="The version this change replaces (409 roster_version_conflict if not)",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class ShiftView(BaseModel):
    name: str = Field(examples=["早班"])
    start: str = Field(examples=["08:00"])
    end: str = Field(examples=["16:00"])
    days: list[int] = Field(examples=[[0, 1, 2, 3, 4, 5, 6]])
    holidays: str = Field(default="off", examples=["work"])
    agent_ids: list[uuid.UUID]


class RosterView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    team_key: str = Field(examples=["frontline"])
    timezone: str = Field(examples=["Asia/Shanghai"])
    handover: Handover = Field(examples=["queue"])
    calendar: str = Field(examples=["china"])
    shifts: list[ShiftView]
    version: int = Field(examples=[3])
    updated_by: str = Field(examples=["person:0b7d3c4e-8a51-4d7e-9a3f-1c2b3d4e5f60"])
    updated_by_name: str = Field(examples=["一线主管"])
    updated_at: datetime


class RosterChangeView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int = Field(examples=[3])
    roster: dict[str, Any] | None = Field(
        description="The roster as set (timezone, handover, shifts); null: removed"
    )
    actor: str = Field(examples=["person:0b7d3c4e-8a51-4d7e-9a3f-1c2b3d4e5f60"])
    actor_name: str = Field(examples=["一线主管"])
    at: datetime


class OnShiftAgent(BaseModel):
    id: uuid.UUID
    name: str = Field(examples=["frontline-agent-1"])
    display_name: str = Field(examples=["一线客服1号"])
    status: str = Field(examples=["online"])
    active_count: int = Field(examples=[2])
    capacity: int = Field(examples=[5])
    shift: str | None = Field(
        description="The shift worked now; null: no roster", examples=["早班"]
    )
    until: datetime | None = Field(description="When that shift ends (the team's time zone)")


class NextShift(BaseModel):
    name: str = Field(examples=["中班"])
    starts_at: datetime
    agent_ids: list[uuid.UUID]


class DayView(BaseModel):
    date: date_ = Field(examples=["2026-10-01"])
    kind: Literal["holiday", "makeup_workday", "normal"] = Field(examples=["holiday"])
    calendar_known: bool = Field(
        description="false: no official schedule for the year yet (statutory days only,"
        " no make-up workdays) until an admin loads it on triage"
    )


class OnShiftView(BaseModel):
    team_key: str = Field(examples=["frontline"])
    at: datetime = Field(description="The moment asked about, in the team's time zone")
    timezone: str = Field(examples=["Asia/Shanghai"])
    has_roster: bool = Field(
        description="false: the team has no shifts and every online agent takes work"
    )
    handover: Handover | None = Field(default=None, examples=["queue"])
    day: DayView | None = Field(default=None, description="The local day by the calendar")
    shifts_now: list[str] = Field(examples=[["早班"]])
    agents: list[OnShiftAgent] = Field(description="Agents on shift (any status)")
    takes_work: list[uuid.UUID] = Field(description="Of those, the online ones: dispatch's pool")
    queued: int = Field(description="Tickets waiting in the team's queue", examples=[0])
    next_shift: NextShift | None = None
    exceptions_today: list[ExceptionView] = Field(
        default_factory=list,
        description="Leave, swaps and extra shifts on the local day (who is on leave)",
    )


# --------------------------------------------------------------------------- exceptions

EXCEPTION_EXAMPLES: list[Any] = [
    {
        "kind": "leave",
        "agent_id": "0b7d3c4e-8a51-4d7e-9a3f-1c2b3d4e5f60",
        "first_day": "2026-12-07",
        "last_day": "2026-12-09",
        "note": "年假",
    },
    {
        "kind": "swap",
        "agent_id": "5a1f2e3d-4c5b-4a69-8f7e-6d5c4b3a2910",
        "first_day": "2026-12-08",
        "shift": "早班",
        "replaces_agent_id": "0b7d3c4e-8a51-4d7e-9a3f-1c2b3d4e5f60",
    },
    {
        "kind": "extra",
        "agent_id": "9c8b7a69-5847-4362-a1b0-c9d8e7f6a5b4",
        "first_day": "2026-10-01",
        "start": "09:00",
        "end": "13:00",
        "shift": "国庆值班",
    },
]


class ExceptionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": EXCEPTION_EXAMPLES})

    kind: Literal["leave", "swap", "extra"] = Field(
        description="leave: not on shift those days; swap: agent_id works replaces_agent_id's"
        " shift on first_day; extra: an extra shift start–end on first_day"
    )
    agent_id: uuid.UUID
    first_day: date_ = Field(description="A day in the roster's time zone", examples=["2026-12-07"])
    last_day: date_ | None = Field(
        default=None, description="leave: the last day off (default first_day)"
    )
    shift: str | None = Field(
        default=None,
        max_length=40,
        description="swap: the roster's shift taken over; extra: its label (default 加班)",
    )
    replaces_agent_id: uuid.UUID | None = Field(default=None, description="swap: whose shift")
    start: str | None = Field(default=None, pattern=CLOCK, examples=["09:00"])
    end: str | None = Field(default=None, pattern=CLOCK, examples=["13:00"])
    note: str = Field(default="", max_length=200, examples=["年假"])


class ExceptionView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    team_key: str = Field(examples=["frontline"])
    kind: str = Field(examples=["leave"])
    agent_id: uuid.UUID
    agent_name: str | None = Field(default=None, examples=["张伟"])
    replaces_agent_id: uuid.UUID | None = None
    shift: str | None = Field(default=None, examples=["早班"])
    first_day: date_ = Field(examples=["2026-12-07"])
    last_day: date_ = Field(examples=["2026-12-09"])
    start: str | None = None
    end: str | None = None
    note: str = Field(examples=["年假"])
    created_by: str = Field(examples=["person:0b7d3c4e-8a51-4d7e-9a3f-1c2b3d4e5f60"])
    created_by_name: str = Field(examples=["一线主管"])
    created_at: datetime


class ExceptionChangeView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int = Field(examples=[4])
    action: str = Field(examples=["added"])
    exception: dict[str, Any]
    actor: str
    actor_name: str = Field(examples=["一线主管"])
    at: datetime


OnShiftView.model_rebuild()
