"""Routes for China's official holiday schedule: load a year, see when it runs out."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import holiday_schedules
from services.triage.api import ADMIN, _calendars_view, _who
from services.triage.schemas import CalendarsView
from shared.auth import Principal
from shared.errors import ApiError, error_responses
from shared.events import utcnow
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork

router = APIRouter(prefix="/v1", tags=["calendars"])


class OfficialScheduleBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "holidays": ["2027-01-01", "2027-02-06", "2027-02-07", "2027-02-08"],
                    "workdays": ["2027-02-14"],
                }
            ]
        },
    )

    holidays: list[date] = Field(max_length=60, description="Days off (放假), weekends included")
    workdays: list[date] = Field(
        default_factory=list, max_length=30, description="Make-up workdays (调休上班)"
    )


class Notice(BaseModel):
    code: str = Field(examples=["holiday_schedule_missing"])
    message: str
    year: int = Field(examples=[2027])
    starts: date = Field(examples=["2027-01-01"])
    days_left: int = Field(examples=[30])


@router.put(
    "/holiday-schedules/{year}",
    response_model=CalendarsView,
    summary="Admin: load the State Council's holiday schedule of one year (one request)",
    description="Every calendar that follows China's holidays gets the year's days off and "
    "make-up workdays (a year loaded again is replaced), as one new calendars version; "
    "tickets triaged from then on count time with it, and dispatch's shift rosters follow it "
    "(announced as `holiday_schedule.loaded`). Admin only. Errors: 422 "
    "`date_outside_year`, `holiday_and_workday`; 409 `no_china_calendar`, `version_conflict`.",
    responses=error_responses(401, 403, 409, 422),
)
async def put_official_schedule(
    year: int,
    payload: OfficialScheduleBody,
    principal: Principal = Depends(ADMIN),
    uow: UnitOfWork = Depends(unit_of_work),
) -> CalendarsView:
    if not 2000 <= year <= 2100:
        raise ApiError(422, "invalid_year", "Years 2000 to 2100.")
    calendars, version = await holiday_schedules.load_schedule(
        uow.session, year, payload.holidays, payload.workdays, _who(principal)
    )
    holiday_schedules.announce(
        uow, year, payload.holidays, payload.workdays, _who(principal), utcnow()
    )
    await uow.commit()
    return _calendars_view(calendars, version)


@router.get(
    "/admin/notices",
    response_model=list[Notice],
    summary="Admin: what needs an admin's attention (the admins' inbox)",
    description="Today: `holiday_schedule_missing`, from "
    f"{holiday_schedules.NOTICE_DAYS} days before a year whose official holiday schedule "
    "is neither shipped nor loaded. Admin only; also on `/metrics` "
    "(`sopdesk_holiday_schedule_days_left`) and in `sopdesk status`.",
    responses=error_responses(401, 403),
    dependencies=[Depends(ADMIN)],
)
async def admin_notices(session: AsyncSession = Depends(read_session)) -> list[Notice]:
    gap = await holiday_schedules.current_gap(session, utcnow().date())
    if gap is None or gap.days_left > holiday_schedules.NOTICE_DAYS:
        return []
    return [
        Notice(
            code="holiday_schedule_missing",
            message=gap.message,
            year=gap.year,
            starts=gap.starts,
            days_left=gap.days_left,
        )
    ]
