"""Dispatch announces who is on shift (``team.on_shift_changed``, through the outbox): per
team, the agents on shift now, those on leave today and the day's kind. It announces only
a change: the digest of what it last announced is kept per team (``on_shift_announcements``),
so the shift timer can ask every round and a second replica finds the change announced.
Called wherever the answer can change: a roster set or removed, leave or another exception
added or removed, an agent joining or leaving a team, and the shift timer (shifts start and
end, a new day begins). The caller commits."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.people.models import name_of
from services.dispatch.shifts import domain, repository
from services.dispatch.shifts.loading import calendar, rosters_at
from shared.events import (
    AgentOnLeaveData,
    AgentOnShiftData,
    DayKind,
    OnShiftData,
    TeamOnShiftChanged,
)
from shared.outbox import UnitOfWork


def day_kind(day: date, china: domain.HolidayCalendar) -> DayKind:
    """A day off of the calendar is a holiday; a make-up workday (调休上班) is a workday."""
    if china.is_holiday(day):
        return "holiday"
    if china.is_makeup_workday(day) or day.weekday() < 5:
        return "workday"
    return "weekend"


async def on_shift_data(session: AsyncSession, team_key: str, at: datetime) -> OnShiftData:
    """Who of the team is on shift at ``at`` and on leave that (local) day."""
    roster = (await rosters_at(session, at, team_key)).get(team_key)
    if roster is None:
        day = at.date()
        kind = day_kind(day, await calendar(session))
        return OnShiftData(
            team=team_key, has_roster=False, timezone="UTC", day=day, day_kind=kind, as_of=at
        )
    agents = {a.id: a for a in await repository.agents_of(session, team_key)}
    today = roster.local(at).date()
    working = roster.on_shift(at)
    on_shift = [
        AgentOnShiftData(
            agent_id=agent.id,
            name=name_of(agent),
            shift=working[agent.id][0].name,
            until=working[agent.id][1],
        )
        for agent in agents.values()
        if agent.id in working
    ]
    on_leave = [
        AgentOnLeaveData(
            agent_id=e.agent_id,
            name=name_of(agents[e.agent_id]),
            first_day=e.first_day,
            last_day=e.last_day,
        )
        for e in roster.exceptions
        if e.kind == "leave" and e.on(today) and e.agent_id in agents
    ]
    return OnShiftData(
        team=team_key,
        has_roster=True,
        timezone=roster.timezone,
        day=today,
        day_kind=day_kind(today, roster.calendar),
        on_shift=on_shift,
        on_leave=sorted(on_leave, key=lambda a: a.name),
        as_of=at,
    )


def digest(data: OnShiftData) -> str:
    """What an announcement says, less the moment it was computed at."""
    text = data.model_dump_json(exclude={"as_of"})
    return hashlib.sha256(text.encode()).hexdigest()


async def announce_on_shift(uow: UnitOfWork, team_key: str, at: datetime) -> bool:
    """Announce the team's shifts if they differ from what was announced last; whether it
    did. A team that never had a roster is not announced."""
    session = uow.session
    data = await on_shift_data(session, team_key, at)
    announced = await repository.announced_digest(session, team_key)
    if not data.has_roster and announced is None:
        return False
    new = digest(data)
    if announced == new or not await repository.note_announcement(session, team_key, new, at):
        return False
    uow.emit(TeamOnShiftChanged(occurred_at=at, data=data))
    return True
