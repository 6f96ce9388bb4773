"""Dispatch's pure rules (``services/dispatch/domain.py``): no database, no broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.dispatch import domain

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_compensation_above_its_threshold_needs_approval() -> None:
    thresholds = {"coupon": 50.0}
    assert not domain.needs_approval("coupon", 50.0, thresholds)
    assert domain.needs_approval("coupon", 50.01, thresholds)
    # A kind without a threshold always waits for the supervisor.
    assert domain.needs_approval("refund", 1.0, thresholds)


@pytest.mark.parametrize(
    ("capacity", "chat_capacity", "active", "chats", "holds"),
    [
        (3, None, 3, 2, True),  # without a chat capacity every ticket counts against capacity
        (2, None, 3, 2, False),
        (1, 2, 3, 2, True),  # with one: 1 other ticket, 2 chats
        (0, 2, 3, 2, False),
        (1, 1, 3, 2, False),
    ],
)
def test_new_capacities_must_hold_the_agents_load(
    capacity: int, chat_capacity: int | None, active: int, chats: int, holds: bool
) -> None:
    assert domain.capacity_holds_load(capacity, chat_capacity, active, chats) is holds


def test_a_visit_window_defaults_to_now_until_the_latest_allowed() -> None:
    assert domain.visit_window(NOW, None, None, 48) == (NOW, NOW + timedelta(hours=48))
    start = NOW + timedelta(hours=2)
    assert domain.visit_window(NOW, start, None, 48) == (start, NOW + timedelta(hours=48))


@pytest.mark.parametrize(
    ("start_h", "end_h", "code"),
    [(5, 5, "invalid_visit_window"), (5, 4, "invalid_visit_window"), (1, 49, "visit_too_late")],
)
def test_a_visit_window_that_cannot_be_booked_says_why(start_h: int, end_h: int, code: str) -> None:
    with pytest.raises(domain.InvalidVisit) as refused:
        domain.visit_window(NOW, NOW + timedelta(hours=start_h), NOW + timedelta(hours=end_h), 48)
    assert refused.value.code == code


def test_a_visit_window_may_start_a_little_before_the_servers_clock_not_earlier() -> None:
    assert domain.visit_window(NOW, NOW - timedelta(minutes=4), None, 48)[0] < NOW
    with pytest.raises(domain.InvalidVisit) as refused:
        domain.visit_window(NOW, NOW - timedelta(minutes=6), None, 48)
    assert refused.value.code == "visit_in_the_past"


@pytest.mark.parametrize(
    ("status", "team", "room", "back"),
    [
        ("online", "tech_support", True, True),
        ("away", "tech_support", True, False),
        ("online", "finance", True, False),  # moved to another team meanwhile
        ("online", "tech_support", False, False),
    ],
)
def test_a_reopened_ticket_goes_back_to_its_last_agent_only_when_they_can_take_it(
    status: str, team: str, room: bool, back: bool
) -> None:
    assert domain.takes_back_reopened(status, team, "tech_support", room) is back
