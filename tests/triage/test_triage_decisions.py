"""Triage deciding on a received ticket through the use case, on a store migrated with
Alembic (SQLite and PostgreSQL): one decision per ticket, its deadlines, a VIP's priority."""

from __future__ import annotations

import uuid
from datetime import timedelta

from eventkit import T0, received
from testkit import ServiceStore

from services.triage import service as triage_service
from services.triage.models import TriageDecision
from services.triage.settings import TriageSettings
from shared.events import TicketTriaged, parse_event


async def test_triage_decides_once_and_emits_deadlines(store: ServiceStore) -> None:
    ticket_id = uuid.uuid4()
    event = received(ticket_id, subject="账号无法登录")
    async with store.uow() as uow:
        decision = await triage_service.triage_ticket(uow, event, TriageSettings())
        await uow.commit()
    assert decision is not None
    async with store.uow() as uow:
        assert await triage_service.triage_ticket(uow, event, TriageSettings()) is None
        await uow.commit()

    async with store.sessions() as session:
        stored = await session.get(TriageDecision, ticket_id)
    assert stored is not None
    assert (stored.category, stored.priority, stored.team) == ("fault", "P0", "tech_support")
    assert stored.respond_by == T0 + timedelta(minutes=30)
    assert stored.resolve_by == T0 + timedelta(hours=4)
    assert stored.explanation and stored.keywords == ["无法登录", "密码错误"]

    rows = await store.outbox()
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


async def test_triage_raises_vip_priority(store: ServiceStore) -> None:
    event = received(
        uuid.uuid4(), subject="物流延迟", description="三天了还没到", customer_type="vip"
    )
    async with store.uow() as uow:
        decision = await triage_service.triage_ticket(uow, event, TriageSettings())
        await uow.commit()
    assert decision is not None
    assert (decision.priority, decision.team) == ("P0", "logistics")
    emitted = parse_event((await store.outbox())[0].payload)
    assert emitted.data.deadlines.respond_by == T0 + timedelta(minutes=30)  # type: ignore[attr-defined]
