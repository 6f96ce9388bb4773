"""China's official holiday schedule of a year, as triage holds it (the admins load it
there: ``PUT /v1/holiday-schedules/{year}``). Dispatch keeps a copy for its shift
rosters; the copy takes an announcement only when it is not older than what it holds."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.events.envelope import Envelope, Payload


class HolidayScheduleData(Payload):
    year: int = Field(ge=2000, le=2100, examples=[2026])
    holidays: list[date] = Field(description="Days off (放假), weekends inside a break too")
    workdays: list[date] = Field(description="Make-up workdays (调休上班)")
    actor: str = Field(examples=["admin:ad"])
    updated_at: datetime


class HolidayScheduleLoaded(Envelope):
    stream: ClassVar[str] = "triage"
    type: Literal["holiday_schedule.loaded"] = "holiday_schedule.loaded"
    data: HolidayScheduleData

    def key(self) -> str:
        # One year's schedules stay in order on one partition.
        return f"holiday_schedule:{self.data.year}"
