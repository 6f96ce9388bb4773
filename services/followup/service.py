"""Follow-up's use cases; the caller commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.followup import domain, repository
from services.followup.settings import FollowupSettings
from shared.events import TicketTriaged
from shared.outbox import UnitOfWork


async def open_clocks(uow: UnitOfWork, event: TicketTriaged, settings: FollowupSettings) -> None:
    """Start the response and resolution clocks from triage's deadlines."""
    assert event.ticket_id is not None
    started = event.occurred_at
    deadlines = event.data.deadlines
    for kind, due in (("response", deadlines.respond_by), ("resolution", deadlines.resolve_by)):
        clock = await repository.clock_for_update(uow.session, event.ticket_id, kind)
        clock.priority = event.data.priority
        clock.team = event.data.team
        clock.started_at = started
        clock.due_at = due
        clock.warn_at = domain.warning_time(started, due, settings.warning_lead)
        if clock.stopped_at is not None:  # the stop arrived first
            clock.state = domain.stop_state(due, clock.stopped_at)


async def stop_clock(uow: UnitOfWork, ticket_id: uuid.UUID, kind: str, at: datetime) -> None:
    clock = await repository.clock_for_update(uow.session, ticket_id, kind)
    if clock.stopped_at is not None:
        return
    clock.stopped_at = at
    clock.state = domain.stop_state(clock.due_at, at)
