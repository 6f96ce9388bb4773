"""Service logic on a real store migrated with Alembic (SQLite and PostgreSQL).

The use cases are driven through a :class:`shared.outbox.UnitOfWork` built by hand,
so no broker is needed.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flows_support import (
    RAW_PHONE,
    T0,
    assigned_event,
    outbox_events,
    received_event,
    ticket_payload,
    triaged_event,
)
from sqlalchemy.exc import IntegrityError
from testkit import ServiceStore as Store
from testkit import migrated_store as migrated

from services.analytics import service as analytics_service
from services.analytics.models import TicketFact
from services.dispatch import repository as dispatch_repository
from services.dispatch.app import MIGRATIONS as DISPATCH_MIGRATIONS
from services.dispatch.models import BUS as DISPATCH_BUS
from services.dispatch.models import Agent, Assignment
from services.dispatch.reactions import dispatch_ticket
from services.dispatch.roster import add_demo_agents
from services.followup.models import SlaClock
from services.followup.settings import FollowupSettings
from services.followup.sla_clocks import open_clocks, stop_clock
from services.intake.models import Customer, Ticket, TimelineEntry
from services.intake.reception import receive_ticket
from services.intake.settings import IntakeSettings
from services.triage import service as triage_service
from services.triage.models import TriageDecision
from services.triage.settings import TriageSettings
from shared.errors import ApiError
from shared.events import (
    AgentActionData,
    Envelope,
    TicketAccepted,
    TicketAssigned,
    TicketReceived,
    TicketTriaged,
    parse_event,
    utcnow,
)
from shared.outbox import UnitOfWork

# --------------------------------------------------------------------------- intake


async def test_receive_ticket_writes_customer_ticket_and_a_masked_event(
    intake_store: Store,
) -> None:
    settings = IntakeSettings()
    async with intake_store.uow() as uow:
        result = await receive_ticket(uow, ticket_payload(), "key-1", settings)
        await uow.commit()
    assert not result.replayed
    ticket = result.ticket
    assert ticket.status == "received"
    assert ticket.customer_type == "new"
    assert ticket.ticket_no in ticket.acknowledgement

    async with intake_store.sessions() as session:
        customer = await session.get(Customer, ticket.customer_id)
        stored = await session.get(Ticket, ticket.id)
        timeline = (
            await session.scalars(
                sa.select(TimelineEntry).where(TimelineEntry.ticket_id == ticket.id)
            )
        ).all()
    assert customer is not None and customer.phone == "+8613812345678"
    assert customer.ticket_count == 1
    assert stored is not None and stored.idempotency_key == "key-1"
    assert [entry.kind for entry in timeline] == ["received"]

    # The acknowledgement also goes out on the notifications topic (the one topic that
    # may carry the raw contact); the lifecycle event on the intake topic is masked.
    all_rows = await intake_store.outbox()
    assert [(r.type, r.topic) for r in all_rows] == [
        ("ticket.received", "test.intake"),
        ("notification.outgoing", "test.notifications"),
    ]
    rows = [r for r in all_rows if r.topic == "test.intake"]
    assert len(rows) == 1
    row = rows[0]
    assert (row.type, row.topic, row.key) == ("ticket.received", "test.intake", str(ticket.id))
    assert row.published_at is None
    event = parse_event(row.payload)
    assert isinstance(event, TicketReceived)
    assert event.ticket_id == ticket.id
    assert event.producer == "intake"
    assert event.data.masked_contact == "138****5678"
    assert event.data.customer_id == customer.id
    assert event.data.ticket_no == ticket.ticket_no
    for raw in (RAW_PHONE, "+8613812345678", "12345678"):
        assert raw not in row.payload, f"raw phone digits {raw!r} leaked into the event"
        assert raw not in json.dumps(row.headers)


async def test_same_idempotency_key_replays_the_same_ticket(intake_store: Store) -> None:
    settings = IntakeSettings()
    async with intake_store.uow() as uow:
        first = await receive_ticket(uow, ticket_payload(), "same-key", settings)
        await uow.commit()
    async with intake_store.uow() as uow:
        again = await receive_ticket(uow, ticket_payload(), "same-key", settings)
        await uow.commit()
    assert again.replayed
    assert again.ticket.id == first.ticket.id
    assert again.ticket.ticket_no == first.ticket.ticket_no
    assert [r.type for r in await intake_store.outbox()] == [
        "ticket.received",
        "notification.outgoing",  # the acknowledgement, sent once
    ]
    assert await intake_store.count(Ticket) == 1
    async with intake_store.sessions() as session:
        customer = await session.get(Customer, first.ticket.customer_id)
    assert customer is not None and customer.ticket_count == 1


async def test_second_ticket_of_a_phone_is_returning_and_numbers_are_sequential(
    intake_store: Store,
) -> None:
    settings = IntakeSettings()
    tickets = []
    # The same number written two ways is the same customer (with a different issue, so
    # the second request is not de-duplicated onto the first ticket).
    for phone, subject in ((RAW_PHONE, "账号无法登录"), ("+86 138 1234 5678", "发票抬头开错了")):
        body = ticket_payload(phone, subject=subject, description=f"{subject},请尽快处理。")
        async with intake_store.uow() as uow:
            tickets.append((await receive_ticket(uow, body, None, settings)).ticket)
            await uow.commit()
    first, second = tickets
    assert second.customer_id == first.customer_id
    assert (first.customer_type, second.customer_type) == ("new", "returning")
    # Numbered by the date in the service team's time zone, not by UTC's.
    day = utcnow().astimezone(ZoneInfo(settings.display_timezone)).strftime("%Y%m%d")
    assert [t.ticket_no for t in tickets] == [f"T{day}-000001", f"T{day}-000002"]
    assert await intake_store.count(Customer) == 1
    events = [e for e in outbox_events(await intake_store.outbox()) if e.type == "ticket.received"]
    assert [e.data.customer_type for e in events] == ["new", "returning"]  # type: ignore[attr-defined]


async def test_invalid_phone_is_an_api_error_and_writes_nothing(intake_store: Store) -> None:
    async with intake_store.uow() as uow:
        with pytest.raises(ApiError) as caught:
            await receive_ticket(uow, ticket_payload("12345"), "bad-phone", IntakeSettings())
        await uow.rollback()
    assert caught.value.status == 422
    assert caught.value.code == "invalid_phone"
    assert await intake_store.count(Customer) == 0
    assert await intake_store.count(Ticket) == 0
    assert await intake_store.outbox() == []


# --------------------------------------------------------------------------- triage


async def test_triage_decides_once_and_emits_deadlines(triage_store: Store) -> None:
    ticket_id = uuid.uuid4()
    event = received_event(ticket_id, subject="账号无法登录")
    async with triage_store.uow() as uow:
        decision = await triage_service.triage_ticket(uow, event, TriageSettings())
        await uow.commit()
    assert decision is not None
    async with triage_store.uow() as uow:
        assert await triage_service.triage_ticket(uow, event, TriageSettings()) is None
        await uow.commit()

    async with triage_store.sessions() as session:
        stored = await session.get(TriageDecision, ticket_id)
    assert stored is not None
    assert (stored.category, stored.priority, stored.team) == ("fault", "P0", "tech_support")
    assert stored.respond_by == T0 + timedelta(minutes=30)
    assert stored.resolve_by == T0 + timedelta(hours=4)
    assert stored.explanation and stored.keywords == ["无法登录", "密码错误"]

    rows = await triage_store.outbox()
    assert len(rows) == 1
    assert (rows[0].type, rows[0].topic) == ("ticket.triaged", "test.triage")
    emitted = parse_event(rows[0].payload)
    assert isinstance(emitted, TicketTriaged)
    assert emitted.ticket_id == ticket_id
    assert emitted.data.team == "tech_support"
    assert emitted.data.deadlines.respond_by == T0 + timedelta(minutes=30)
    assert emitted.data.deadlines.resolve_by == T0 + timedelta(hours=4)
    assert emitted.data.deadlines.policy == "cross-industry"
    # The masked contact travels on to dispatch's work orders.
    assert emitted.data.masked_contact == "138****5678"


async def test_triage_raises_vip_priority(triage_store: Store) -> None:
    event = received_event(
        uuid.uuid4(), subject="物流延迟", description="三天了还没到", customer_type="vip"
    )
    async with triage_store.uow() as uow:
        decision = await triage_service.triage_ticket(uow, event, TriageSettings())
        await uow.commit()
    assert decision is not None
    assert (decision.priority, decision.team) == ("P0", "logistics")
    emitted = parse_event((await triage_store.outbox())[0].payload)
    assert emitted.data.deadlines.respond_by == T0 + timedelta(minutes=30)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- dispatch


async def _dispatch(store: Store, event: TicketTriaged) -> tuple[Assignment | None, list[Envelope]]:
    async with store.uow() as uow:
        assignment = await dispatch_ticket(uow, event)
        emitted = uow.emitted
        await uow.commit()
    return assignment, emitted


async def _agents(store: Store, team: str) -> list[Agent]:
    async with store.sessions() as session:
        return list(await dispatch_repository.list_agents(session, team))


async def test_dispatch_least_loaded_then_queue(dispatch_store: Store) -> None:
    async with dispatch_store.uow() as uow:
        assert await add_demo_agents(uow, capacity=1) == 14
        await uow.commit()
    async with dispatch_store.uow() as uow:
        assert await add_demo_agents(uow, capacity=1) == 0  # idempotent
        await uow.commit()

    tickets = [uuid.uuid4() for _ in range(3)]
    results = [
        await _dispatch(dispatch_store, triaged_event(t, ticket_no=f"T20261122-00000{i}"))
        for i, t in enumerate(tickets, 1)
    ]
    (a1, e1), (a2, e2), (a3, e3) = results
    assert a1 is not None and a2 is not None and a3 is not None
    assert a1.state == a2.state == "assigned"
    assert a1.agent_id is not None and a2.agent_id is not None
    assert a1.agent_id != a2.agent_id
    team_agents = {a.id for a in await _agents(dispatch_store, "tech_support")}
    assert {a1.agent_id, a2.agent_id} == team_agents
    assert [e.type for e in e1] == ["ticket.assigned", "work_order.issued"]
    assert [e.type for e in e2] == ["ticket.assigned", "work_order.issued"]
    assert a3.state == "queued" and a3.agent_id is None
    assert [e.type for e in e3] == ["ticket.queued"]

    assert all(
        a.active_count == a.capacity == 1 for a in await _agents(dispatch_store, "tech_support")
    )
    async with dispatch_store.sessions() as session:
        queue = await dispatch_repository.queue(session, "tech_support", 10)
    assert [q.ticket_id for q in queue] == [tickets[2]]


async def test_dispatch_round_robins_among_equally_loaded_agents(dispatch_store: Store) -> None:
    async with dispatch_store.uow() as uow:
        await add_demo_agents(uow, capacity=5)
        await uow.commit()
    order = []
    for _ in range(4):
        assignment, _ = await _dispatch(dispatch_store, triaged_event(uuid.uuid4()))
        assert assignment is not None and assignment.agent_id is not None
        order.append(assignment.agent_id)
    assert order[0] != order[1]
    assert order[2:] == order[:2], "ties go to whoever waited longest"
    assert {a.active_count for a in await _agents(dispatch_store, "tech_support")} == {2}


async def test_dispatch_twice_assigns_once(dispatch_store: Store) -> None:
    async with dispatch_store.uow() as uow:
        await add_demo_agents(uow, capacity=5)
        await uow.commit()
    ticket_id = uuid.uuid4()
    event = triaged_event(ticket_id)
    first, _ = await _dispatch(dispatch_store, event)
    second, emitted = await _dispatch(dispatch_store, event)
    assert first is not None and second is None
    assert emitted == []
    async with dispatch_store.sessions() as session:
        rows = (
            await session.scalars(sa.select(Assignment).where(Assignment.ticket_id == ticket_id))
        ).all()
    assert len(rows) == 1
    assert sum(a.active_count for a in await _agents(dispatch_store, "tech_support")) == 1
    assert len(await dispatch_store.outbox()) == 2


async def test_assignment_emits_ticket_assigned_and_a_work_order(dispatch_store: Store) -> None:
    async with dispatch_store.uow() as uow:
        await add_demo_agents(uow, capacity=5)
        await uow.commit()
    ticket_id = uuid.uuid4()
    assignment, _ = await _dispatch(dispatch_store, triaged_event(ticket_id, priority="P1"))
    assert assignment is not None
    rows = await dispatch_store.outbox()
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
async def test_concurrent_dispatch_never_overfills_an_agent(database_url: str) -> None:
    async with migrated(database_url, DISPATCH_MIGRATIONS, DISPATCH_BUS, "dispatch") as store:
        async with store.uow() as uow:
            await add_demo_agents(uow, capacity=3)
            await uow.commit()
        tickets = [uuid.uuid4() for _ in range(20)]
        events = [triaged_event(t, ticket_no=f"T20261122-{i:06d}") for i, t in enumerate(tickets)]

        # Two consumer replicas, each with one batch in one transaction.
        async def batch(part: list[TicketTriaged]) -> None:
            async with store.uow() as uow:
                for event in part:
                    await dispatch_ticket(uow, event)
                    await asyncio.sleep(0)
                await uow.commit()

        await asyncio.gather(batch(events[0::2]), batch(events[1::2]))

        # Then both replicas see every ticket again (a rebalance), one transaction each.
        async def one_by_one(part: list[TicketTriaged]) -> int:
            lost = 0
            for event in part:
                async with store.uow() as uow:
                    try:
                        await dispatch_ticket(uow, event)
                        await uow.commit()
                    except IntegrityError:
                        lost += 1
            return lost

        extra = [triaged_event(uuid.uuid4(), ticket_no=f"T20261123-{i:06d}") for i in range(10)]
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


# --------------------------------------------------------------------------- followup


async def _clocks(store: Store, ticket_id: uuid.UUID) -> dict[str, SlaClock]:
    async with store.sessions() as session:
        rows = (
            await session.scalars(sa.select(SlaClock).where(SlaClock.ticket_id == ticket_id))
        ).all()
    return {clock.kind: clock for clock in rows}


def _accepted(ticket_id: uuid.UUID, at: datetime) -> TicketAccepted:
    return TicketAccepted(
        ticket_id=ticket_id, occurred_at=at, data=AgentActionData(assignment_id=uuid.uuid4(), at=at)
    )


async def test_accepted_before_triaged_still_meets_the_response_clock(
    followup_store: Store,
) -> None:
    settings = FollowupSettings()
    ticket_id = uuid.uuid4()
    async with followup_store.uow() as uow:
        accepted = _accepted(ticket_id, T0 + timedelta(minutes=10))
        await stop_clock(uow, ticket_id, "response", accepted.data.at)
        await uow.commit()
    triaged = triaged_event(ticket_id)
    async with followup_store.uow() as uow:
        await open_clocks(uow, [triaged], settings)
        await uow.commit()

    clocks = await _clocks(followup_store, ticket_id)
    assert set(clocks) == {"response", "resolution", "update"}
    response, resolution = clocks["response"], clocks["resolution"]
    assert response.state == "met"
    assert response.stopped_at == T0 + timedelta(minutes=10)
    assert response.due_at == T0 + timedelta(minutes=30)
    assert resolution.state == "running"
    assert resolution.stopped_at is None
    assert resolution.due_at == T0 + timedelta(hours=4)
    assert resolution.started_at == triaged.occurred_at
    assert resolution.warn_at is not None and resolution.warn_at < resolution.due_at
    assert response.warn_at is not None and response.warn_at < response.due_at
    assert (response.priority, response.team) == ("P0", "tech_support")


async def test_late_accept_seen_before_triage_ends_breached(followup_store: Store) -> None:
    ticket_id = uuid.uuid4()
    async with followup_store.uow() as uow:
        await stop_clock(uow, ticket_id, "response", T0 + timedelta(hours=1))
        await uow.commit()
    async with followup_store.uow() as uow:
        await open_clocks(uow, [triaged_event(ticket_id)], FollowupSettings())
        await uow.commit()
    clocks = await _clocks(followup_store, ticket_id)
    assert clocks["response"].state == "breached"
    assert clocks["resolution"].state == "running"


async def test_followup_in_order_and_a_second_stop_changes_nothing(followup_store: Store) -> None:
    ticket_id = uuid.uuid4()
    async with followup_store.uow() as uow:
        await open_clocks(uow, [triaged_event(ticket_id)], FollowupSettings())
        await uow.commit()
    for at in (T0 + timedelta(minutes=45), T0 + timedelta(minutes=5)):
        async with followup_store.uow() as uow:
            await stop_clock(uow, ticket_id, "response", at)
            await uow.commit()
    clocks = await _clocks(followup_store, ticket_id)
    assert clocks["response"].state == "breached"
    assert clocks["response"].stopped_at == T0 + timedelta(minutes=45)


# --------------------------------------------------------------------------- analytics

_PROJECT: dict[str, Callable[[UnitOfWork, Any], Awaitable[None]]] = {
    "ticket.received": analytics_service.project_received,
    "ticket.triaged": analytics_service.project_triaged,
    "ticket.assigned": analytics_service.project_assigned,
}

# Each builder call makes a new agent id, so two tickets' facts differ there.
_FACT_COLUMNS = [
    c.key
    for c in TicketFact.__table__.columns
    if c.key not in ("ticket_id", "agent_id", "first_agent_id")
]


async def _fact(store: Store, ticket_id: uuid.UUID) -> dict[str, Any]:
    async with store.sessions() as session:
        rows = (
            await session.scalars(sa.select(TicketFact).where(TicketFact.ticket_id == ticket_id))
        ).all()
    assert len(rows) == 1
    return {column: getattr(rows[0], column) for column in _FACT_COLUMNS}


def _lifecycle(ticket_id: uuid.UUID) -> dict[str, Envelope]:
    return {
        "ticket.received": received_event(ticket_id),
        "ticket.triaged": triaged_event(ticket_id),
        "ticket.assigned": assigned_event(ticket_id),
    }


async def test_analytics_one_batch_out_of_order_equals_in_order(analytics_store: Store) -> None:
    batched, ordered = uuid.uuid4(), uuid.uuid4()

    events = _lifecycle(batched)
    async with analytics_store.uow() as uow:  # one consumer batch, arriving out of order
        for kind in ("ticket.assigned", "ticket.received", "ticket.triaged"):
            await _PROJECT[kind](uow, [events[kind]])
        await uow.commit()

    events = _lifecycle(ordered)
    for kind in ("ticket.received", "ticket.triaged", "ticket.assigned"):
        async with analytics_store.uow() as uow:
            await _PROJECT[kind](uow, [events[kind]])
            await uow.commit()

    fact = await _fact(analytics_store, batched)
    assert fact["state"] == "assigned"
    assert fact["channel"] == "web_chat"
    assert fact["category"] == "fault"
    assert fact["priority"] == "P0"
    assert fact["agent_name"] == "tech_support-agent-1"
    assert fact["masked_contact"] == "138****5678"
    assert fact["received_at"] == T0
    assert fact["resolve_by"] == T0 + timedelta(hours=4)
    assert fact == await _fact(analytics_store, ordered)
    assert await analytics_store.count(TicketFact) == 2


async def test_analytics_late_received_does_not_move_state_back(analytics_store: Store) -> None:
    ticket_id = uuid.uuid4()
    events = _lifecycle(ticket_id)
    for kind in ("ticket.triaged", "ticket.assigned", "ticket.received"):
        async with analytics_store.uow() as uow:
            await _PROJECT[kind](uow, [events[kind]])
            await uow.commit()
    fact = await _fact(analytics_store, ticket_id)
    assert fact["state"] == "assigned"
    assert fact["channel"] == "web_chat"
