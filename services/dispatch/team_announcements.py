"""Dispatch announces its teams to the services that keep a copy of them (triage for
rules, intake for the customer's notices, analytics for reports; ``shared.team_copies``).

Every change to a team is stamped and announced in the transaction that makes it, through
the outbox. A change that was never announced (teams that existed before announcements,
or the seeded ones) is announced when dispatch starts; a copy ignores an announcement
older than what it holds, so announcing twice is harmless.
"""

from __future__ import annotations

from datetime import datetime

from services.dispatch import repository
from services.dispatch.models import Team
from shared.events import TeamCreated, TeamData, TeamDeleted, TeamUpdated
from shared.outbox import UnitOfWork

Announcement = type[TeamCreated] | type[TeamUpdated] | type[TeamDeleted]


def _data(team: Team) -> TeamData:
    return TeamData(
        key=team.key,
        name=team.name,
        name_en=team.name_en,
        supervisor=team.supervisor,
        skills=list(team.skills),
        updated_at=team.updated_at,
    )


def announce(uow: UnitOfWork, kind: Announcement, team: Team, at: datetime) -> None:
    """The team changed at ``at`` (created, updated or deleted): stamp it and tell."""
    team.updated_at = team.announced_at = at
    uow.emit(kind(occurred_at=at, data=_data(team)))


async def announce_unannounced(uow: UnitOfWork) -> int:
    """Announce every team whose latest change has not been announced; how many."""
    teams = await repository.unannounced_teams(uow.session)
    for team in teams:
        uow.emit(TeamUpdated(data=_data(team)))
        team.announced_at = team.updated_at
    return len(teams)
