"""Analytics projects every lifecycle event it knows into the ledger."""

from __future__ import annotations

from services.analytics import service
from shared.consumer import Handler
from shared.events import TicketAssigned, TicketQueued, TicketReceived, TicketTriaged
from shared.outbox import UnitOfWork


async def on_ticket_received(event: TicketReceived, uow: UnitOfWork) -> None:
    await service.project_received(uow, event)


async def on_ticket_triaged(event: TicketTriaged, uow: UnitOfWork) -> None:
    await service.project_triaged(uow, event)


async def on_ticket_queued(event: TicketQueued, uow: UnitOfWork) -> None:
    await service.project_queued(uow, event)


async def on_ticket_assigned(event: TicketAssigned, uow: UnitOfWork) -> None:
    await service.project_assigned(uow, event)


HANDLERS: dict[str, Handler] = {
    "ticket.received": on_ticket_received,
    "ticket.triaged": on_ticket_triaged,
    "ticket.queued": on_ticket_queued,
    "ticket.assigned": on_ticket_assigned,
}
