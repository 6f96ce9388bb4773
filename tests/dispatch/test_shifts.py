"""Shifts (seed 004, 轮班制), on SQLite and PostgreSQL with times in the team's time zone:
dispatch assigns only to agents on shift, a ticket arriving when nobody is on shift waits
in the queue and is assigned when the next shift starts, and an agent going off shift hands
over open work by the team's setting (keep, queue, reassign)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dispatch_helpers import DispatchStore, act, add_agent, dispatch, load, open_store
from eventkit import triaged

from services.dispatch import agent_work
from services.dispatch.models import Agent, Assignment
from services.dispatch.shifts import domain
from services.dispatch.shifts.service import run_shift_changes, set_roster
from shared.events import TicketAssigned, TicketQueued

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """A moment given as Shanghai wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def hhmm(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%H:%M")


# --------------------------------------------------------------------------- who is on shift


A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))
THREE_SHIFTS = domain.roster_from(
    "Asia/Shanghai",
    "queue",
    [
        {"name": "早班", "start": "08:00", "end": "16:00", "agent_ids": [A]},
        {"name": "中班", "start": "16:00", "end": "24:00", "agent_ids": [B]},
        # Monday–Friday nights only: the weekend night is nobody's.
        {
            "name": "夜班",
            "start": "22:00",
            "end": "08:00",
            "days": [0, 1, 2, 3, 4],
            "agent_ids": [C],
        },
    ],
)


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        ("2026-12-02 07:59", {C}),  # Wednesday: Tuesday's night shift, until 08:00
        ("2026-12-02 08:00", {A}),
        ("2026-12-02 15:59", {A}),
        ("2026-12-02 16:00", {B}),
        ("2026-12-02 22:30", {B, C}),  # the night shift overlaps the evening one
        ("2026-12-05 23:00", {B}),  # Saturday: no night shift
        ("2026-12-07 03:00", set()),  # Monday 03:00: Sunday had no night shift
        ("2026-12-08 03:00", {C}),  # Tuesday 03:00: Monday's night shift
    ],
)
def test_who_is_on_shift_in_the_teams_time_zone(moment: str, working: set[uuid.UUID]) -> None:
    assert set(THREE_SHIFTS.on_shift(local(moment))) == working
    # The same moment in UTC reads the same shifts: they are Shanghai wall-clock times.
    assert set(THREE_SHIFTS.on_shift(local(moment).astimezone(UTC))) == working


def test_a_shift_ends_on_the_next_day_and_the_next_one_is_known() -> None:
    shift, ends = THREE_SHIFTS.on_shift(local("2026-12-02 23:00"))[C]
    assert (shift.name, ends) == ("夜班", local("2026-12-03 08:00"))
    nxt = THREE_SHIFTS.next_start(local("2026-12-07 03:00"))
    assert nxt is not None and (nxt[0].name, nxt[1]) == ("早班", local("2026-12-07 08:00"))
    with pytest.raises(ValueError):
        THREE_SHIFTS.on_shift(datetime(2026, 12, 2, 8, 0))  # a moment without its zone


# --------------------------------------------------------------------------- dispatch on shifts


def window(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": hhmm(start), "end": hhmm(end)}


async def roster(store: DispatchStore, handover: str, *shifts: dict[str, object]) -> None:
    async with store.uow() as uow:
        await set_roster(
            uow,
            "tech_support",
            timezone="Asia/Shanghai",
            handover=handover,
            shifts=[{"days": list(range(7)), **s} for s in shifts],
            actor="key:test",
            actor_name="test",
            at=datetime.now(UTC),
        )
        await uow.commit()


def minutes(now: datetime, n: int) -> datetime:
    """``now`` + n minutes, on a whole minute (shift times are HH:MM)."""
    return (now + timedelta(minutes=n)).replace(second=0, microsecond=0)


async def test_a_ticket_when_nobody_is_on_shift_waits_for_the_next_shift(
    store: DispatchStore,
) -> None:
    now = datetime.now(UTC)
    late = await add_agent(store, "晚班王", capacity=2)
    starts, ends = minutes(now, 120), minutes(now, 180)
    await roster(store, "queue", {"name": "晚班", **window(starts, ends), "agent_ids": [late.id]})

    (ticket,) = await dispatch(store, triaged(ticket_no="T-SHIFT-1"))
    assert ticket.state == "queued" and ticket.agent_id is None  # 晚班王 is online, off shift
    assert await run_shift_changes(store.uow, now + timedelta(minutes=1)) == 0
    assert (await load(store, Assignment, ticket.id)).state == "queued"

    assert await run_shift_changes(store.uow, starts + timedelta(seconds=30)) == 1
    served = await load(store, Assignment, ticket.id)
    assert (served.state, served.agent_id) == ("assigned", late.id)
    assert (await load(store, Agent, late.id)).active_count == 1
    assigned = [e for e in await store.events() if isinstance(e, TicketAssigned)]
    assert [(e.data.ticket_no, e.data.reason) for e in assigned] == [("T-SHIFT-1", "drained")]
    # Again at the same moment (another replica's tick): nothing left to do.
    assert await run_shift_changes(store.uow, starts + timedelta(seconds=31)) == 0


@pytest.mark.parametrize(
    ("handover", "accepted_goes", "unaccepted_goes"),
    [("keep", "early", "early"), ("queue", "early", "late"), ("reassign", "late", "late")],
)
async def test_going_off_shift_hands_over_open_work_by_the_team_setting(
    store: DispatchStore, handover: str, accepted_goes: str, unaccepted_goes: str
) -> None:
    now = datetime.now(UTC)
    early = await add_agent(store, "早班李", capacity=2)
    late = await add_agent(store, "晚班王", capacity=2)
    change = minutes(now, 60)
    await roster(
        store,
        handover,
        {"name": "早班", **window(minutes(now, -60), change), "agent_ids": [early.id]},
        {"name": "晚班", **window(change, minutes(now, 180)), "agent_ids": [late.id]},
    )
    started, waiting = await dispatch(
        store, triaged(ticket_no="T-ACCEPTED"), triaged(ticket_no="T-WAITING")
    )
    assert started.agent_id == waiting.agent_id == early.id  # only 早班李 is on shift
    await act(store, agent_work.accept, started.id, early.id)

    await run_shift_changes(store.uow, change + timedelta(seconds=30))
    agents = {"early": early.id, "late": late.id}
    after_accepted = await load(store, Assignment, started.id)
    after_waiting = await load(store, Assignment, waiting.id)
    assert after_accepted.agent_id == agents[accepted_goes]
    assert after_waiting.agent_id == agents[unaccepted_goes]
    # A handed-over ticket is the new agent's to accept; one kept keeps its state.
    assert after_accepted.state == ("accepted" if accepted_goes == "early" else "assigned")
    loads = {name: (await load(store, Agent, ident)).active_count for name, ident in agents.items()}
    goes = [accepted_goes, unaccepted_goes]
    assert loads == {"early": goes.count("early"), "late": goes.count("late")}
    moved = [
        e.data.ticket_no
        for e in await store.events()
        if isinstance(e, TicketAssigned) and e.data.reason == "shift handover"
    ]
    expected = {"keep": [], "queue": ["T-WAITING"], "reassign": ["T-ACCEPTED", "T-WAITING"]}
    assert sorted(moved) == expected[handover]


async def test_off_shift_work_is_queued_when_nobody_on_shift_has_room(
    store: DispatchStore,
) -> None:
    now = datetime.now(UTC)
    early = await add_agent(store, "早班李", capacity=1)
    change = minutes(now, 60)
    await roster(
        store,
        "reassign",
        {"name": "早班", **window(minutes(now, -60), change), "agent_ids": [early.id]},
    )
    (ticket,) = await dispatch(store, triaged(ticket_no="T-ALONE"))
    assert ticket.agent_id == early.id
    await run_shift_changes(store.uow, change + timedelta(seconds=30))
    after = await load(store, Assignment, ticket.id)
    assert (after.state, after.agent_id) == ("queued", None)
    assert (await load(store, Agent, early.id)).active_count == 0
    queued = [e for e in await store.events() if isinstance(e, TicketQueued)]
    assert queued[-1].data.reason == "agent 早班李 went off shift"


# PostgreSQL only: SQLite has one writer at a time, so there is no race to lose.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_draining_at_a_shift_start_assign_each_ticket_once(
    database_url: str,
) -> None:
    one = await open_store(database_url)
    two = await open_store(database_url)  # a second engine: a second dispatch process
    try:
        now = datetime.now(UTC)
        agents = [await add_agent(one, f"晚班{n}", capacity=3) for n in range(4)]
        starts = minutes(now, 120)
        await roster(
            one,
            "queue",
            {
                "name": "晚班",
                **window(starts, minutes(now, 240)),
                "agent_ids": [a.id for a in agents],
            },
        )
        queued = await dispatch(one, *(triaged(ticket_no=f"T-{n:03d}") for n in range(20)))
        assert {a.state for a in queued} == {"queued"}
        at = starts + timedelta(seconds=5)
        await asyncio.gather(run_shift_changes(one.uow, at), run_shift_changes(two.uow, at))
        rows = [await load(one, Assignment, a.id) for a in queued]
        assert sum(r.state == "assigned" for r in rows) == 12  # 4 agents × capacity 3
        for agent in agents:
            held = sum(r.agent_id == agent.id for r in rows)
            assert held == 3 == (await load(one, Agent, agent.id)).active_count
        assigned = [e for e in await one.events() if isinstance(e, TicketAssigned)]
        assert len(assigned) == len({e.data.ticket_no for e in assigned}) == 12
    finally:
        await one.engine.dispose()
        await two.engine.dispose()


async def test_the_demo_teams_have_someone_on_shift_at_every_hour_of_the_week(
    store: DispatchStore,
) -> None:
    from services.dispatch import domain as dispatch_domain
    from services.dispatch.roster import add_demo_agents
    from services.dispatch.shifts import repository
    from services.dispatch.shifts.loading import rosters_at
    from services.dispatch.shifts.service import add_demo_shifts

    async with store.uow() as uow:
        await add_demo_agents(uow, capacity=5)
        await uow.commit()
    async with store.uow() as uow:
        assert await add_demo_shifts(uow, datetime.now(UTC)) == len(dispatch_domain.DEFAULT_TEAMS)
        await uow.commit()
    async with store.uow() as uow:
        assert await add_demo_shifts(uow, datetime.now(UTC)) == 0  # idempotent
        rows = await repository.rosters(uow.session)
        rosters = await rosters_at(uow.session, datetime.now(UTC))
        audit = {(row.updated_by_name, row.version) for row in rows.values()}
    assert audit == {("sopdesk up", 1)}
    # An ordinary week, and National Day's (2026-09-28 to 10-04: holidays from Thursday).
    for monday in (local("2026-11-30 00:00"), local("2026-09-28 00:00")):
        for key, roster in rosters.items():
            for hour in range(7 * 24):
                working = roster.on_shift(monday + timedelta(hours=hour, minutes=30))
                assert len(working) == 1, (key, hour, working)  # one agent at a time, 24×7
    assert sorted({s.name for s in rosters["frontline"].shifts}) == ["中班", "夜班", "早班"]


async def test_reopened_and_transferred_work_goes_to_agents_on_shift_only(
    store: DispatchStore,
) -> None:
    from services.dispatch import reactions
    from shared.errors import ApiError
    from shared.events import TicketReopened, TicketStateData

    now = datetime.now(UTC)
    early = await add_agent(store, "早班李", capacity=3)
    late = await add_agent(store, "晚班王", capacity=3)
    await roster(
        store,
        "keep",
        {"name": "早班", **window(minutes(now, -60), minutes(now, 60)), "agent_ids": [early.id]},
        {"name": "晚班", **window(minutes(now, 60), minutes(now, 180)), "agent_ids": [late.id]},
    )
    done, other = await dispatch(store, triaged(ticket_no="T-DONE"), triaged(ticket_no="T-MOVE"))
    await act(store, agent_work.accept, done.id, early.id)
    await act(store, agent_work.resolve, done.id, early.id, resolution_code="ok", public_reply="好")
    # 晚班王 is online but off shift: no transfer to them by name.
    await act(store, agent_work.accept, other.id, early.id)
    async with store.uow() as uow:
        with pytest.raises(ApiError) as refused:
            await agent_work.transfer(uow, other.id, early.id, reason="换人", to_agent_id=late.id)
    assert (refused.value.status, refused.value.code) == (409, "agent_off_shift")

    # The shift changes (a roster where only 晚班王 works now): a reopened ticket does not
    # go back to its last agent, who is off shift, but to whoever is on shift.
    await roster(
        store,
        "keep",
        {"name": "晚班", **window(minutes(now, -60), minutes(now, 60)), "agent_ids": [late.id]},
    )
    event = TicketReopened(ticket_id=done.ticket_id, data=TicketStateData(reason="CSAT 1"))
    back, _events = await act(store, reactions.reopen, event)
    assert (back.state, back.agent_id) == ("assigned", late.id)
