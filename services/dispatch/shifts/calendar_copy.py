"""Dispatch's copy of China's official holiday schedule, kept from triage's announcements
(``holiday_schedule.loaded``): the admins load a year once, on triage, and both the SLA
clocks there and the shift rosters here follow it. The caller commits."""

from __future__ import annotations

from collections.abc import Sequence

from services.dispatch.shifts import repository
from shared.copies import newest_per_key
from shared.events import HolidayScheduleLoaded
from shared.outbox import UnitOfWork


async def keep_schedules(uow: UnitOfWork, events: Sequence[HolidayScheduleLoaded]) -> None:
    """Take each year's latest announcement unless the copy holds a newer one."""
    latest = newest_per_key(events, lambda e: e.data.year, lambda e: e.data.updated_at)
    for year, event in sorted(latest.items()):
        await repository.keep_holiday_schedule(
            uow.session,
            {
                "year": year,
                "holidays": sorted(d.isoformat() for d in event.data.holidays),
                "workdays": sorted(d.isoformat() for d in event.data.workdays),
                "actor": event.data.actor,
                "updated_at": event.data.updated_at,
            },
        )
