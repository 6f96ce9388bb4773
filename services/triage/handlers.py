"""Triage reacts to new tickets, and keeps its copy of dispatch's teams."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.triage import repository, service
from services.triage.settings import TriageSettings
from shared.consumer import Handler
from shared.events import TeamEvent, TicketReceived
from shared.outbox import UnitOfWork


def build_handlers(settings: TriageSettings) -> Mapping[str, Handler]:
    in_force = service.InForce()

    async def on_tickets_received(events: Sequence[TicketReceived], uow: UnitOfWork) -> None:
        await service.decide_tickets(uow, events, settings, in_force)

    return {
        "ticket.received": on_tickets_received,
        "team.created": on_team_announcements,
        "team.updated": on_team_announcements,
        "team.deleted": on_team_announcements,
    }


async def on_team_announcements(events: Sequence[TeamEvent], uow: UnitOfWork) -> None:
    """Dispatch's teams, so a rule may route to a team created a moment ago."""
    await repository.keep_team_announcements(uow.session, events)
