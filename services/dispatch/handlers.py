"""Dispatch reacts to triage decisions."""

from __future__ import annotations

from collections.abc import Sequence

from services.dispatch import service
from shared.consumer import Handler
from shared.events import TicketTriaged
from shared.outbox import UnitOfWork


async def on_tickets_triaged(events: Sequence[TicketTriaged], uow: UnitOfWork) -> None:
    await service.dispatch_tickets(uow, events)


HANDLERS: dict[str, Handler] = {"ticket.triaged": on_tickets_triaged}
