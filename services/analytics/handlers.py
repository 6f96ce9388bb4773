"""Analytics projects every lifecycle event it knows into the ledger."""

from __future__ import annotations

from collections.abc import Sequence

from services.analytics import service
from shared.consumer import Handler
from shared.events import TicketAssigned, TicketQueued, TicketReceived, TicketTriaged
from shared.outbox import UnitOfWork


async def on_tickets_received(events: Sequence[TicketReceived], uow: UnitOfWork) -> None:
    await service.project_received(uow, events)


async def on_tickets_triaged(events: Sequence[TicketTriaged], uow: UnitOfWork) -> None:
    await service.project_triaged(uow, events)


async def on_tickets_queued(events: Sequence[TicketQueued], uow: UnitOfWork) -> None:
    await service.project_queued(uow, events)


async def on_tickets_assigned(events: Sequence[TicketAssigned], uow: UnitOfWork) -> None:
    await service.project_assigned(uow, events)


HANDLERS: dict[str, Handler] = {
    "ticket.received": on_tickets_received,
    "ticket.triaged": on_tickets_triaged,
    "ticket.queued": on_tickets_queued,
    "ticket.assigned": on_tickets_assigned,
}
