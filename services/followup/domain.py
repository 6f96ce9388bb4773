"""Follow-up's rules as plain functions."""

from __future__ import annotations

from datetime import datetime, timedelta


def warning_time(started_at: datetime, due_at: datetime, lead: timedelta) -> datetime:
    """Warn ``lead`` before the deadline, but never later than half the window (short SLAs)."""
    window = due_at - started_at
    return due_at - min(lead, window / 2)


def stop_state(due_at: datetime | None, stopped_at: datetime) -> str:
    """A clock stopped by its deadline is met; after it, breached."""
    if due_at is None or stopped_at <= due_at:
        return "met"
    return "breached"
