"""Follow-up after the first response: the daily customer-visible update (with the
agent's reminder and a breach per missed day), and clocks that run again when a ticket is
reopened, by an unsatisfied survey or by a customer who writes soon after closure."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from followup_support import T0, FollowupStore, open_store, triaged

from services.followup import sla_clocks
from services.followup.settings import FollowupSettings
from shared.calendar import DEFAULT_CALENDAR
from shared.events import (
    ProgressNotedData,
    TicketMessageAdded,
    TicketMessageAddedData,
    TicketProgressNoted,
    TicketStateData,
)

SETTINGS = FollowupSettings()
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def store(database_url: str) -> FollowupStore:
    return await open_store(database_url)


def note(ticket_id: uuid.UUID, at: datetime, *, visible: bool = True) -> TicketProgressNoted:
    return TicketProgressNoted(
        ticket_id=ticket_id,
        occurred_at=at,
        data=ProgressNotedData(
            assignment_id=uuid.uuid4(), at=at, note="正在处理", customer_visible=visible
        ),
    )


def message(ticket_id: uuid.UUID, at: datetime, *, reopens: bool) -> TicketMessageAdded:
    return TicketMessageAdded(
        ticket_id=ticket_id,
        occurred_at=at,
        data=TicketMessageAddedData(message_id=uuid.uuid4(), body="还是不行", reopens=reopens),
    )


async def progress(store: FollowupStore, *events: TicketProgressNoted) -> None:
    async with store.uow() as uow:
        await sla_clocks.apply_progress(uow, list(events), SETTINGS)
        await uow.commit()


async def updates_fired(store: FollowupStore, now: datetime) -> list[tuple[str, datetime]]:
    """One timer round at ``now``: (type, deadline) of what it fired about the update clock."""
    fired = await store.fire(now, clocks=("update",))
    return [(e.type, e.data.due_at) for e in fired]  # type: ignore[attr-defined]


async def test_daily_update_reminds_the_agent_then_breaches_once_per_missed_day(
    store: FollowupStore,
) -> None:
    ticket = triaged(at=T0)  # 24×7
    tid = ticket.ticket_id
    assert tid is not None
    await store.open(ticket)
    update = (await store.clocks(tid))["update"]
    assert (update.due_at, update.warn_at) == (T0 + timedelta(hours=24), T0 + timedelta(hours=22))

    assert await updates_fired(store, T0 + timedelta(hours=21, minutes=59)) == []
    day1 = T0 + timedelta(hours=24)
    assert await updates_fired(store, T0 + timedelta(hours=22)) == [("sla.warning", day1)]
    assert await updates_fired(store, T0 + timedelta(hours=22, minutes=30)) == []

    # A customer-visible note: the next update is due a day after it; an internal one
    # changes nothing.
    await progress(store, note(tid, T0 + timedelta(hours=23)))
    await progress(store, note(tid, T0 + timedelta(hours=30), visible=False))
    update = (await store.clocks(tid))["update"]
    day2 = T0 + timedelta(hours=47)
    assert (update.state, update.due_at, update.warned_at) == ("running", day2, None)

    # Nobody writes: the timer looks only after the deadline, so no late reminder, one
    # breach, and the next day's cycle runs from the missed deadline.
    assert await updates_fired(store, day2 + timedelta(minutes=1)) == [("sla.breached", day2)]
    assert await updates_fired(store, day2 + timedelta(minutes=2)) == []
    update = (await store.clocks(tid))["update"]
    assert (update.state, update.breaches) == ("breached", 1)
    assert update.due_at == day2 + timedelta(hours=24)

    # The timer was down for three days: each missed day is a breach of its own (one per
    # timer round; the timer goes round again at once while rounds find work).
    later = day2 + timedelta(hours=72, minutes=1)
    fired = []
    for _ in range(5):
        fired += await updates_fired(store, later)
    assert fired == [
        ("sla.breached", day2 + timedelta(hours=24)),
        ("sla.breached", day2 + timedelta(hours=48)),
        ("sla.breached", day2 + timedelta(hours=72)),
    ]
    assert (await store.clocks(tid))["update"].breaches == 4

    # Resolved: the update clock stops with the resolution.
    async with store.uow() as uow:
        await sla_clocks.stop_clocks(uow, "update", [(tid, later)])
        await uow.commit()
    assert await updates_fired(store, later + timedelta(days=30)) == []


@pytest.mark.parametrize(
    ("arrived", "due"),
    [
        # Friday: the next working day is Monday.
        (datetime(2026, 11, 27, 10, 0), datetime(2026, 11, 30, 10, 0)),
        # The day before National Day: the holiday week never needs an update.
        (datetime(2026, 9, 30, 10, 0), datetime(2026, 10, 8, 10, 0)),
        # At night: counted from the next morning.
        (datetime(2026, 12, 2, 2, 52), datetime(2026, 12, 3, 9, 0)),
    ],
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_daily_update_counts_working_days_on_a_business_calendar(
    store: FollowupStore, arrived: datetime, due: datetime
) -> None:
    at = arrived.replace(tzinfo=SHANGHAI)
    ticket = triaged(at=at, calendar_spec=DEFAULT_CALENDAR.to_dict())
    assert ticket.ticket_id is not None
    await store.open(ticket)
    update = (await store.clocks(ticket.ticket_id))["update"]
    assert update.due_at == due.replace(tzinfo=SHANGHAI)


async def test_reopen_runs_resolution_and_update_again_and_keeps_the_first_response(
    store: FollowupStore,
) -> None:
    ticket = triaged(at=T0, resolve=timedelta(hours=24))
    tid = ticket.ticket_id
    assert tid is not None
    await store.open(ticket)
    resolved_at = T0 + timedelta(hours=2)
    await store.stop(tid, "response", T0 + timedelta(minutes=20))
    await store.stop(tid, "resolution", resolved_at)
    await store.stop(tid, "update", resolved_at)

    reopened_at = T0 + timedelta(hours=30)
    async with store.uow() as uow:
        reason = TicketStateData(reason="customer not satisfied", escalate=True)
        assert await sla_clocks.reopen_ticket(uow, tid, reopened_at, reason, SETTINGS)
        await uow.commit()
    clocks = await store.clocks(tid)
    assert clocks["response"].state == "met"
    resolution = clocks["resolution"]
    assert (resolution.state, resolution.stopped_at) == ("running", None)
    assert (resolution.started_at, resolution.due_at) == (
        reopened_at,
        reopened_at + timedelta(hours=24),
    )
    assert clocks["update"].due_at == reopened_at + timedelta(hours=24)
    reopened = await store.events("ticket.reopened")
    assert [e.data.escalate for e in reopened] == [True]  # type: ignore[attr-defined]

    # The new window breaches like the first one would have.
    fired = await store.fire(reopened_at + timedelta(hours=24))
    assert ("sla.breached", "resolution") in [(e.type, e.data.clock) for e in fired]  # type: ignore[attr-defined]


async def test_a_message_after_closure_reopens_once(store: FollowupStore) -> None:
    ticket = triaged(at=T0)
    tid = ticket.ticket_id
    assert tid is not None
    await store.open(ticket)
    await store.stop(tid, "resolution", T0 + timedelta(hours=3))

    async def deliver(*events: TicketMessageAdded) -> None:
        async with store.uow() as uow:
            await sla_clocks.reopen_on_customer_messages(uow, list(events), SETTINGS)
            await uow.commit()

    # An ordinary message on an open ticket reopens nothing.
    await deliver(message(tid, T0 + timedelta(hours=1), reopens=False))
    assert await store.events("ticket.reopened") == []
    # Two replicas of intake both flagged a reopen: follow-up reopens once.
    first = message(tid, T0 + timedelta(days=2), reopens=True)
    await deliver(first, message(tid, T0 + timedelta(days=2, seconds=5), reopens=True))
    reopened = await store.events("ticket.reopened")
    assert len(reopened) == 1
    assert reopened[0].correlation_id == first.correlation_id
    assert (await store.clocks(tid))["resolution"].state == "running"
