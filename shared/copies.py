"""Plumbing of a service's copy of what another service announces (teams, holiday
schedules): announcements may come twice, late or out of order, so a copy keeps the
newest for each key."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import TypeVar

E = TypeVar("E")
K = TypeVar("K", bound=Hashable)


def newest_per_key(
    events: Iterable[E], key: Callable[[E], K], updated_at: Callable[[E], datetime]
) -> dict[K, E]:
    """The newest of ``events`` for each key; of two as new, the later in the batch."""
    latest: dict[K, E] = {}
    for event in events:
        held = latest.get(key(event))
        if held is None or updated_at(event) >= updated_at(held):
            latest[key(event)] = event
    return latest
