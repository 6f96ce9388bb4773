"""The dashboard benchmark builds its million facts with analytics' own projection code;
a projection change that the benchmark's facts do not follow must fail here, not on the
day someone runs the benchmark."""

from __future__ import annotations

import importlib.util
import random
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from services.analytics import domain, rollups

BENCH = Path(__file__).resolve().parents[2] / "bench" / "dashboard.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_dashboard", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_facts_go_through_the_projection_and_the_rollups() -> None:
    bench = _bench()
    rng, now = random.Random(7), datetime(2026, 12, 1, tzinfo=UTC)
    facts = [bench.make_fact(rng, n, now, 30) for n in range(300)]
    assert {f.state for f in facts} <= set(domain.STATES)
    answered = [f for f in facts if f.accepted_at is not None]
    assert answered and all(f.first_response_seconds is not None for f in answered)
    contributions = [rollups.contribution(f) for f in facts]
    assert all(c is not None for c in contributions)
