"""Two dispatch instances side by side on PostgreSQL over 520 tickets: no ticket assigned
twice, no agent ever over capacity, and the queue drains in priority order."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

import pytest
import sqlalchemy as sa
from dispatch_helpers import DispatchStore, add_agent, open_store
from eventkit import triaged

from services.dispatch import agent_work, domain, reactions
from services.dispatch.models import Agent, Assignment
from shared.errors import ApiError
from shared.events import TicketAssigned

TICKETS = 520
AGENTS = 8
CAPACITY = 3


async def _check_capacity(store: DispatchStore, stop: asyncio.Event, breaches: list[Any]) -> int:
    """Sample, in one snapshot each time, every agent's holding count against its capacity."""
    holding = sa.select(Assignment.agent_id, sa.func.count()).where(
        Assignment.state.in_(sorted(domain.HOLDS_CAPACITY))
    )
    samples = 0
    while not stop.is_set():
        async with store.sessions() as session:
            counts: dict[Any, int] = dict(
                (await session.execute(holding.group_by(Assignment.agent_id))).all()
            )
            capacity = dict((await session.execute(sa.select(Agent.id, Agent.capacity))).all())
        breaches += [(a, n) for a, n in counts.items() if n > capacity[a]]
        samples += 1
        await asyncio.sleep(0.01)
    return samples


# PostgreSQL only: SQLite has one writer at a time, so there is no race to lose.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_instances_never_double_assign_or_overfill(database_url: str) -> None:
    one = await open_store(database_url)
    two = await open_store(database_url)  # a second engine: a second dispatch process
    try:
        agents = [await add_agent(one, f"agent-{n}", capacity=CAPACITY) for n in range(AGENTS)]
        rng = random.Random(7)
        events = [
            triaged(
                ticket_no=f"T-{n:04d}",
                priority=rng.choice(["P0", "P1", "P2"]),
                respond=timedelta(minutes=rng.randrange(10, 600)),
            )
            for n in range(TICKETS)
        ]

        stop = asyncio.Event()
        breaches: list[Any] = []
        sampler = asyncio.create_task(_check_capacity(one, stop, breaches))

        # Phase 1: both instances consume the triaged events in batches, and each sees
        # the other's half again too (a rebalance redelivers them).
        async def consume(store: DispatchStore, part: list[Any]) -> None:
            for start in range(0, len(part), 40):
                async with store.uow() as uow:
                    await reactions.dispatch_tickets(uow, part[start : start + 40])
                    await uow.commit()

        await asyncio.gather(consume(one, events[0::2]), consume(two, events[1::2]))
        await asyncio.gather(consume(one, events[1::2]), consume(two, events[0::2]))

        async with one.sessions() as session:
            queued = await session.scalar(
                sa.select(sa.func.count()).where(Assignment.state == "queued")
            )
        assert queued == TICKETS - AGENTS * CAPACITY

        # Phase 2: agents accept and resolve, half of them through each instance; every
        # resolve drains the queue in the same transaction.
        async def work(store: DispatchStore, mine: list[Agent]) -> int:
            ids = {a.id for a in mine}
            resolved = 0
            while True:
                async with store.sessions() as session:
                    held = (
                        await session.scalars(
                            sa.select(Assignment).where(
                                Assignment.agent_id.in_(ids), Assignment.state == "assigned"
                            )
                        )
                    ).all()
                    left = await session.scalar(
                        sa.select(sa.func.count()).where(Assignment.state != "resolved")
                    )
                if not held:
                    if not left:
                        return resolved
                    await asyncio.sleep(0.01)
                    continue
                for a in held:
                    async with store.uow() as uow:
                        try:
                            await agent_work.accept(uow, a.id, a.agent_id)  # type: ignore[arg-type]
                            await agent_work.resolve(
                                uow,
                                a.id,
                                a.agent_id,  # type: ignore[arg-type]
                                resolution_code="ok",
                                public_reply="好",
                            )
                        except ApiError as exc:
                            assert exc.code == "concurrent_change", exc.message
                            continue
                        await uow.commit()
                    resolved += 1

        done = await asyncio.gather(
            work(one, agents[: AGENTS // 2]), work(two, agents[AGENTS // 2 :])
        )
        stop.set()
        samples = await sampler
        assert sum(done) == TICKETS
    finally:
        await one.engine.dispose()
        await two.engine.dispose()

    assert samples > 0 and breaches == [], f"agents over capacity: {breaches[:5]}"
    events_out = await _events(database_url)
    assigned = [e for e in events_out if isinstance(e, TicketAssigned)]
    per_ticket: dict[uuid.UUID, int] = {}
    for e in assigned:
        assert e.ticket_id is not None
        per_ticket[e.ticket_id] = per_ticket.get(e.ticket_id, 0) + 1
    assert len(per_ticket) == TICKETS and max(per_ticket.values()) == 1, "assigned twice"

    final = await open_store(database_url)
    try:
        async with final.sessions() as session:
            rows = (await session.scalars(sa.select(Assignment))).all()
            loads = (await session.scalars(sa.select(Agent.active_count))).all()
    finally:
        await final.engine.dispose()
    assert len(rows) == TICKETS and {r.state for r in rows} == {"resolved"}
    assert set(loads) == {0}
    # Drained in serving order: ordered by the time they left the queue, the tickets
    # served from the queue come in (priority, respond_by) order.
    drained = {e.data.assignment_id for e in assigned if e.data.reason == "drained"}
    served = sorted(
        (r for r in rows if r.id in drained), key=lambda r: cast(datetime, r.assigned_at)
    )
    assert len(served) == TICKETS - AGENTS * CAPACITY
    keys = [(r.priority, r.respond_by) for r in served]
    assert keys == sorted(keys), "the queue was not served in priority order"


async def _events(url: str) -> list[Any]:
    store = await open_store(url)
    try:
        return await store.events()
    finally:
        await store.engine.dispose()
