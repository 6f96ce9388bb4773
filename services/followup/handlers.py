"""Follow-up reacts to the ticket lifecycle to run its clocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.followup import callbacks, confirmation, sla_clocks
from services.followup.settings import FollowupSettings
from shared.consumer import Handler
from shared.events import (
    TicketAccepted,
    TicketDeadlineExtended,
    TicketMessageAdded,
    TicketProgressNoted,
    TicketResolved,
    TicketRetriaged,
    TicketTriaged,
)
from shared.outbox import UnitOfWork


def build_handlers(settings: FollowupSettings) -> Mapping[str, Handler]:
    async def on_tickets_triaged(
        events: Sequence[TicketTriaged | TicketRetriaged], uow: UnitOfWork
    ) -> None:
        await sla_clocks.open_clocks(uow, events, settings)

    async def on_tickets_accepted(events: Sequence[TicketAccepted], uow: UnitOfWork) -> None:
        stops = [(e.ticket_id, e.data.at) for e in events if e.ticket_id is not None]
        await sla_clocks.stop_clocks(uow, "response", stops)

    async def on_progress_noted(events: Sequence[TicketProgressNoted], uow: UnitOfWork) -> None:
        await sla_clocks.apply_progress(uow, events, settings)

    async def on_tickets_resolved(events: Sequence[TicketResolved], uow: UnitOfWork) -> None:
        stops = [(e.ticket_id, e.data.at) for e in events if e.ticket_id is not None]
        await sla_clocks.stop_clocks(uow, "resolution", stops)
        await sla_clocks.stop_clocks(uow, "update", stops)
        await confirmation.request_confirmation(uow, events, settings)
        await callbacks.plan_callbacks(uow, events, settings)

    async def on_messages_added(events: Sequence[TicketMessageAdded], uow: UnitOfWork) -> None:
        await sla_clocks.reopen_on_customer_messages(uow, events, settings)

    async def on_deadlines_extended(
        events: Sequence[TicketDeadlineExtended], uow: UnitOfWork
    ) -> None:
        await sla_clocks.extend_deadlines(uow, events, settings)

    return {
        "ticket.deadline_extended": on_deadlines_extended,
        "ticket.message_added": on_messages_added,
        "ticket.triaged": on_tickets_triaged,
        "ticket.retriaged": on_tickets_triaged,
        "ticket.accepted": on_tickets_accepted,
        "ticket.progress_noted": on_progress_noted,
        "ticket.resolved": on_tickets_resolved,
    }
