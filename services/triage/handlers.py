"""Triage reacts to new tickets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.triage import service
from services.triage.settings import TriageSettings
from shared.consumer import Handler
from shared.events import TicketReceived
from shared.outbox import UnitOfWork


def build_handlers(settings: TriageSettings) -> Mapping[str, Handler]:
    async def on_tickets_received(events: Sequence[TicketReceived], uow: UnitOfWork) -> None:
        await service.triage_tickets(uow, events, settings)

    return {"ticket.received": on_tickets_received}
