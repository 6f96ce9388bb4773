"""Intake reacts to the rest of the lifecycle to keep the customer-visible status and timeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from services.intake import domain, repository
from services.intake.models import TimelineEntry
from shared.consumer import Handler
from shared.events import Envelope, TicketAssigned, TicketQueued, TicketTriaged
from shared.outbox import UnitOfWork


def _timeline(kind: str, params: Callable[[Any], dict[str, str]]) -> Handler:
    """A handler that adds a timeline entry of ``kind`` and moves the status forward."""

    async def handle(events: Sequence[Envelope], uow: UnitOfWork) -> None:
        tickets = await repository.tickets_for_update(
            uow.session, (e.ticket_id for e in events if e.ticket_id is not None)
        )
        for event in events:
            ticket = tickets.get(event.ticket_id) if event.ticket_id else None
            if ticket is None:
                continue  # not ours (another deployment) or already purged
            language: domain.Language = "en" if ticket.language == "en" else "zh"
            text = domain.timeline_text(kind, language, **params(event))
            repository.add(
                uow.session,
                TimelineEntry(ticket_id=ticket.id, kind=kind, text=text, at=event.occurred_at),
            )
            # Events from different topics arrive in any order: status only moves forward.
            if domain.advances(ticket.status, kind):
                ticket.status = kind
                ticket.updated_at = event.occurred_at

    handle.__name__ = f"on_ticket_{kind}"
    return handle


def _triaged(event: TicketTriaged) -> dict[str, str]:
    return {"category": event.data.category, "priority": event.data.priority}


def _queued(_event: TicketQueued) -> dict[str, str]:
    return {}


def _assigned(event: TicketAssigned) -> dict[str, str]:
    return {"team": event.data.team}


HANDLERS: dict[str, Handler] = {
    "ticket.triaged": _timeline("triaged", _triaged),
    "ticket.queued": _timeline("queued", _queued),
    "ticket.assigned": _timeline("assigned", _assigned),
}
