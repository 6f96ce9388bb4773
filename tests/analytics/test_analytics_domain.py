"""Analytics' pure rules (its ``domain.py``): state order and cursors."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest

from services.analytics import domain as analytics


def test_advanced_state_never_moves_back() -> None:
    assert analytics.advanced_state("new", "assigned") == "assigned"
    assert analytics.advanced_state("assigned", "received") == "assigned"
    assert analytics.advanced_state("assigned", "triaged") == "assigned"
    assert analytics.advanced_state("received", "triaged") == "triaged"
    assert analytics.advanced_state("queued", "assigned") == "assigned"
    assert analytics.advanced_state("triaged", "bogus") == "triaged"


def test_cursor_round_trip() -> None:
    at = datetime(2026, 11, 22, 9, 15, 30, 123456, tzinfo=UTC)
    ident = uuid.uuid4()
    cursor = analytics.encode_cursor(at, ident)
    assert analytics.decode_cursor(cursor) == (at, ident)
    assert "|" not in cursor and "/" not in cursor and "+" not in cursor


@pytest.mark.parametrize(
    "garbage",
    [
        "!!!",
        "abc",
        base64.urlsafe_b64encode(b"not-a-date|" + str(uuid.uuid4()).encode()).decode(),
        base64.urlsafe_b64encode(b"2026-11-22T09:15:00+00:00|nope").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    ],
)
def test_garbage_cursor_is_a_value_error(garbage: str) -> None:
    with pytest.raises(ValueError):
        analytics.decode_cursor(garbage)
