"""Analytics projects every lifecycle event it knows into the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.analytics import repository, service
from shared.consumer import Handler
from shared.events import TeamEvent
from shared.outbox import UnitOfWork


def _handler(event_type: str) -> Handler:
    projection = service.PROJECTIONS[event_type]

    async def handle(events: Sequence[Any], uow: UnitOfWork) -> None:
        await projection(uow, events)

    handle.__name__ = f"on_{event_type.replace('.', '_')}"
    return handle


async def on_team_announcements(events: Sequence[TeamEvent], uow: UnitOfWork) -> None:
    """Dispatch's teams, so reports and the dashboard name a new team at once."""
    await repository.keep_team_announcements(uow.session, events)


HANDLERS: dict[str, Handler] = {
    **{event_type: _handler(event_type) for event_type in service.PROJECTIONS},
    "team.created": on_team_announcements,
    "team.updated": on_team_announcements,
    "team.deleted": on_team_announcements,
}
