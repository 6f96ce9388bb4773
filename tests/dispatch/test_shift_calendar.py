"""Shift rosters follow China's official holiday calendar (issue 17), times in
Asia/Shanghai: on a day off (2026-10-01 National Day; 2026-09-27, a Sunday of the
Mid-autumn break, not a make-up day) a weekday pattern does not run unless it works
holidays; on a make-up workday (2026-09-20, a Sunday; 2026-10-10, a Saturday) the weekday
patterns run. Dispatch's copy of the schedule comes from triage's announcements, on
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from chinese_calendar import constants
from dispatch_helpers import DispatchStore, add_agent
from people_support import ADMIN_KEY, on_shift, running_dispatch
from testkit import new_person

from services.dispatch.shifts import calendar_copy, domain
from services.dispatch.shifts.loading import calendar, rosters_at
from services.dispatch.shifts.service import set_roster
from shared.events import HolidayScheduleData, HolidayScheduleLoaded
from shared.holiday_data import OFFICIAL_SCHEDULES

SHANGHAI = ZoneInfo("Asia/Shanghai")
A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_the_2026_data_is_the_state_councils_notice() -> None:
    off, on = OFFICIAL_SCHEDULES[2026]
    # The package that ships the schedule agrees with what was typed from the notice.
    assert list(off) == sorted(d for d in constants.holidays if d.year == 2026)
    assert list(on) == sorted(d for d in constants.workdays if d.year == 2026)
    assert len(off) == 33 and date(2026, 10, 1) in off and date(2026, 9, 27) in off
    # 2026-09-27 is a Sunday of the Mid-autumn break, not a make-up day; the Sunday that
    # is worked for National Day is 09-20.
    assert date(2026, 9, 27) not in on and date(2026, 9, 20) in on
    assert not chinese_calendar.is_workday(date(2026, 9, 27))


CHINA = domain.calendar_from(
    {
        y: ([d.isoformat() for d in off], [d.isoformat() for d in on])
        for y, (off, on) in OFFICIAL_SCHEDULES.items()
    }
)
SHIFTS: list[dict[str, Any]] = [
    # A weekday pattern that keeps the calendar's days off (by default: not every day).
    {"name": "白班", "start": "09:00", "end": "18:00", "days": [0, 1, 2, 3, 4], "agent_ids": [A]},
    # 24×7 front line: works holidays (the default of a pattern that runs every day).
    {"name": "全天", "start": "00:00", "end": "00:00", "agent_ids": [B]},
    # A weekend pattern that keeps days off.
    {"name": "周末班", "start": "10:00", "end": "16:00", "days": [5, 6], "agent_ids": [C]},
]


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        ("2026-09-30 10:00", {A, B}),  # Wednesday, an ordinary workday
        ("2026-10-01 10:00", {B}),  # Thursday, National Day: the weekday pattern rests
        ("2026-10-03 11:00", {B}),  # Saturday inside the break: the weekend pattern too
        ("2026-10-08 10:00", {A, B}),  # Thursday after the break
        ("2026-09-20 10:00", {A, B, C}),  # Sunday, make-up workday: the weekday pattern runs
        ("2026-10-10 10:00", {A, B, C}),  # Saturday, make-up workday
        ("2026-10-11 10:00", {B, C}),  # an ordinary Sunday
        ("2026-09-27 10:00", {B}),  # Sunday of the Mid-autumn break: a day off
        ("2026-09-25 10:00", {B}),  # Friday, Mid-autumn
    ],
)
def test_patterns_follow_days_off_and_make_up_workdays(
    moment: str, working: set[uuid.UUID]
) -> None:
    roster = domain.roster_from("Asia/Shanghai", "queue", SHIFTS, CHINA)
    assert set(roster.on_shift(local(moment))) == working
    assert set(roster.on_shift(local(moment).astimezone(UTC))) == working


def test_a_roster_without_the_calendar_and_the_next_shift_after_a_break() -> None:
    plain = domain.roster_from("Asia/Shanghai", "queue", SHIFTS, domain.WEEKDAYS_ONLY)
    assert set(plain.on_shift(local("2026-10-01 10:00"))) == {A, B}
    weekdays = domain.roster_from("Asia/Shanghai", "queue", SHIFTS[:1], CHINA)
    nxt = weekdays.next_start(local("2026-09-30 19:00"))
    assert nxt is not None and nxt[1] == local("2026-10-08 09:00")
    # A pattern that says it works holidays runs on National Day though it is a weekday one.
    duty = domain.roster_from("Asia/Shanghai", "queue", [{**SHIFTS[0], "holidays": "work"}], CHINA)
    assert set(duty.on_shift(local("2026-10-01 10:00"))) == {A}


def test_a_year_without_an_official_schedule_takes_the_statutory_days_only() -> None:
    assert not CHINA.knows(2027) and CHINA.knows(2026)
    assert CHINA.is_holiday(date(2027, 10, 1))  # statutory (the holidays package)
    assert not CHINA.is_makeup_workday(date(2027, 1, 9))


async def test_dispatch_keeps_triages_schedule_and_rosters_follow_it(
    store: DispatchStore,
) -> None:
    agent = await add_agent(store, "节假日值班", capacity=2)
    async with store.uow() as uow:
        # The migration seeded 2026 from the notice.
        assert (await calendar(uow.session)).is_holiday(date(2026, 10, 1))
        await set_roster(
            uow,
            "tech_support",
            timezone="Asia/Shanghai",
            handover="queue",
            shifts=[{**SHIFTS[0], "agent_ids": [agent.id]}],
            actor="key:test",
            actor_name="test",
            at=datetime.now(UTC),
        )
        await uow.commit()
    # A test schedule for 2027 (not the official one): 2027-01-01 off, Saturday 01-09 worked.
    loaded = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)

    def announcement(at: datetime, workdays: list[date]) -> HolidayScheduleLoaded:
        return HolidayScheduleLoaded(
            data=HolidayScheduleData(
                year=2027,
                holidays=[date(2027, 1, 1)],
                workdays=workdays,
                actor="admin:ad",
                updated_at=at,
            )
        )

    async with store.uow() as uow:
        await calendar_copy.keep_schedules(uow, [announcement(loaded, [date(2027, 1, 9)])])
        await uow.commit()
    async with store.uow() as uow:
        # An older announcement arriving late changes nothing.
        older = announcement(datetime(2026, 12, 1, tzinfo=UTC), [])
        await calendar_copy.keep_schedules(uow, [older])
        await uow.commit()
    saturday = local("2027-01-09 10:00")
    async with store.uow() as uow:
        roster = (await rosters_at(uow.session, saturday))["tech_support"]
    assert roster.calendar.knows(2027)
    assert set(roster.on_shift(saturday)) == {agent.id}
    assert set(roster.on_shift(local("2027-01-01 10:00"))) == set()


async def test_on_shift_over_http_names_the_day_and_refuses_a_bad_holiday_setting(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_dispatch(database_url, broker, topic_prefix) as client:
        weekday, _ = await new_person(client, ADMIN_KEY, "wang", roles=["agent"], teams=["finance"])
        duty, _ = await new_person(client, ADMIN_KEY, "zhao", roles=["agent"], teams=["finance"])
        url = "/v1/teams/finance/shifts"
        body: dict[str, Any] = {
            "timezone": "Asia/Shanghai",
            "shifts": [
                {**SHIFTS[0], "agent_ids": [weekday["id"]]},
                {**SHIFTS[1], "agent_ids": [duty["id"]]},
            ],
        }
        put = await client.put(url, json=body, headers=ADMIN_KEY)
        assert put.status_code == 200, put.text
        assert [(s["name"], s["holidays"]) for s in put.json()["shifts"]] == [
            ("白班", "off"),
            ("全天", "work"),
        ]
        assert put.json()["calendar"] == "china"
        bad = {**body, "shifts": [{**body["shifts"][0], "holidays": "sometimes"}]}
        assert (await client.put(url, json=bad, headers=ADMIN_KEY)).status_code == 422

        async def at(moment: str) -> dict[str, Any]:
            return await on_shift(client, "finance", moment, ADMIN_KEY)

        national = await at("2026-10-01T10:00:00+08:00")
        assert national["day"] == {"date": "2026-10-01", "kind": "holiday", "calendar_known": True}
        assert [a["id"] for a in national["agents"]] == [duty["id"]]
        makeup = await at("2026-09-20T10:00:00+08:00")
        assert makeup["day"] == {
            "date": "2026-09-20",
            "kind": "makeup_workday",
            "calendar_known": True,
        }
        assert {a["id"] for a in makeup["agents"]} == {weekday["id"], duty["id"]}
        later = await at("2027-03-01T10:00:00+08:00")
        assert later["day"] == {"date": "2027-03-01", "kind": "normal", "calendar_known": False}
        # A roster without the calendar: National Day is an ordinary Thursday.
        plain = await client.put(url, json={**body, "calendar": "none"}, headers=ADMIN_KEY)
        assert plain.status_code == 200
        national = await at("2026-10-01T10:00:00+08:00")
        assert len(national["agents"]) == 2
