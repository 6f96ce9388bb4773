"""Analytics projects every lifecycle event it knows into the ledger, and keeps copies of
dispatch's teams and of who is on shift."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.analytics import repository, service
from shared.consumer import Handler
from shared.events import TeamEvent, TeamOnShiftChanged
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


async def on_shift_changes(events: Sequence[TeamOnShiftChanged], uow: UnitOfWork) -> None:
    """Who is on shift, for the dashboard's 当班 panel."""
    await repository.keep_on_shift(uow.session, events)


HANDLERS: dict[str, Handler] = {
    **{event_type: _handler(event_type) for event_type in service.PROJECTIONS},
    "team.created": on_team_announcements,
    "team.updated": on_team_announcements,
    "team.deleted": on_team_announcements,
    "team.on_shift_changed": on_shift_changes,
}
