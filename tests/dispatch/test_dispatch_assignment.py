"""Dispatch assigning triaged tickets through its reaction, on a store migrated with
Alembic (SQLite and PostgreSQL): least loaded first then the queue, round robin among
equals, one assignment per ticket, the events it emits, and no agent overfilled when two
replicas race."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from dispatch_helpers import DispatchStore, act
from eventkit import T0, triaged
from sqlalchemy.exc import IntegrityError

from services.dispatch import reactions
from services.dispatch import repository as dispatch_repository
from services.dispatch.models import Agent, Assignment
from services.dispatch.roster import add_demo_agents
from shared.events import Envelope, TicketAssigned, TicketTriaged, parse_event

# A P0 ticket, to be answered within half an hour of T0.
URGENT: dict[str, Any] = {"priority": "P0", "respond": timedelta(minutes=30)}


async def _dispatch(
    store: DispatchStore, event: TicketTriaged
) -> tuple[Assignment | None, list[Envelope]]:
    result: tuple[Assignment | None, list[Envelope]] = await act(
        store, reactions.dispatch_ticket, event
    )
    return result


async def _agents(store: DispatchStore, team: str) -> list[Agent]:
    async with store.sessions() as session:
        return list(await dispatch_repository.list_agents(session, team))


async def test_dispatch_least_loaded_then_queue(store: DispatchStore) -> None:
    async with store.uow() as uow:
        assert await add_demo_agents(uow, capacity=1) == 14
        await uow.commit()
    async with store.uow() as uow:
        assert await add_demo_agents(uow, capacity=1) == 0  # idempotent
        await uow.commit()

    tickets = [uuid.uuid4() for _ in range(3)]
    results = [
        await act(
            store, reactions.dispatch_ticket, triaged(t, ticket_no=f"T20261122-00000{i}", **URGENT)
        )
        for i, t in enumerate(tickets, 1)
    ]
    (a1, e1), (a2, e2), (a3, e3) = results
    assert a1 is not None and a2 is not None and a3 is not None
    assert a1.state == a2.state == "assigned"
    assert a1.agent_id is not None and a2.agent_id is not None
    assert a1.agent_id != a2.agent_id
    team_agents = {a.id for a in await _agents(store, "tech_support")}
    assert {a1.agent_id, a2.agent_id} == team_agents
    assert [e.type for e in e1] == ["ticket.assigned", "work_order.issued"]
    assert [e.type for e in e2] == ["ticket.assigned", "work_order.issued"]
    assert a3.state == "queued" and a3.agent_id is None
    assert [e.type for e in e3] == ["ticket.queued"]

    assert all(a.active_count == a.capacity == 1 for a in await _agents(store, "tech_support"))
    async with store.sessions() as session:
        queue = await dispatch_repository.queue(session, "tech_support", 10)
    assert [q.ticket_id for q in queue] == [tickets[2]]


async def test_dispatch_round_robins_among_equally_loaded_agents(store: DispatchStore) -> None:
    async with store.uow() as uow:
        await add_demo_agents(uow, capacity=5)
        await uow.commit()
    order = []
    for _ in range(4):
        assignment, _ = await _dispatch(store, triaged(uuid.uuid4(), **URGENT))
        assert assignment is not None and assignment.agent_id is not None
        order.append(assignment.agent_id)
    assert order[0] != order[1]
    assert order[2:] == order[:2], "ties go to whoever waited longest"
    assert {a.active_count for a in await _agents(store, "tech_support")} == {2}


async def test_dispatch_twice_assigns_once(store: DispatchStore) -> None:
    async with store.uow() as uow:
        await add_demo_agents(uow, capacity=5)
        await uow.commit()
    ticket_id = uuid.uuid4()
    event = triaged(ticket_id, **URGENT)
    first, _ = await _dispatch(store, event)
    second, emitted = await _dispatch(store, event)
    assert first is not None and second is None
    assert emitted == []
    async with store.sessions() as session:
        rows = (
            await session.scalars(sa.select(Assignment).where(Assignment.ticket_id == ticket_id))
        ).all()
    assert len(rows) == 1
    assert sum(a.active_count for a in await _agents(store, "tech_support")) == 1
    assert len(await store.outbox()) == 2


async def test_assignment_emits_ticket_assigned_and_a_work_order(store: DispatchStore) -> None:
    async with store.uow() as uow:
        await add_demo_agents(uow, capacity=5)
        await uow.commit()
    ticket_id = uuid.uuid4()
    assignment, _ = await act(
        store,
        reactions.dispatch_ticket,
        triaged(ticket_id, priority="P1", respond=URGENT["respond"]),
    )
    assert assignment is not None
    rows = await store.outbox()
    by_type = {row.type: row for row in rows}
    assert set(by_type) == {"ticket.assigned", "work_order.issued"}
    assert by_type["ticket.assigned"].topic == "test.dispatch"
    assert by_type["work_order.issued"].topic == "test.assignments.tech_support"
    assert all(row.key == str(ticket_id) for row in rows)
    assigned = parse_event(by_type["ticket.assigned"].payload)
    order = parse_event(by_type["work_order.issued"].payload)
    assert isinstance(assigned, TicketAssigned)
    assert assigned.data.agent_id == assignment.agent_id
    assert assigned.data.supervisor_notified is True  # P1 is reported to the supervisor
    assert order.data.agent_id == assignment.agent_id  # type: ignore[attr-defined]
    assert order.data.respond_by == T0 + timedelta(minutes=30)  # type: ignore[attr-defined]
    assert order.data.links["assignment"].endswith(str(assignment.id))  # type: ignore[attr-defined]


# PostgreSQL only: SQLite has one writer at a time, so there is no race to lose.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_concurrent_dispatch_never_overfills_an_agent(store: DispatchStore) -> None:
    async with store.uow() as uow:
        await add_demo_agents(uow, capacity=3)
        await uow.commit()
    tickets = [uuid.uuid4() for _ in range(20)]
    events = [triaged(t, ticket_no=f"T20261122-{i:06d}", **URGENT) for i, t in enumerate(tickets)]

    # Two consumer replicas, each with one batch in one transaction.
    async def batch(part: list[TicketTriaged]) -> None:
        async with store.uow() as uow:
            for event in part:
                await reactions.dispatch_ticket(uow, event)
                await asyncio.sleep(0)
            await uow.commit()

    await asyncio.gather(batch(events[0::2]), batch(events[1::2]))

    # Then both replicas see every ticket again (a rebalance), one transaction each.
    async def one_by_one(part: list[TicketTriaged]) -> int:
        lost = 0
        for event in part:
            async with store.uow() as uow:
                try:
                    await reactions.dispatch_ticket(uow, event)
                    await uow.commit()
                except IntegrityError:
                    lost += 1
        return lost

    extra = [triaged(uuid.uuid4(), ticket_no=f"T20261123-{i:06d}", **URGENT) for i in range(10)]
    await asyncio.gather(one_by_one(events + extra), one_by_one(list(reversed(events + extra))))

    async with store.sessions() as session:
        agents = (
            await session.scalars(sa.select(Agent).where(Agent.team_key == "tech_support"))
        ).all()
        assignments = (await session.scalars(sa.select(Assignment))).all()
    assert len(agents) == 2
    per_ticket: dict[uuid.UUID, int] = {}
    per_agent: dict[uuid.UUID, int] = {}
    for a in assignments:
        per_ticket[a.ticket_id] = per_ticket.get(a.ticket_id, 0) + 1
        if a.agent_id is not None:
            assert a.state == "assigned"
            per_agent[a.agent_id] = per_agent.get(a.agent_id, 0) + 1
    assert set(per_ticket) == set(tickets) | {e.ticket_id for e in extra}
    assert max(per_ticket.values()) == 1, "a ticket was assigned twice"
    for agent in agents:
        assert agent.active_count <= agent.capacity == 3
        assert per_agent.get(agent.id, 0) == agent.active_count
    assert sum(per_agent.values()) >= 3  # the agents did get work
