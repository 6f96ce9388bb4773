"""Dispatch reacts to triage decisions."""

from __future__ import annotations

from services.dispatch import service
from shared.consumer import Handler
from shared.events import TicketTriaged
from shared.outbox import UnitOfWork


async def on_ticket_triaged(event: TicketTriaged, uow: UnitOfWork) -> None:
    await service.dispatch_ticket(uow, event)


HANDLERS: dict[str, Handler] = {"ticket.triaged": on_ticket_triaged}
