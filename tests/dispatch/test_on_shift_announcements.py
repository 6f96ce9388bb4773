"""Dispatch announces who is on shift (``team.on_shift_changed``, issue 17), on SQLite and
PostgreSQL: when the shift timer finds a shift started or ended, when leave is added or
removed, when an agent leaves the team; once per change (a second round, or a second
replica, announces nothing), with the agents by name, who is on leave today and the day's
kind in the roster's time zone (Asia/Shanghai)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dispatch_helpers import DispatchStore, add_agent, open_store

from services.dispatch import roster as team_roster
from services.dispatch.models import Agent
from services.dispatch.shifts import domain
from services.dispatch.shifts.announcements import day_kind
from services.dispatch.shifts.exceptions import NewException, add_exception, remove_exception
from services.dispatch.shifts.loading import calendar
from services.dispatch.shifts.service import run_shift_changes, set_roster
from shared.events import OnShiftData, TeamOnShiftChanged

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def announced(store: DispatchStore, team: str = "tech_support") -> list[OnShiftData]:
    return [
        e.data
        for e in await store.events("team.on_shift_changed")
        if isinstance(e, TeamOnShiftChanged) and e.data.team == team
    ]


def names(data: OnShiftData) -> list[tuple[str, str]]:
    return [(a.name, a.shift) for a in data.on_shift]


async def early_and_late(store: DispatchStore, at: datetime) -> tuple[Agent, Agent]:
    """早班 08–16 (张), 晚班 16–24 (李), every day, in Asia/Shanghai, set at ``at``."""
    early = await add_agent(store, "早班张", capacity=2)
    late = await add_agent(store, "晚班李", capacity=2)
    async with store.uow() as uow:
        await set_roster(
            uow,
            "tech_support",
            timezone="Asia/Shanghai",
            handover="keep",
            shifts=[
                {
                    "name": "早班",
                    "start": "08:00",
                    "end": "16:00",
                    "days": list(range(7)),
                    "agent_ids": [early.id],
                },
                {
                    "name": "晚班",
                    "start": "16:00",
                    "end": "24:00",
                    "days": list(range(7)),
                    "agent_ids": [late.id],
                },
            ],
            actor="key:test",
            actor_name="test",
            at=at,
        )
        await uow.commit()
    return early, late


async def test_the_timer_announces_each_shift_change_once(store: DispatchStore) -> None:
    monday = local("2026-12-07 10:00")
    early, _late = await early_and_late(store, monday)
    (first,) = await announced(store)
    assert (first.has_roster, first.timezone, first.day.isoformat()) == (
        True,
        "Asia/Shanghai",
        "2026-12-07",
    )
    assert first.day_kind == "workday" and first.on_leave == []
    assert names(first) == [("早班张", "早班")]
    assert first.on_shift[0].agent_id == early.id
    assert first.on_shift[0].until == local("2026-12-07 16:00")

    # The same shift a minute later, and again: nothing changed, nothing announced.
    await run_shift_changes(store.uow, monday + timedelta(minutes=1))
    await run_shift_changes(store.uow, monday + timedelta(minutes=2))
    assert len(await announced(store)) == 1

    await run_shift_changes(store.uow, local("2026-12-07 16:00:30"))
    await run_shift_changes(store.uow, local("2026-12-07 16:01:00"))
    *_, evening = await announced(store)
    assert len(await announced(store)) == 2
    assert names(evening) == [("晚班李", "晚班")]
    assert evening.as_of == local("2026-12-07 16:00:30")

    # Saturday, the next morning's shift: the day's kind comes with it.
    await run_shift_changes(store.uow, local("2026-12-12 09:00"))
    *_, saturday = await announced(store)
    assert (names(saturday), saturday.day_kind) == ([("早班张", "早班")], "weekend")
    events = await store.events("team.on_shift_changed")
    assert {e.key() for e in events} == {"team:tech_support"}


async def test_leave_added_and_removed_is_announced_at_once(store: DispatchStore) -> None:
    monday = local("2026-12-07 10:00")
    early, late = await early_and_late(store, monday)
    async with store.uow() as uow:
        leave = await add_exception(
            uow,
            "tech_support",
            NewException(kind="leave", agent_id=early.id, first_day=monday.date(), note="病假"),
            actor="person:lead",
            actor_name="技术主管",
            at=monday + timedelta(minutes=5),
        )
        await uow.commit()
    *_, on_leave = await announced(store)
    assert on_leave.on_shift == []  # 早班张 was the morning shift
    assert [(a.name, a.agent_id, a.first_day, a.last_day) for a in on_leave.on_leave] == [
        ("早班张", early.id, monday.date(), monday.date())
    ]
    # Leave of the evening agent tomorrow: not today's, but today's answer stands.
    async with store.uow() as uow:
        await add_exception(
            uow,
            "tech_support",
            NewException(
                kind="leave", agent_id=late.id, first_day=monday.date() + timedelta(days=1)
            ),
            actor="person:lead",
            actor_name="技术主管",
            at=monday + timedelta(minutes=6),
        )
        await uow.commit()
    assert len(await announced(store)) == 2
    async with store.uow() as uow:
        await remove_exception(
            uow,
            "tech_support",
            leave.id,
            actor="person:lead",
            actor_name="技术主管",
            at=monday + timedelta(minutes=7),
        )
        await uow.commit()
    *_, back = await announced(store)
    assert len(await announced(store)) == 3
    assert (names(back), back.on_leave) == ([("早班张", "早班")], [])
    # The next day the evening agent's leave is today's.
    await run_shift_changes(store.uow, local("2026-12-08 17:00"))
    *_, tuesday = await announced(store)
    assert names(tuesday) == [] and [a.name for a in tuesday.on_leave] == ["晚班李"]


async def test_an_agent_leaving_the_team_is_no_longer_on_its_shift(store: DispatchStore) -> None:
    now = datetime.now(SHANGHAI)
    early = await add_agent(store, "全天王", capacity=2)
    async with store.uow() as uow:
        await set_roster(
            uow,
            "tech_support",
            timezone="Asia/Shanghai",
            handover="keep",
            shifts=[{"name": "全天", "start": "00:00", "end": "00:00", "agent_ids": [early.id]}],
            actor="key:test",
            actor_name="test",
            at=now,
        )
        await uow.commit()
    assert [a.name for a in (await announced(store))[-1].on_shift] == ["全天王"]
    async with store.uow() as uow:
        await team_roster.update_agent(uow, early.id, {"team_key": "logistics"}, supervisor=None)
        await uow.commit()
    *_, after = await announced(store)
    assert after.on_shift == [] and after.has_roster
    assert await announced(store, "logistics") == []  # logistics has no roster


async def test_the_days_kind_follows_chinas_calendar(store: DispatchStore) -> None:
    async with store.sessions() as session:
        china = await calendar(session)
    assert day_kind(local("2026-10-01 09:00").date(), china) == "holiday"  # National Day
    assert day_kind(local("2026-09-20 09:00").date(), china) == "workday"  # 调休上班, Sunday
    assert day_kind(local("2026-12-05 09:00").date(), china) == "weekend"
    assert day_kind(local("2026-12-07 09:00").date(), china) == "workday"
    assert day_kind(local("2026-10-03 09:00").date(), domain.WEEKDAYS_ONLY) == "weekend"


# PostgreSQL only: SQLite has one writer at a time, so there is no race to lose.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_announce_a_shift_change_once(database_url: str) -> None:
    one = await open_store(database_url)
    two = await open_store(database_url)
    try:
        await early_and_late(one, local("2026-12-07 10:00"))
        at = local("2026-12-07 16:00:05")
        await asyncio.gather(run_shift_changes(one.uow, at), run_shift_changes(two.uow, at))
        changed = await announced(one)
        assert [names(d) for d in changed] == [[("早班张", "早班")], [("晚班李", "晚班")]]
    finally:
        await one.engine.dispose()
        await two.engine.dispose()
