"""Follow-up's rules as plain functions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.calendar import (
    DEFAULT_CALENDAR,
    TWENTY_FOUR_SEVEN,
    BusinessCalendar,
    add_business_time,
    add_working_days,
    business_time_between,
    last_working_time,
    next_working_time,
    working_day_length,
)


def warning_time(started_at: datetime, due_at: datetime, lead: timedelta) -> datetime:
    """Warn ``lead`` before the deadline, but never later than half the window (short SLAs)."""
    window = due_at - started_at
    return due_at - min(lead, window / 2)


def stop_state(due_at: datetime | None, stopped_at: datetime) -> str:
    """A clock stopped by its deadline is met; after it, breached."""
    if due_at is None or stopped_at <= due_at:
        return "met"
    return "breached"


def next_fire_time(
    *,
    stopped_at: datetime | None,
    warn_at: datetime | None,
    due_at: datetime | None,
    warned_at: datetime | None,
    breached_at: datetime | None,
) -> datetime | None:
    """When the timer must next look at a clock: its warning, then its deadline; never
    once the clock is stopped or has breached."""
    if stopped_at is not None or breached_at is not None or due_at is None:
        return None
    if warned_at is None and warn_at is not None:
        return min(warn_at, due_at)
    return due_at


def next_update_due(calendar: BusinessCalendar, since: datetime, interval: timedelta) -> datetime:
    """When the next customer-visible update is due after ``since`` (the ticket's start or
    its last update): ``interval`` later on 24×7, else the same working time that many
    working days later, so a weekend or a public holiday never needs an update (a ticket
    that came in at night counts from the next morning)."""
    if calendar.always_open:
        return since + interval
    start = next_working_time(calendar, since)
    return add_working_days(calendar, start, max(1, round(interval / timedelta(days=1))))


def reopened_due(
    calendar: BusinessCalendar, started_at: datetime, due_at: datetime, reopened_at: datetime
) -> datetime:
    """A reopened ticket's resolution deadline: the same working time as its first window,
    counted again from the reopen."""
    window = max(business_time_between(calendar, started_at, due_at), timedelta(0))
    return add_business_time(calendar, reopened_at, window)


def calendar_of(spec: dict[str, Any] | None) -> BusinessCalendar:
    """The calendar triage sent with the ticket's deadlines; 24×7 when none (or unreadable)."""
    if not spec:
        return TWENTY_FOUR_SEVEN
    try:
        return BusinessCalendar.from_dict(spec)
    except (ValueError, TypeError, KeyError):
        return TWENTY_FOUR_SEVEN


def business_warning_time(
    calendar: BusinessCalendar, started_at: datetime, due_at: datetime, lead: timedelta
) -> datetime:
    """Warn ``lead`` of working time before the deadline, never later than half the
    window's working time (short SLAs). On 24×7 this is :func:`warning_time`."""
    window = business_time_between(calendar, started_at, due_at)
    if window <= timedelta(0):
        return due_at
    return add_business_time(calendar, started_at, window - min(lead, window / 2))


def shifted(calendar: BusinessCalendar, at: datetime, paused: timedelta) -> datetime:
    """``at`` moved later by the working time spent paused."""
    if paused <= timedelta(0):
        return at
    return add_business_time(calendar, at, paused)


def paused_for(calendar: BusinessCalendar, since: datetime, until: datetime) -> timedelta:
    """Working time between a pause and its resume (nothing if the resume came first)."""
    return max(business_time_between(calendar, since, until), timedelta(0))


# Callbacks (回访) planned on resolution, by category: (kind, default owner team). Seed 003
# calls fault tickets back too (故障类 回访确认); seed 001 calls after-sales back within 24 h.
CALLBACK_KINDS: dict[str, tuple[str, str]] = {
    "after_sales": ("after_sales_callback", "after_sales"),
    "fault": ("fault_callback", "tech_support"),
    "complaint": ("satisfaction_callback", "complaints"),
    "suggestion": ("suggestion_feedback", "product"),
}


def within_working_hours(
    calendar: BusinessCalendar, resolved_at: datetime, within: timedelta
) -> datetime:
    """A call due at most ``within`` after resolution and inside working hours: the
    deadline itself when it falls in working time, else the end of the last working
    window before it; when no working time lies between (resolved on a Friday evening
    before a long holiday), the next working time after."""
    deadline = resolved_at + within
    latest = last_working_time(calendar, deadline)
    if latest > resolved_at:
        return latest
    return next_working_time(calendar, deadline)


def plan_callback(
    category: str | None,
    team: str | None,
    resolved_at: datetime,
    calendar: BusinessCalendar,
    *,
    after_sales_within: timedelta,
    fault_within: timedelta,
    complaint_within: timedelta,
    suggestion_working_days: int,
) -> tuple[str, str, datetime] | None:
    """The callback a resolved ticket needs: (kind, owner, due), or None.

    After-sales, fault and complaint callbacks are due within a fixed time of the
    resolution, inside working hours (a call at 02:30 helps nobody); suggestion feedback
    within that many working days of working time, so it is due inside working hours
    too. Both on the ticket's calendar, or China's working calendar when the ticket ran
    on 24×7, so nights, weekends and public holidays never count.
    """
    if category not in CALLBACK_KINDS:
        return None
    kind, default_owner = CALLBACK_KINDS[category]
    owner = default_owner if category == "suggestion" else (team or default_owner)
    days_calendar = DEFAULT_CALENDAR if calendar.always_open else calendar
    if category == "suggestion":
        working = working_day_length(days_calendar) * suggestion_working_days
        return kind, owner, add_business_time(days_calendar, resolved_at, working)
    within = {
        "after_sales": after_sales_within,
        "fault": fault_within,
        "complaint": complaint_within,
    }[category]
    return kind, owner, within_working_hours(days_calendar, resolved_at, within)
