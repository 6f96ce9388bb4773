"""Analytics' ticket facts do not depend on the order events arrive in, within one consumer
batch or across batches, on a store migrated with Alembic (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from analytics_support import AnalyticsStore, apply, as_dict
from eventkit import T0, assigned, received, triaged

from services.analytics.models import TicketFact
from shared.events import Envelope


def _lifecycle(ticket_id: uuid.UUID) -> dict[str, Envelope]:
    return {
        "ticket.received": received(ticket_id),
        "ticket.triaged": triaged(
            ticket_id,
            priority="P0",
            at=T0 + timedelta(seconds=1),
            since=T0,
            respond=timedelta(minutes=30),
            resolve=timedelta(hours=4),
        ),
        "ticket.assigned": assigned(ticket_id),
    }


async def _fact(store: AnalyticsStore, ticket_id: uuid.UUID) -> dict[str, Any]:
    fact = as_dict(await store.fact(ticket_id))
    # Each builder call makes a new agent id, so two tickets' facts differ there.
    for column in ("ticket_id", "agent_id", "first_agent_id"):
        del fact[column]
    return fact


async def test_analytics_one_batch_out_of_order_equals_in_order(store: AnalyticsStore) -> None:
    batched, ordered = uuid.uuid4(), uuid.uuid4()

    events = _lifecycle(batched)  # one consumer batch, arriving out of order
    await apply(
        store, [events[k] for k in ("ticket.assigned", "ticket.received", "ticket.triaged")]
    )
    events = _lifecycle(ordered)
    in_order = [events[k] for k in ("ticket.received", "ticket.triaged", "ticket.assigned")]
    await apply(store, in_order, batch=False)

    fact = await _fact(store, batched)
    assert fact["state"] == "assigned"
    assert fact["channel"] == "web_chat"
    assert fact["category"] == "fault"
    assert fact["priority"] == "P0"
    assert fact["agent_name"] == "tech_support-agent-1"
    assert fact["masked_contact"] == "138****5678"
    assert fact["received_at"] == T0
    assert fact["resolve_by"] == T0 + timedelta(hours=4)
    assert fact == await _fact(store, ordered)
    assert await store.count(TicketFact) == 2


async def test_analytics_late_received_does_not_move_state_back(store: AnalyticsStore) -> None:
    ticket_id = uuid.uuid4()
    events = _lifecycle(ticket_id)
    late = [events[k] for k in ("ticket.triaged", "ticket.assigned", "ticket.received")]
    await apply(store, late, batch=False)
    fact = await _fact(store, ticket_id)
    assert fact["state"] == "assigned"
    assert fact["channel"] == "web_chat"
