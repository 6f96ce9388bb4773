"""Follow-up's use cases; the caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from services.followup import domain, repository
from services.followup.models import SlaClock
from services.followup.settings import FollowupSettings
from shared.events import TicketTriaged
from shared.outbox import UnitOfWork


class _Clocks:
    """The clocks one batch touches: loaded once, locked, created when missing."""

    def __init__(self, uow: UnitOfWork, loaded: dict[tuple[uuid.UUID, str], SlaClock]) -> None:
        self._uow = uow
        self._clocks = loaded

    @classmethod
    async def load(cls, uow: UnitOfWork, ticket_ids: Sequence[uuid.UUID]) -> _Clocks:
        return cls(uow, await repository.clocks_for_update(uow.session, ticket_ids))

    def get(self, ticket_id: uuid.UUID, kind: str) -> SlaClock:
        clock = self._clocks.get((ticket_id, kind))
        if clock is None:
            clock = SlaClock(id=uuid.uuid4(), ticket_id=ticket_id, kind=kind, state="running")
            repository.add(self._uow.session, clock)
            self._clocks[(ticket_id, kind)] = clock
        return clock


async def open_clocks(
    uow: UnitOfWork, events: Sequence[TicketTriaged], settings: FollowupSettings
) -> None:
    """Start the response and resolution clocks from triage's deadlines."""
    clocks = await _Clocks.load(uow, [e.ticket_id for e in events if e.ticket_id])
    for event in events:
        assert event.ticket_id is not None
        started = event.occurred_at
        deadlines = event.data.deadlines
        for kind, due in (("response", deadlines.respond_by), ("resolution", deadlines.resolve_by)):
            clock = clocks.get(event.ticket_id, kind)
            clock.priority = event.data.priority
            clock.team = event.data.team
            clock.started_at = started
            clock.due_at = due
            clock.warn_at = domain.warning_time(started, due, settings.warning_lead)
            if clock.stopped_at is not None:  # the stop arrived first
                clock.state = domain.stop_state(due, clock.stopped_at)


async def stop_clocks(
    uow: UnitOfWork, kind: str, stops: Sequence[tuple[uuid.UUID, datetime]]
) -> None:
    """Stop each ticket's clock of ``kind`` at the given time; a second stop changes nothing."""
    clocks = await _Clocks.load(uow, [ticket_id for ticket_id, _ in stops])
    for ticket_id, at in stops:
        clock = clocks.get(ticket_id, kind)
        if clock.stopped_at is not None:
            continue
        clock.stopped_at = at
        clock.state = domain.stop_state(clock.due_at, at)


async def stop_clock(uow: UnitOfWork, ticket_id: uuid.UUID, kind: str, at: datetime) -> None:
    await stop_clocks(uow, kind, [(ticket_id, at)])
