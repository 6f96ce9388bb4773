"""Follow-up's pure rules (its ``domain.py``): warning times and clock states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.followup import domain as followup


def test_warning_time_uses_the_lead_for_long_windows() -> None:
    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    due = start + timedelta(hours=24)
    assert followup.warning_time(start, due, timedelta(hours=4)) == due - timedelta(hours=4)


def test_warning_time_is_half_the_window_for_short_windows() -> None:
    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    due = start + timedelta(minutes=30)
    assert followup.warning_time(start, due, timedelta(hours=4)) == start + timedelta(minutes=15)


def test_stop_state() -> None:
    due = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    assert followup.stop_state(due, due - timedelta(minutes=1)) == "met"
    assert followup.stop_state(due, due) == "met"
    assert followup.stop_state(due, due + timedelta(seconds=1)) == "breached"
    assert followup.stop_state(None, due) == "met"
