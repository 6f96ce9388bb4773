"""Follow-up reacts to the ticket lifecycle to run its clocks."""

from __future__ import annotations

from collections.abc import Mapping

from services.followup import service
from services.followup.settings import FollowupSettings
from shared.consumer import Handler
from shared.events import TicketAccepted, TicketResolved, TicketTriaged
from shared.outbox import UnitOfWork


def build_handlers(settings: FollowupSettings) -> Mapping[str, Handler]:
    async def on_ticket_triaged(event: TicketTriaged, uow: UnitOfWork) -> None:
        await service.open_clocks(uow, event, settings)

    async def on_ticket_accepted(event: TicketAccepted, uow: UnitOfWork) -> None:
        assert event.ticket_id is not None
        await service.stop_clock(uow, event.ticket_id, "response", event.data.at)

    async def on_ticket_resolved(event: TicketResolved, uow: UnitOfWork) -> None:
        assert event.ticket_id is not None
        await service.stop_clock(uow, event.ticket_id, "resolution", event.data.at)

    return {
        "ticket.triaged": on_ticket_triaged,
        "ticket.accepted": on_ticket_accepted,
        "ticket.resolved": on_ticket_resolved,
    }
