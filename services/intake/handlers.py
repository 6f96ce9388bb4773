"""Intake reacts to the rest of the lifecycle to keep the customer-visible status and timeline."""

from __future__ import annotations

from services.intake import domain, repository
from services.intake.models import Ticket, TimelineEntry
from shared.consumer import Handler
from shared.events import Envelope, TicketAssigned, TicketQueued, TicketTriaged
from shared.outbox import UnitOfWork


async def _record(uow: UnitOfWork, event: Envelope, kind: str, **params: str) -> Ticket | None:
    if event.ticket_id is None:
        return None
    ticket = await repository.get_ticket_for_update(uow.session, event.ticket_id)
    if ticket is None:
        return None  # not ours (another deployment) or already purged
    language: domain.Language = "en" if ticket.language == "en" else "zh"
    repository.add(
        uow.session,
        TimelineEntry(
            ticket_id=ticket.id,
            kind=kind,
            text=domain.timeline_text(kind, language, **params),
            at=event.occurred_at,
        ),
    )
    # Events from different topics may arrive in any order: status only moves forward.
    if domain.advances(ticket.status, kind):
        ticket.status = kind
        ticket.updated_at = event.occurred_at
    return ticket


async def on_ticket_triaged(event: TicketTriaged, uow: UnitOfWork) -> None:
    await _record(uow, event, "triaged", category=event.data.category, priority=event.data.priority)


async def on_ticket_queued(event: TicketQueued, uow: UnitOfWork) -> None:
    await _record(uow, event, "queued")


async def on_ticket_assigned(event: TicketAssigned, uow: UnitOfWork) -> None:
    await _record(uow, event, "assigned", team=event.data.team)


HANDLERS: dict[str, Handler] = {
    "ticket.triaged": on_ticket_triaged,
    "ticket.queued": on_ticket_queued,
    "ticket.assigned": on_ticket_assigned,
}
