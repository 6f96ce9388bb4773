"""Who is on shift at a moment (pure: no I/O).

A roster is a team's shift patterns in the team's time zone: each pattern has a start and
an end (local wall-clock time), the weekdays it starts on (Monday = 0) and the agents who
work it. A pattern whose end is not after its start runs past midnight into the next day
(22:00–06:00; 00:00–00:00 is a full day). A team without a roster has no shifts: its
agents are on shift whenever they are online (the behaviour before shifts).

A roster follows a holiday calendar (China's official schedule unless it says ``none``):
on a day off of the schedule (放假) a pattern runs only if it works holidays
(``holidays: work``, the 24×7 front line); on a make-up workday (调休上班, a Saturday or
Sunday) every pattern that keeps holidays off and starts on some Monday–Friday runs, as on
a weekday. An occurrence belongs to the day it starts on (a night shift starting on the
eve of a holiday runs). Per-agent exceptions, on days in the team's time zone, come on
top: leave takes an agent off every shift that starts on those days, a swap puts one
agent on another's shift on a date, an extra shift adds one.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as public_holidays

# What an agent going off shift does with open work (the team's setting):
# keep: it stays theirs until their next shift; queue: what they have not accepted goes
# back to the team's queue (accepted work stays with them); reassign: everything they
# have not parked waiting on the customer goes to agents on shift now, else the queue.
HANDOVERS = ("keep", "queue", "reassign")
CALENDARS = ("china", "none")
EVERY_DAY = frozenset(range(7))
WEEKDAYS = frozenset(range(5))
EXTRA_SHIFT = "加班"


@functools.lru_cache(maxsize=16)
def _fallback_holidays(year: int) -> frozenset[date]:
    # A year without an official schedule: the statutory days the ``holidays`` package
    # knows (not the whole breaks, no make-up workdays) until an admin loads the notice.
    return frozenset(public_holidays.China(years=year))


@dataclass(frozen=True)
class HolidayCalendar:
    """Days off and make-up workdays of the years whose official schedule is known."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()
    follows_china: bool = True

    def is_holiday(self, day: date) -> bool:
        if not self.follows_china:
            return False
        if day.year in self.years:
            return day in self.holidays
        return day in _fallback_holidays(day.year)

    def is_makeup_workday(self, day: date) -> bool:
        return self.follows_china and day in self.workdays

    def knows(self, year: int) -> bool:
        return not self.follows_china or year in self.years


WEEKDAYS_ONLY = HolidayCalendar(follows_china=False)


@dataclass(frozen=True)
class Shift:
    name: str
    start: time
    end: time
    days: frozenset[int]
    agent_ids: frozenset[uuid.UUID]
    # "work": runs on days off of the calendar too; "off": not on them.
    holidays: str = "off"

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def runs_on(self, day: date, calendar: HolidayCalendar) -> bool:
        """Does an occurrence of this pattern start on ``day`` (a local date)?"""
        if calendar.is_holiday(day):
            return self.holidays == "work" and day.weekday() in self.days
        if day.weekday() in self.days:
            return True
        return (
            calendar.is_makeup_workday(day)
            and self.holidays == "off"
            and bool(self.days & WEEKDAYS)
        )

    def starts_on(self, day: date, zone: Any) -> datetime:
        return datetime.combine(day, self.start, tzinfo=zone)

    def covers(self, started: datetime, local: datetime) -> bool:
        return started <= local < self.ends_after(started)

    def ends_after(self, started: datetime) -> datetime:
        end = datetime.combine(started.date(), self.end, tzinfo=started.tzinfo)
        return end + timedelta(days=1) if self.overnight else end


@dataclass(frozen=True)
class Exception_:
    """An agent's exception to the roster (``kind``: leave, swap, extra)."""

    id: uuid.UUID
    kind: str
    agent_id: uuid.UUID
    first_day: date
    last_day: date
    shift: str | None = None  # swap: the pattern's name; extra: its label
    replaces: uuid.UUID | None = None  # swap: whose shift
    start: time | None = None  # extra
    end: time | None = None

    def on(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class Crew:
    """One occurrence of a shift: who works it, from when until when (local)."""

    shift: Shift
    started: datetime
    ends: datetime
    agent_ids: frozenset[uuid.UUID]


@dataclass(frozen=True)
class Roster:
    timezone: str
    handover: str
    shifts: tuple[Shift, ...]
    calendar: HolidayCalendar = WEEKDAYS_ONLY
    exceptions: tuple[Exception_, ...] = field(default=())

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("a moment on a roster must carry its time zone")
        return at.astimezone(self.zone)

    def on_leave(self, agent_id: uuid.UUID, day: date) -> bool:
        return any(
            e.kind == "leave" and e.agent_id == agent_id and e.on(day) for e in self.exceptions
        )

    def crews_starting(self, day: date) -> list[Crew]:
        """Every occurrence that starts on the local ``day``, exceptions applied."""
        zone = self.zone
        crews = []
        for shift in self.shifts:
            if not shift.runs_on(day, self.calendar):
                continue
            agents = set(shift.agent_ids)
            for e in self.exceptions:
                if e.kind == "swap" and e.shift == shift.name and e.on(day):
                    agents.discard(e.replaces)
                    agents.add(e.agent_id)
            started = shift.starts_on(day, zone)
            crews.append(Crew(shift, started, shift.ends_after(started), frozenset(agents)))
        for e in self.exceptions:
            if e.kind == "extra" and e.on(day) and e.start is not None and e.end is not None:
                extra = Shift(
                    e.shift or EXTRA_SHIFT, e.start, e.end, EVERY_DAY, frozenset({e.agent_id})
                )
                started = extra.starts_on(day, zone)
                crews.append(Crew(extra, started, extra.ends_after(started), extra.agent_ids))
        return [
            Crew(
                c.shift,
                c.started,
                c.ends,
                frozenset(a for a in c.agent_ids if not self.on_leave(a, day)),
            )
            for c in crews
        ]

    def crews(self, at: datetime) -> list[Crew]:
        """The occurrences running at ``at`` (started today or, overnight, yesterday)."""
        local = self.local(at)
        today = local.date()
        return [
            crew
            for day in (today - timedelta(days=1), today)
            for crew in self.crews_starting(day)
            if crew.started <= local < crew.ends
        ]

    def current(self, at: datetime) -> list[tuple[Shift, datetime, datetime]]:
        """The shifts running at ``at``: (shift, local start, local end)."""
        return [(c.shift, c.started, c.ends) for c in self.crews(at)]

    def on_shift(self, at: datetime) -> dict[uuid.UUID, tuple[Shift, datetime]]:
        """Agent -> (the shift they work now, when it ends); the latest end wins."""
        found: dict[uuid.UUID, tuple[Shift, datetime]] = {}
        for crew in self.crews(at):
            for agent_id in crew.agent_ids:
                if agent_id not in found or found[agent_id][1] < crew.ends:
                    found[agent_id] = (crew.shift, crew.ends)
        return found

    def next_crew(self, at: datetime) -> Crew | None:
        """The next occurrence to begin after ``at`` (within a week and a day)."""
        local = self.local(at)
        best: Crew | None = None
        for offset in range(9):
            for crew in self.crews_starting(local.date() + timedelta(days=offset)):
                if crew.started > local and (best is None or crew.started < best.started):
                    best = crew
            if best is not None:
                return best
        return best

    def next_start(self, at: datetime) -> tuple[Shift, datetime] | None:
        crew = self.next_crew(at)
        return (crew.shift, crew.started) if crew is not None else None


def parse_clock(text: str) -> time:
    """``HH:MM``; ``24:00`` is midnight at the end of the day (a shift ending then)."""
    if text == "24:00":
        return time(0, 0)
    hours, _, minutes = text.partition(":")
    if not (len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"{text!r} is not a time of day as HH:MM")
    return time(int(hours), int(minutes))


def default_holidays(days: Iterable[int]) -> str:
    """A pattern that says nothing: one that runs every day works holidays (24×7), one
    that keeps some days off keeps the calendar's days off too."""
    return "work" if frozenset(days) == EVERY_DAY else "off"


def shift_from_dict(data: Mapping[str, Any]) -> Shift:
    days = frozenset(int(d) for d in data.get("days", EVERY_DAY))
    return Shift(
        name=str(data["name"]),
        start=parse_clock(data["start"]),
        end=parse_clock(data["end"]),
        days=days,
        agent_ids=frozenset(uuid.UUID(str(a)) for a in data.get("agent_ids", ())),
        holidays=str(data.get("holidays") or default_holidays(days)),
    )


def roster_from(
    timezone: str,
    handover: str,
    shifts: Iterable[Mapping[str, Any]],
    calendar: HolidayCalendar = WEEKDAYS_ONLY,
    exceptions: Iterable[Exception_] = (),
) -> Roster:
    return Roster(
        timezone, handover, tuple(shift_from_dict(s) for s in shifts), calendar, tuple(exceptions)
    )


def calendar_from(schedules: Mapping[int, tuple[Iterable[str], Iterable[str]]]) -> HolidayCalendar:
    """China's calendar from year -> (days off, make-up workdays) as ISO dates."""
    return HolidayCalendar(
        holidays=frozenset(date.fromisoformat(d) for off, _on in schedules.values() for d in off),
        workdays=frozenset(date.fromisoformat(d) for _off, on in schedules.values() for d in on),
        years=frozenset(schedules),
    )
