"""Analytics' projection of lifecycle events into ticket facts; the caller commits."""

from __future__ import annotations

from services.analytics import domain, repository
from shared.events import TicketAssigned, TicketQueued, TicketReceived, TicketTriaged
from shared.outbox import UnitOfWork


async def project_received(uow: UnitOfWork, event: TicketReceived) -> None:
    assert event.ticket_id is not None
    fact = await repository.fact_for_update(uow.session, event.ticket_id)
    data = event.data
    fact.ticket_no = data.ticket_no
    fact.channel = data.channel
    fact.customer_type = data.customer_type
    fact.masked_contact = data.masked_contact
    fact.subject = data.subject
    fact.received_at = data.received_at
    fact.state = domain.advanced_state(fact.state, "received")


async def project_triaged(uow: UnitOfWork, event: TicketTriaged) -> None:
    assert event.ticket_id is not None
    fact = await repository.fact_for_update(uow.session, event.ticket_id)
    data = event.data
    fact.ticket_no = data.ticket_no
    fact.category = data.category
    fact.scene = data.scene
    fact.priority = data.priority
    fact.team = data.team
    fact.respond_by = data.deadlines.respond_by
    fact.resolve_by = data.deadlines.resolve_by
    fact.triaged_at = event.occurred_at
    fact.state = domain.advanced_state(fact.state, "triaged")


async def project_queued(uow: UnitOfWork, event: TicketQueued) -> None:
    assert event.ticket_id is not None
    fact = await repository.fact_for_update(uow.session, event.ticket_id)
    fact.queued_at = event.occurred_at
    fact.state = domain.advanced_state(fact.state, "queued")


async def project_assigned(uow: UnitOfWork, event: TicketAssigned) -> None:
    assert event.ticket_id is not None
    fact = await repository.fact_for_update(uow.session, event.ticket_id)
    fact.team = event.data.team
    fact.agent_name = event.data.agent_name
    fact.assigned_at = event.data.assigned_at
    fact.state = domain.advanced_state(fact.state, "assigned")
