"""Analytics' projection of lifecycle events into ticket facts; the caller commits.

Each projection fills in only its own columns and moves the state only
forward, so events may arrive in any order, and twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.analytics import domain, repository
from services.analytics.models import TicketFact
from shared.events import Envelope, TicketAssigned, TicketQueued, TicketReceived, TicketTriaged
from shared.outbox import UnitOfWork


async def _facts(uow: UnitOfWork, events: Sequence[Envelope]) -> dict[uuid.UUID, TicketFact]:
    """The fact row of each event's ticket, locked; created (state ``new``) when missing."""
    ids = [e.ticket_id for e in events if e.ticket_id is not None]
    facts = await repository.facts_for_update(uow.session, ids)
    for ticket_id in ids:
        if ticket_id not in facts:
            facts[ticket_id] = TicketFact(ticket_id=ticket_id, state="new")
            repository.add(uow.session, facts[ticket_id])
    return facts


async def project_received(uow: UnitOfWork, events: Sequence[TicketReceived]) -> None:
    facts = await _facts(uow, events)
    for event in events:
        assert event.ticket_id is not None
        fact, data = facts[event.ticket_id], event.data
        fact.ticket_no = data.ticket_no
        fact.channel = data.channel
        fact.customer_type = data.customer_type
        fact.masked_contact = data.masked_contact
        fact.subject = data.subject
        fact.received_at = data.received_at
        fact.state = domain.advanced_state(fact.state, "received")


async def project_triaged(uow: UnitOfWork, events: Sequence[TicketTriaged]) -> None:
    facts = await _facts(uow, events)
    for event in events:
        assert event.ticket_id is not None
        fact, data = facts[event.ticket_id], event.data
        fact.ticket_no = data.ticket_no
        fact.category = data.category
        fact.scene = data.scene
        fact.priority = data.priority
        fact.team = data.team
        fact.respond_by = data.deadlines.respond_by
        fact.resolve_by = data.deadlines.resolve_by
        fact.triaged_at = event.occurred_at
        fact.state = domain.advanced_state(fact.state, "triaged")


async def project_queued(uow: UnitOfWork, events: Sequence[TicketQueued]) -> None:
    facts = await _facts(uow, events)
    for event in events:
        assert event.ticket_id is not None
        fact = facts[event.ticket_id]
        fact.queued_at = event.occurred_at
        fact.state = domain.advanced_state(fact.state, "queued")


async def project_assigned(uow: UnitOfWork, events: Sequence[TicketAssigned]) -> None:
    facts = await _facts(uow, events)
    for event in events:
        assert event.ticket_id is not None
        fact = facts[event.ticket_id]
        fact.team = event.data.team
        fact.agent_name = event.data.agent_name
        fact.assigned_at = event.data.assigned_at
        fact.state = domain.advanced_state(fact.state, "assigned")
