"""Reading rosters as the domain needs them: each team's patterns with its calendar
(dispatch's copy of China's official schedule) and the exceptions around a moment. Every
reader of shifts (routing, the shift timer, on-shift answers) goes through here, so each
honours the calendar and the exceptions alike."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.shifts import domain, repository
from services.dispatch.shifts.models import ShiftException, ShiftRoster

# Exceptions are read from a day before ``at`` (an overnight shift started yesterday) to
# nine days after (the next shift within a week, in any time zone).
_BEFORE, _AFTER = timedelta(days=2), timedelta(days=10)


async def calendar(session: AsyncSession) -> domain.HolidayCalendar:
    rows = await repository.holiday_schedules(session)
    return domain.calendar_from({row.year: (row.holidays, row.workdays) for row in rows})


def exception_of(row: ShiftException) -> domain.Exception_:
    return domain.Exception_(
        id=row.id,
        kind=row.kind,
        agent_id=row.agent_id,
        first_day=row.first_day,
        last_day=row.last_day,
        shift=row.shift,
        replaces=row.replaces_agent_id,
        start=domain.parse_clock(row.start) if row.start else None,
        end=domain.parse_clock(row.end) if row.end else None,
    )


def roster_of(
    row: ShiftRoster,
    china: domain.HolidayCalendar,
    exceptions: list[domain.Exception_] | tuple[domain.Exception_, ...] = (),
) -> domain.Roster:
    chosen = china if row.calendar == "china" else domain.WEEKDAYS_ONLY
    return domain.roster_from(row.timezone, row.handover, row.shifts, chosen, exceptions)


async def rosters_at(
    session: AsyncSession, at: datetime, team_key: str | None = None
) -> dict[str, domain.Roster]:
    """Team -> its roster as it stands around ``at`` (only ``team_key``'s if given)."""
    rows = await repository.rosters(session)
    if team_key is not None:
        rows = {k: v for k, v in rows.items() if k == team_key}
    if not rows:
        return {}
    china = await calendar(session)
    day = at.date()
    found: dict[str, list[domain.Exception_]] = defaultdict(list)
    for e in await repository.exceptions_between(session, day - _BEFORE, day + _AFTER, team_key):
        found[e.team_key].append(exception_of(e))
    return {key: roster_of(row, china, found.get(key, [])) for key, row in rows.items()}
