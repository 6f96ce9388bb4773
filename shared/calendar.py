"""Business-time arithmetic on working calendars (pure: no business rules, no I/O).

A :class:`BusinessCalendar` is a time zone, the working windows of a working day
(several per day, e.g. a lunch break between them), and which days are working
days: China's public holidays and make-up workdays (调休) from the
``chinese-calendar`` package, plus explicit extra holidays and workdays. A
calendar with ``always_open`` is the 24×7 calendar.

Calendars are plain dataclasses that round-trip through JSON
(:meth:`BusinessCalendar.to_json` / :meth:`BusinessCalendar.from_json`), so a
producer can send the calendar it used with an event and a consumer can repeat
the same arithmetic without importing the producer.

``chinese-calendar`` knows the official schedule only for the years it ships
(2004–2026 in version 1.11). A year whose State Council schedule an admin loaded
(``official_years``, its dates in ``extra_holidays`` / ``extra_workdays``) counts
as known. For any other year the public holidays come from the ``holidays``
package (which knows them years ahead, but not the make-up workdays), on top of
Monday–Friday working days; :func:`schedule_runs_out` says when that begins.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_WINDOWS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(13, 30), time(18, 0)),
)
# A business-time search never looks further ahead than this many days.
_HORIZON_DAYS = 3 * 366


@dataclass(frozen=True)
class BusinessCalendar:
    name: str = "default"
    timezone: str = DEFAULT_TIMEZONE
    windows: tuple[tuple[time, time], ...] = DEFAULT_WINDOWS
    china_holidays: bool = True
    weekend_days: tuple[int, ...] = (5, 6)
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    always_open: bool = False
    # Years whose official schedule was loaded into the extra dates by an admin.
    official_years: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises for an unknown zone
        if not self.always_open:
            if not self.windows:
                raise ValueError("a calendar needs at least one working window")
            previous: time | None = None
            for start, end in self.windows:
                if not start < end:
                    raise ValueError(f"window {start}–{end} ends before it starts")
                if previous is not None and start < previous:
                    raise ValueError("windows must be in order and must not overlap")
                previous = end

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # ----------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        windows, extra_holidays, extra_workdays, official_years = self._formatted
        return {
            "name": self.name,
            "timezone": self.timezone,
            "windows": [list(window) for window in windows],
            "china_holidays": self.china_holidays,
            "weekend_days": list(self.weekend_days),
            "extra_holidays": list(extra_holidays),
            "extra_workdays": list(extra_workdays),
            "always_open": self.always_open,
            "official_years": list(official_years),
        }

    @functools.cached_property
    def _formatted(
        self,
    ) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
        """What ``to_dict`` formats and sorts, once per calendar (triage sends its calendar
        with every ticket's deadlines); ``to_dict`` still returns new lists each time."""
        return (
            tuple((s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in self.windows),
            tuple(sorted(d.isoformat() for d in self.extra_holidays)),
            tuple(sorted(d.isoformat() for d in self.extra_workdays)),
            tuple(sorted(self.official_years)),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BusinessCalendar:
        windows = tuple(
            (time.fromisoformat(str(s)), time.fromisoformat(str(e)))
            for s, e in data.get("windows", [])
        )
        return cls(
            name=str(data.get("name", "default")),
            timezone=str(data.get("timezone", DEFAULT_TIMEZONE)),
            windows=windows if windows else DEFAULT_WINDOWS,
            china_holidays=bool(data.get("china_holidays", True)),
            weekend_days=tuple(int(d) for d in data.get("weekend_days", (5, 6))),
            extra_holidays=frozenset(date.fromisoformat(d) for d in data.get("extra_holidays", [])),
            extra_workdays=frozenset(date.fromisoformat(d) for d in data.get("extra_workdays", [])),
            always_open=bool(data.get("always_open", False)),
            official_years=frozenset(int(y) for y in data.get("official_years", [])),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BusinessCalendar:
        return cls.from_dict(json.loads(text))


DEFAULT_CALENDAR = BusinessCalendar()
TWENTY_FOUR_SEVEN = BusinessCalendar(name="24x7", always_open=True, china_holidays=False)


def china_holiday_years() -> tuple[int, int]:
    """The first and last year whose official schedule ``chinese-calendar`` ships."""
    from chinese_calendar import constants

    years = [d.year for d in constants.holidays]
    return min(years), max(years)


def is_working_day(calendar: BusinessCalendar, day: date) -> bool:
    if calendar.always_open or day in calendar.extra_workdays:
        return True
    if day in calendar.extra_holidays:
        return False
    if calendar.china_holidays and day.year not in calendar.official_years:
        official = _china_workday(day)
        if official is not None:
            return official
        # A year chinese-calendar does not know: public holidays only.
        if day in _public_holidays(day.year):
            return False
    return day.weekday() not in calendar.weekend_days


@functools.lru_cache(maxsize=4096)
def _china_workday(day: date) -> bool | None:
    """chinese-calendar's word on a day, None for a year it does not know. Kept: each of
    its answers scans its whole holiday table (a fifth of follow-up's CPU per ticket,
    py-spy 2026-12-03), and SLA clocks ask about the same few days again and again."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@functools.lru_cache(maxsize=16)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.China(years=year))


def knows_official_schedule(calendar: BusinessCalendar, year: int) -> bool:
    """The year's holidays and make-up workdays are known (shipped or loaded)."""
    first, last = china_holiday_years()
    return first <= year <= last or year in calendar.official_years


def schedule_runs_out(calendar: BusinessCalendar, today: date) -> date | None:
    """The first day from ``today`` on whose year has no official schedule (None for a
    calendar without China's holidays): from then on make-up workdays are unknown."""
    if calendar.always_open or not calendar.china_holidays:
        return None
    year = today.year
    while knows_official_schedule(calendar, year):
        year += 1
    return max(date(year, 1, 1), today)


@functools.lru_cache(maxsize=1024)
def _windows_of(calendar: BusinessCalendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The working windows of one local day, as aware datetimes in the calendar's zone.

    Kept per calendar and day: every deadline and warning of a ticket walks the same few
    days, and building them again was a tenth of follow-up's CPU (py-spy, 2026-12-04)."""
    zone = calendar.zone
    if calendar.always_open:
        start = datetime.combine(day, time(0), zone)
        return ((start, datetime.combine(day + timedelta(days=1), time(0), zone)),)
    if not is_working_day(calendar, day):
        return ()
    return tuple(
        (datetime.combine(day, s, zone), datetime.combine(day, e, zone))
        for s, e in calendar.windows
    )


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("business-time arithmetic needs timezone-aware datetimes")


def is_working_time(calendar: BusinessCalendar, at: datetime) -> bool:
    _require_aware(at)
    local = at.astimezone(calendar.zone)
    return any(s <= local < e for s, e in _windows_of(calendar, local.date()))


def add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant ``duration`` of working time after ``start`` (in ``start``'s time zone).

    Time outside the working windows does not count: a clock started during a
    lunch break or a holiday starts at the next window.
    """
    _require_aware(start)
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if calendar.always_open or duration == timedelta(0):
        return (start.astimezone(UTC) + duration).astimezone(start.tzinfo)
    remaining = duration
    local = start.astimezone(calendar.zone)
    day = local.date()
    for _ in range(_HORIZON_DAYS):
        for window_start, window_end in _windows_of(calendar, day):
            begin = max(window_start, local)
            if begin >= window_end:
                continue
            available = window_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("no working time within the search horizon")


def business_time_between(calendar: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Working time from ``a`` to ``b``; negative when ``b`` is before ``a``."""
    _require_aware(a)
    _require_aware(b)
    if b < a:
        return -business_time_between(calendar, b, a)
    if calendar.always_open:
        return b - a
    zone = calendar.zone
    start, end = a.astimezone(zone), b.astimezone(zone)
    total = timedelta(0)
    day = start.date()
    while day <= end.date():
        for window_start, window_end in _windows_of(calendar, day):
            lo, hi = max(window_start, start), min(window_end, end)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def add_working_days(calendar: BusinessCalendar, start: datetime, n: int) -> datetime:
    """The same local time of day ``n`` working days after (or before) ``start``'s day."""
    _require_aware(start)
    local = start.astimezone(calendar.zone)
    day = local.date()
    step = 1 if n >= 0 else -1
    left = abs(n)
    guard = 0
    while left:
        day += timedelta(days=step)
        guard += 1
        if guard > _HORIZON_DAYS:
            raise ValueError("no working day within the search horizon")
        if is_working_day(calendar, day):
            left -= 1
    moved = datetime.combine(day, local.time(), calendar.zone)
    return moved.astimezone(start.tzinfo)


def next_working_time(calendar: BusinessCalendar, at: datetime) -> datetime:
    """``at`` itself during working time, else the start of the next working window."""
    return _nearest_working_time(calendar, at, forward=True)


def last_working_time(calendar: BusinessCalendar, at: datetime) -> datetime:
    """``at`` itself during working time, else the end of the last working window before
    it (the latest moment at or before ``at`` that is inside working hours)."""
    return _nearest_working_time(calendar, at, forward=False)


def _nearest_working_time(calendar: BusinessCalendar, at: datetime, *, forward: bool) -> datetime:
    """``at`` during working time, else the nearest edge of a working window after it
    (``forward``) or before it, searching day by day within the horizon."""
    _require_aware(at)
    if calendar.always_open:
        return at
    local = at.astimezone(calendar.zone)
    day = local.date()
    for _ in range(_HORIZON_DAYS):
        windows = _windows_of(calendar, day)
        for window_start, window_end in windows if forward else reversed(windows):
            if forward and local < window_end:
                return max(window_start, local).astimezone(at.tzinfo)
            if not forward and window_start <= local:
                return min(window_end, local).astimezone(at.tzinfo)
        day += timedelta(days=1 if forward else -1)
    raise ValueError("no working time within the search horizon")


def working_day_length(calendar: BusinessCalendar) -> timedelta:
    """Working time in one working day (24 h on 24×7)."""
    if calendar.always_open:
        return timedelta(days=1)
    return sum(
        (
            datetime.combine(date.min, e) - datetime.combine(date.min, s)
            for s, e in calendar.windows
        ),
        timedelta(0),
    )
