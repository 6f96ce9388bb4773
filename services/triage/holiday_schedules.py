"""China's official holiday schedule: loading a year the State Council published, and
knowing when the shipped and loaded schedules run out (use cases; the caller commits).

``chinese-calendar`` ships the schedule to 2026. For a later year, business calendars
fall back to the public holidays of the ``holidays`` package, which does not know the
make-up workdays (调休), until an admin loads the year's schedule here. The schedule
goes into every calendar that follows China's holidays (``extra_holidays`` /
``extra_workdays`` and ``official_years``), so it travels with each ticket's calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import configuration
from shared.calendar import BusinessCalendar, schedule_runs_out
from shared.errors import ApiError
from shared.events import HolidayScheduleData, HolidayScheduleLoaded
from shared.outbox import UnitOfWork

# Admins are told this many days before a year without an official schedule begins.
NOTICE_DAYS = 60


@dataclass(frozen=True)
class ScheduleGap:
    """The first year (from today on) without an official schedule, and how soon it starts."""

    year: int
    starts: date
    days_left: int
    calendars: tuple[str, ...]

    @property
    def message(self) -> str:
        return (
            f"China's official holiday schedule for {self.year} is not loaded; it starts in "
            f"{self.days_left} days ({', '.join(self.calendars)}). Until it is, make-up "
            f"workdays are unknown: load the State Council's schedule with "
            f"PUT /v1/holiday-schedules/{self.year} on triage."
        )


def schedule_gap(calendars: dict[str, BusinessCalendar], today: date) -> ScheduleGap | None:
    """Where the official schedule of China-holiday calendars runs out first."""
    ends = {
        name: end
        for name, calendar in calendars.items()
        if (end := schedule_runs_out(calendar, today)) is not None
    }
    if not ends:
        return None
    first = min(ends.values())
    names = tuple(sorted(n for n, end in ends.items() if end == first))
    return ScheduleGap(first.year, first, (first - today).days, names)


async def current_gap(session: AsyncSession, today: date) -> ScheduleGap | None:
    calendars, _version = await configuration.current_calendars(session)
    return schedule_gap(calendars, today)


async def load_schedule(
    session: AsyncSession, year: int, holidays: list[date], workdays: list[date], by: str
) -> tuple[dict[str, BusinessCalendar], int]:
    """Put one year's schedule into every calendar that follows China's holidays, as one
    new calendars version; a year loaded again replaces its earlier dates."""
    outside = sorted(d.isoformat() for d in [*holidays, *workdays] if d.year != year)
    if outside:
        raise ApiError(422, "date_outside_year", f"Dates not in {year}: {', '.join(outside)}.")
    both = sorted(d.isoformat() for d in set(holidays) & set(workdays))
    if both:
        raise ApiError(422, "holiday_and_workday", f"Both a holiday and a workday: {both}.")
    calendars, _version = await configuration.current_calendars(session)
    changed = {
        name: _with_schedule(calendar, year, holidays, workdays)
        for name, calendar in calendars.items()
        if calendar.china_holidays and not calendar.always_open
    }
    if not changed:
        raise ApiError(409, "no_china_calendar", "No calendar follows China's holidays.")
    return await configuration.put_calendars(session, changed, by, f"official schedule {year}")


def _with_schedule(
    calendar: BusinessCalendar, year: int, holidays: list[date], workdays: list[date]
) -> BusinessCalendar:
    return replace(
        calendar,
        extra_holidays=frozenset({d for d in calendar.extra_holidays if d.year != year})
        | frozenset(holidays),
        extra_workdays=frozenset({d for d in calendar.extra_workdays if d.year != year})
        | frozenset(workdays),
        official_years=calendar.official_years | {year},
    )


def announce(
    uow: UnitOfWork, year: int, holidays: list[date], workdays: list[date], by: str, at: datetime
) -> None:
    """Tell dispatch (its shift rosters follow the same schedule) in the same transaction."""
    uow.emit(
        HolidayScheduleLoaded(
            occurred_at=at,
            data=HolidayScheduleData(
                year=year,
                holidays=sorted(set(holidays)),
                workdays=sorted(set(workdays)),
                actor=by,
                updated_at=at,
            ),
        )
    )
