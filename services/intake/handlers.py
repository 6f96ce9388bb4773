"""Intake's event handlers: each hands its batch to the reaction in ``reactions.py``."""

from __future__ import annotations

from collections.abc import Sequence

from services.intake import reactions
from services.intake.settings import IntakeSettings
from shared.consumer import Handler
from shared.events import (
    NotificationRequested,
    TeamEvent,
    TicketAccepted,
    TicketAssigned,
    TicketClosed,
    TicketDeadlineExtended,
    TicketProgressNoted,
    TicketQueued,
    TicketReopened,
    TicketResolved,
    TicketRetriaged,
    TicketTriaged,
)
from shared.outbox import UnitOfWork


def build_handlers(settings: IntakeSettings) -> dict[str, Handler]:
    async def on_team_announcements(events: Sequence[TeamEvent], uow: UnitOfWork) -> None:
        await reactions.keep_team_announcements(uow, events)

    async def on_notification_requested(
        events: Sequence[NotificationRequested], uow: UnitOfWork
    ) -> None:
        await reactions.notifications_requested(uow, events, settings)

    async def on_ticket_triaged(events: Sequence[TicketTriaged], uow: UnitOfWork) -> None:
        await reactions.tickets_triaged(uow, events)

    async def on_tickets_retriaged(events: Sequence[TicketRetriaged], uow: UnitOfWork) -> None:
        await reactions.tickets_retriaged(uow, events, settings)

    async def on_ticket_queued(events: Sequence[TicketQueued], uow: UnitOfWork) -> None:
        await reactions.tickets_queued(uow, events)

    async def on_ticket_assigned(events: Sequence[TicketAssigned], uow: UnitOfWork) -> None:
        await reactions.tickets_assigned(uow, events, settings)

    async def on_ticket_accepted(events: Sequence[TicketAccepted], uow: UnitOfWork) -> None:
        await reactions.tickets_accepted(uow, events)

    async def on_ticket_progress_noted(
        events: Sequence[TicketProgressNoted], uow: UnitOfWork
    ) -> None:
        await reactions.progress_noted(uow, events, settings)

    async def on_ticket_resolved(events: Sequence[TicketResolved], uow: UnitOfWork) -> None:
        await reactions.tickets_resolved(uow, events)

    async def on_ticket_reopened(events: Sequence[TicketReopened], uow: UnitOfWork) -> None:
        await reactions.tickets_reopened(uow, events)

    async def on_ticket_closed(events: Sequence[TicketClosed], uow: UnitOfWork) -> None:
        await reactions.tickets_closed(uow, events)

    async def on_deadlines_extended(
        events: Sequence[TicketDeadlineExtended], uow: UnitOfWork
    ) -> None:
        await reactions.deadlines_extended(uow, events, settings)

    return {
        "team.created": on_team_announcements,
        "team.updated": on_team_announcements,
        "team.deleted": on_team_announcements,
        "notification.requested": on_notification_requested,
        "ticket.triaged": on_ticket_triaged,
        "ticket.retriaged": on_tickets_retriaged,
        "ticket.queued": on_ticket_queued,
        "ticket.assigned": on_ticket_assigned,
        "ticket.accepted": on_ticket_accepted,
        "ticket.progress_noted": on_ticket_progress_noted,
        "ticket.resolved": on_ticket_resolved,
        "ticket.reopened": on_ticket_reopened,
        "ticket.closed": on_ticket_closed,
        "ticket.deadline_extended": on_deadlines_extended,
    }
