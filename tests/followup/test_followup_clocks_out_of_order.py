"""Follow-up's SLA clocks when an agent's acceptance arrives before triage's decision, and
when acceptances repeat, on a store migrated with Alembic (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from eventkit import T0, triaged
from followup_support import FollowupStore

from shared.events import TicketTriaged


def _decided(ticket_id: uuid.UUID) -> TicketTriaged:
    """A P0 decision made a second after T0: respond within 30 minutes, resolve within 4 h."""
    return triaged(
        ticket_id,
        priority="P0",
        at=T0 + timedelta(seconds=1),
        since=T0,
        respond=timedelta(minutes=30),
        resolve=timedelta(hours=4),
    )


async def test_accepted_before_triaged_still_meets_the_response_clock(
    store: FollowupStore,
) -> None:
    ticket_id = uuid.uuid4()
    await store.stop(ticket_id, "response", T0 + timedelta(minutes=10))
    decided = _decided(ticket_id)
    await store.open(decided)

    clocks = await store.clocks(ticket_id)
    assert set(clocks) == {"response", "resolution", "update"}
    response, resolution = clocks["response"], clocks["resolution"]
    assert response.state == "met"
    assert response.stopped_at == T0 + timedelta(minutes=10)
    assert response.due_at == T0 + timedelta(minutes=30)
    assert resolution.state == "running"
    assert resolution.stopped_at is None
    assert resolution.due_at == T0 + timedelta(hours=4)
    assert resolution.started_at == decided.occurred_at
    assert resolution.warn_at is not None and resolution.warn_at < resolution.due_at
    assert response.warn_at is not None and response.warn_at < response.due_at
    assert (response.priority, response.team) == ("P0", "tech_support")


async def test_late_accept_seen_before_triage_ends_breached(store: FollowupStore) -> None:
    ticket_id = uuid.uuid4()
    await store.stop(ticket_id, "response", T0 + timedelta(hours=1))
    await store.open(_decided(ticket_id))
    clocks = await store.clocks(ticket_id)
    assert clocks["response"].state == "breached"
    assert clocks["resolution"].state == "running"


async def test_followup_in_order_and_a_second_stop_changes_nothing(store: FollowupStore) -> None:
    ticket_id = uuid.uuid4()
    await store.open(_decided(ticket_id))
    for at in (T0 + timedelta(minutes=45), T0 + timedelta(minutes=5)):
        await store.stop(ticket_id, "response", at)
    clocks = await store.clocks(ticket_id)
    assert clocks["response"].state == "breached"
    assert clocks["response"].stopped_at == T0 + timedelta(minutes=45)
