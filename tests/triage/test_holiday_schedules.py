"""China's holiday schedule past what chinese-calendar ships (issue 15): the public
holidays of the `holidays` package, a warning 60 days before a year without an official
schedule, and the State Council's schedule loaded in one request; on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from eventkit import received
from triage_support import StoreRuntime, triage_in_process

from services.triage import configuration, service
from services.triage.holiday_schedules import schedule_gap
from services.triage.models import BUS
from shared.calendar import (
    DEFAULT_CALENDAR,
    BusinessCalendar,
    is_working_day,
    schedule_runs_out,
)
from shared.events import (
    HolidayScheduleLoaded,
    parse_event,
)
from sopdesk.operations import holiday_warning

KEYS = {"ad": "admin", "sv": "supervisor"}
ADMIN = {"Authorization": "Bearer ad"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_year_chinese_calendar_lacks_takes_public_holidays_from_holidays() -> None:
    # 2027: New Year's Day (a Friday) and the Spring Festival are days off ...
    assert not is_working_day(DEFAULT_CALENDAR, date(2027, 1, 1))
    assert not is_working_day(DEFAULT_CALENDAR, date(2027, 2, 8))
    assert is_working_day(DEFAULT_CALENDAR, date(2027, 1, 4))
    # ... but its make-up workdays are unknown: a Sunday stays a day off.
    assert not is_working_day(DEFAULT_CALENDAR, date(2027, 2, 14))
    # A year chinese-calendar ships is unchanged: 2026's National Day week.
    assert not is_working_day(DEFAULT_CALENDAR, date(2026, 10, 5))


def test_the_schedule_runs_out_at_the_first_year_nobody_published() -> None:
    today = date(2026, 12, 1)
    assert schedule_runs_out(DEFAULT_CALENDAR, today) == date(2027, 1, 1)
    loaded = BusinessCalendar(official_years=frozenset({2027}))
    assert schedule_runs_out(loaded, today) == date(2028, 1, 1)
    assert schedule_runs_out(BusinessCalendar(china_holidays=False), today) is None
    gap = schedule_gap({"default": DEFAULT_CALENDAR, "other": loaded}, today)
    assert gap is not None
    assert (gap.year, gap.days_left, gap.calendars) == (2027, 31, ("default",))
    assert "PUT /v1/holiday-schedules/2027" in gap.message


def test_status_warns_within_sixty_days_only() -> None:
    text = 'sopdesk_holiday_schedule_days_left{service="triage",year="2027"} 31.0\n'
    warning = holiday_warning(text)
    assert warning is not None and "2027" in warning and "31 days" in warning
    far = 'sopdesk_holiday_schedule_days_left{service="triage",year="2028"} 396.0\n'
    assert holiday_warning(far) is None
    assert holiday_warning("") is None


@pytest.fixture
async def triage(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, StoreRuntime]]:
    async with triage_in_process(database_url, "http://t", api_keys=KEYS) as (client, runtime, _):
        yield client, runtime


async def _deadline_of_ticket_at(runtime: StoreRuntime, at: datetime) -> datetime:
    event = received(subject="请问发票怎么开", description="咨询", at=at)
    async with runtime.unit_of_work() as uow:
        decision = await service.triage_ticket(uow, event, runtime.settings)
        await uow.commit()
    assert decision is not None
    return decision.respond_by.astimezone(SHANGHAI)


async def test_admin_loads_the_state_councils_schedule_in_one_request(
    triage: tuple[httpx.AsyncClient, StoreRuntime],
) -> None:
    client, runtime = triage
    (notice,) = (await client.get("/v1/admin/notices", headers=ADMIN)).json()
    assert notice["code"] == "holiday_schedule_missing" and notice["year"] == 2027
    assert (
        await client.get("/v1/admin/notices", headers={"Authorization": "Bearer sv"})
    ).status_code == 403

    # 17:00 on 31 December: the next working time is not New Year's Day.
    evening = datetime(2026, 12, 31, 17, 0, tzinfo=SHANGHAI).astimezone(UTC)
    before = await _deadline_of_ticket_at(runtime, evening)
    assert before.date() >= date(2027, 1, 4)

    body = {
        "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
        "workdays": ["2027-01-04"],
    }
    bad = await client.put(
        "/v1/holiday-schedules/2027", json={"holidays": ["2028-01-01"]}, headers=ADMIN
    )
    assert bad.status_code == 422 and bad.json()["code"] == "date_outside_year"
    refused = await client.put(
        "/v1/holiday-schedules/2027", json=body, headers={"Authorization": "Bearer sv"}
    )
    assert refused.status_code == 403
    loaded = await client.put("/v1/holiday-schedules/2027", json=body, headers=ADMIN)
    assert loaded.status_code == 200, loaded.text
    china = [c for c in loaded.json()["calendars"] if c["china_holidays"]]
    assert china and all(c["official_years"] == [2027] for c in china)
    assert all("2027-01-04" in c["extra_workdays"] for c in china)
    assert (await client.get("/v1/admin/notices", headers=ADMIN)).json() == []

    # The loaded schedule is the one new tickets count on, and it travels with them.
    async with runtime.sessions() as session:
        calendars, _ = await configuration.current_calendars(session)
    default = calendars["default"]
    assert is_working_day(default, date(2027, 1, 4))
    assert not is_working_day(default, date(2027, 1, 1))
    roundtrip = BusinessCalendar.from_dict(default.to_dict())
    assert roundtrip.official_years == frozenset({2027})
    after = await _deadline_of_ticket_at(runtime, evening + timedelta(minutes=1))
    assert after.date() >= date(2027, 1, 4)

    # Dispatch's shift rosters follow the same schedule: triage announced it.
    async with runtime.sessions() as session:
        payloads = (await session.execute(sa.select(BUS.outbox.c.payload))).scalars().all()
    (announced,) = [e for e in map(parse_event, payloads) if isinstance(e, HolidayScheduleLoaded)]
    assert (announced.data.year, announced.data.workdays, announced.data.actor) == (
        2027,
        [date(2027, 1, 4)],
        "admin:ad",
    )
    assert announced.key() == "holiday_schedule:2027"
