"""The collector tuned once intake is up (shared/heap.py, issue 14): start-up objects are
frozen out of its walks, young objects are collected less often, and a reference cycle
made afterwards is still found."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from intake_support import running_intake

from services.intake import app as intake_app
from shared import heap


@pytest.fixture
def collector_state() -> Iterator[None]:
    """This test process's collector as it was, afterwards."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class _Node:
    def __init__(self) -> None:
        self.peer: _Node | None = None


def test_settle_heap_freezes_what_lives_and_still_collects_new_cycles(
    collector_state: None,
) -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    kept = _Node()
    heap.settle_heap()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
    assert not any(o is kept for o in gc.get_objects())  # frozen: never walked again
    assert kept.peer is None  # and alive
    # A cycle made after start-up is garbage the collector still finds.
    first, second = _Node(), _Node()
    first.peer, second.peer = second, first
    gone = weakref.ref(first)
    del first, second
    gc.collect()
    assert gone() is None


async def test_intake_settles_its_heap_once_started(
    tmp_path: Path,
    broker: str,
    topic_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    collector_state: None,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(intake_app, "settle_heap", lambda: calls.append("settled"))
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with running_intake(url, broker, topic_prefix) as (client, _store):
        assert calls == ["settled"]
        assert (await client.get("/healthz")).status_code == 200
