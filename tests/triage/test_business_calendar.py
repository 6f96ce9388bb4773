"""shared/calendar.py: business-time arithmetic with fixed clocks (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.calendar import (
    DEFAULT_CALENDAR,
    TWENTY_FOUR_SEVEN,
    BusinessCalendar,
    add_business_time,
    add_working_days,
    business_time_between,
    is_working_day,
    is_working_time,
)

CST = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


def test_friday_evening_ticket_rolls_over_the_weekend() -> None:
    friday = at(2026, 11, 20, 17, 50)
    assert add_business_time(DEFAULT_CALENDAR, friday, timedelta(hours=2)) == at(
        2026, 11, 23, 10, 50
    )
    # 24 working hours of 7.5 h a day: 10 min Fri, Mon-Wed 22.5 h, Thu 1 h 20.
    assert add_business_time(DEFAULT_CALENDAR, friday, timedelta(hours=24)) == at(
        2026, 11, 26, 10, 20
    )


def test_ticket_arriving_in_the_lunch_break_starts_at_13_30() -> None:
    lunch = at(2026, 11, 25, 12, 30)
    assert not is_working_time(DEFAULT_CALENDAR, lunch)
    assert add_business_time(DEFAULT_CALENDAR, lunch, timedelta(hours=2)) == at(
        2026, 11, 25, 15, 30
    )
    # A morning clock that runs into lunch skips it.
    assert add_business_time(DEFAULT_CALENDAR, at(2026, 11, 25, 11, 0), timedelta(hours=2)) == at(
        2026, 11, 25, 14, 30
    )


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # 2025: National Day + Mid-Autumn 10-01..10-08, back on Thursday 10-09.
        (at(2025, 9, 30, 17, 0), at(2025, 10, 9, 10, 0)),
        # 2026: 10-01..10-07 off, back on Thursday 10-08.
        (at(2026, 9, 30, 17, 0), at(2026, 10, 8, 10, 0)),
    ],
)
def test_the_day_before_national_day(start: datetime, due: datetime) -> None:
    assert add_business_time(DEFAULT_CALENDAR, start, timedelta(hours=2)) == due


def test_make_up_saturday_is_a_working_day() -> None:
    assert date(2026, 10, 10).weekday() == 5
    assert is_working_day(DEFAULT_CALENDAR, date(2026, 10, 10))
    assert add_business_time(DEFAULT_CALENDAR, at(2026, 10, 9, 17, 0), timedelta(hours=2)) == at(
        2026, 10, 10, 10, 0
    )
    # 2025-09-28 is a make-up Sunday.
    assert is_working_time(DEFAULT_CALENDAR, at(2025, 9, 28, 10, 0))
    assert not is_working_time(DEFAULT_CALENDAR, at(2025, 9, 27, 10, 0))


def test_p0_at_night_on_the_24x7_calendar() -> None:
    night = at(2026, 11, 21, 2, 0)  # a Saturday, 02:00
    assert add_business_time(TWENTY_FOUR_SEVEN, night, timedelta(minutes=30)) == at(
        2026, 11, 21, 2, 30
    )
    assert add_business_time(TWENTY_FOUR_SEVEN, night, timedelta(hours=4)) == at(2026, 11, 21, 6, 0)
    assert is_working_time(TWENTY_FOUR_SEVEN, night)


def test_result_keeps_the_start_time_zone() -> None:
    start = datetime(2026, 11, 20, 9, 50, tzinfo=UTC)  # 17:50 in Shanghai
    due = add_business_time(DEFAULT_CALENDAR, start, timedelta(hours=2))
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 23, 2, 50, tzinfo=UTC)


def test_business_time_between_is_the_inverse() -> None:
    friday = at(2026, 11, 20, 17, 50)
    for hours in (0, 1, 2, 8, 24, 72):
        due = add_business_time(DEFAULT_CALENDAR, friday, timedelta(hours=hours))
        assert business_time_between(DEFAULT_CALENDAR, friday, due) == timedelta(hours=hours)
    assert business_time_between(DEFAULT_CALENDAR, at(2026, 11, 23, 10), friday) == -timedelta(
        minutes=70
    )
    assert business_time_between(TWENTY_FOUR_SEVEN, friday, at(2026, 11, 21, 17, 50)) == timedelta(
        hours=24
    )


def test_add_working_days_skips_weekends_and_holidays() -> None:
    assert add_working_days(DEFAULT_CALENDAR, at(2026, 11, 20, 15), 3) == at(2026, 11, 25, 15)
    assert add_working_days(DEFAULT_CALENDAR, at(2026, 9, 30, 10), 1) == at(2026, 10, 8, 10)
    assert add_working_days(DEFAULT_CALENDAR, at(2026, 10, 8, 10), -1) == at(2026, 9, 30, 10)


def test_explicit_holidays_and_workdays_win() -> None:
    cal = BusinessCalendar(
        name="custom",
        extra_holidays=frozenset({date(2026, 11, 23)}),
        extra_workdays=frozenset({date(2026, 11, 21)}),
    )
    assert not is_working_day(cal, date(2026, 11, 23))
    assert is_working_day(cal, date(2026, 11, 21))
    assert add_business_time(cal, at(2026, 11, 20, 17, 50), timedelta(hours=1)) == at(
        2026, 11, 21, 9, 50
    )


def test_unknown_years_fall_back_to_monday_to_friday() -> None:
    assert is_working_day(DEFAULT_CALENDAR, date(2031, 1, 6))  # Monday
    assert not is_working_day(DEFAULT_CALENDAR, date(2031, 1, 4))  # Saturday


def test_calendar_round_trips_through_json() -> None:
    cal = BusinessCalendar(
        name="ecommerce",
        windows=((time(8, 0), time(12, 0)), (time(13, 0), time(22, 0))),
        china_holidays=False,
        weekend_days=(),
        extra_holidays=frozenset({date(2026, 2, 17)}),
    )
    assert BusinessCalendar.from_json(cal.to_json()) == cal
    assert BusinessCalendar.from_dict(TWENTY_FOUR_SEVEN.to_dict()) == TWENTY_FOUR_SEVEN


@pytest.mark.parametrize(
    "bad",
    [
        {"windows": [["12:00", "09:00"]]},
        {"windows": [["09:00", "12:00"], ["11:00", "13:00"]]},
        {"timezone": "Mars/Olympus"},
    ],
)
def test_invalid_calendars_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises((ValueError, KeyError)):
        BusinessCalendar.from_dict(bad)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        add_business_time(DEFAULT_CALENDAR, datetime(2026, 11, 20, 9), timedelta(hours=1))


def test_next_working_time() -> None:
    from shared.calendar import next_working_time

    assert next_working_time(DEFAULT_CALENDAR, at(2026, 11, 20, 17, 50)) == at(2026, 11, 20, 17, 50)
    assert next_working_time(DEFAULT_CALENDAR, at(2026, 11, 20, 18, 0)) == at(2026, 11, 23, 9, 0)
    assert next_working_time(DEFAULT_CALENDAR, at(2026, 11, 25, 12, 0)) == at(2026, 11, 25, 13, 30)
    assert next_working_time(TWENTY_FOUR_SEVEN, at(2026, 11, 21, 3)) == at(2026, 11, 21, 3)


def test_china_holiday_years() -> None:
    from shared.calendar import china_holiday_years

    first, last = china_holiday_years()
    assert first <= 2025 and last >= 2026
