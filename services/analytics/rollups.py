"""Incremental rollups: what each ticket adds to the daily cubes, and the deltas to apply.

Every fact contributes one vector of measures to one row of each rollup (its
received day in the report time zone × its dimensions, state included). When a
projection changes a fact, the fact's old vector is taken away from its old row
and the new one added to its new row, in the same transaction, so the summary
reads a few thousand rollup rows instead of scanning the facts.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

# Days and weeks of the reports are China's (UTC+8, no daylight saving).
REPORT_ZONE = timezone(timedelta(hours=8), "Asia/Shanghai")

# Upper bounds (seconds) of the time histograms, each at most twice the one before
# (1 min … 7 days); the last bucket is open-ended.
TIME_BOUNDS: tuple[int, ...] = (
    60,
    120,
    300,
    600,
    900,
    1200,
    1800,
    2700,
    3600,
    5400,
    7200,
    10800,
    14400,
    21600,
    28800,
    43200,
    64800,
    86400,
    129600,
    172800,
    259200,
    432000,
    604800,
)
FRT_BUCKETS = tuple(f"frt_h{i:02d}" for i in range(len(TIME_BOUNDS) + 1))
RES_BUCKETS = tuple(f"res_h{i:02d}" for i in range(len(TIME_BOUNDS) + 1))
CSAT_BUCKETS = tuple(f"csat_{i}" for i in range(1, 6))

# The rollup tables' key columns and measures are data: the newest entry of
# services/analytics/data/rollups.json (migration 0003 creates the tables of its entry).
ROLLUPS_FILE = Path(__file__).resolve().parent / "data" / "rollups.json"
_SHAPE: dict[str, Any] = json.loads(ROLLUPS_FILE.read_text(encoding="utf-8"))["versions"][-1]

INT_MEASURES: tuple[str, ...] = tuple(_SHAPE["int_measures"])
FLOAT_MEASURES: tuple[str, ...] = tuple(_SHAPE["float_measures"])
MEASURES: tuple[str, ...] = INT_MEASURES + FLOAT_MEASURES

# The rollups and their dimensions, all strings, '' for unknown. The daily ones add
# the received day; the others hold every day at once, so a summary without a date
# window reads a few hundred rows whatever the number of tickets.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    table: tuple(column for column in columns if column != "day")
    for table, columns in _SHAPE["tables"].items()
}
DAILY = frozenset(table for table, columns in _SHAPE["tables"].items() if "day" in columns)


def key_columns(table: str) -> tuple[str, ...]:
    return ("day", *DIMENSIONS[table]) if table in DAILY else DIMENSIONS[table]


DONE = ("resolved", "closed")

Key = tuple[Any, ...]
Contribution = dict[str, tuple[Key, dict[str, float]]]


def bucket(seconds: float) -> int:
    for i, bound in enumerate(TIME_BOUNDS):
        if seconds < bound:
            return i
    return len(TIME_BOUNDS)


def local_day(at: datetime, zone: tzinfo) -> date:
    return at.astimezone(zone).date()


def contribution(fact: Any, zone: tzinfo = REPORT_ZONE) -> Contribution | None:
    """The fact's key and measures in each rollup; None before it was received."""
    if fact.received_at is None:
        return None
    v: dict[str, float] = {"tickets": 1}
    state = fact.state or ""
    if state not in DONE:
        v["open"] = 1
    if state == "queued":
        v["queued"] = 1
    if fact.category == "complaint":
        v["complaints"] = 1
    if fact.breached:
        v["breached"] = 1
    elif fact.warned_at is not None and state not in DONE:
        v["at_risk"] = 1
    if fact.response_met is not None or fact.resolution_met is not None or fact.breached:
        v["sla_evaluated"] = 1
        if not fact.breached:
            v["sla_met"] = 1
    if fact.response_met is not None:
        v["response_known"] = 1
        v["response_met"] = int(fact.response_met)
    if fact.resolution_met is not None:
        v["resolution_known"] = 1
        v["resolution_met"] = int(fact.resolution_met)
    if fact.first_response_seconds is not None:
        v["frt_count"] = 1
        v["frt_sum"] = fact.first_response_seconds
        v[FRT_BUCKETS[bucket(fact.first_response_seconds)]] = 1
    if fact.resolution_seconds is not None:
        v["res_count"] = 1
        v["res_sum"] = fact.resolution_seconds
        v[RES_BUCKETS[bucket(fact.resolution_seconds)]] = 1
    if fact.fcr is not None:
        v["resolved"] = 1
        v["fcr"] = int(fact.fcr)
    if fact.reopens:
        v["reopened"] = 1
        v["reopens"] = fact.reopens
    if fact.transfers:
        v["transfers"] = fact.transfers
    if fact.escalations:
        v["escalations"] = fact.escalations
    if fact.csat is not None:
        v["csat_count"] = 1
        v["csat_sum"] = fact.csat
        v[CSAT_BUCKETS[min(max(fact.csat, 1), 5) - 1]] = 1
    if fact.compensation_count:
        v["compensation_count"] = fact.compensation_count
        v["compensation_total"] = fact.compensation_total or 0.0
    day = local_day(fact.received_at, zone)
    values: dict[str, Any] = {
        "channel": fact.channel or "",
        "category": fact.category or "",
        "priority": fact.priority or "",
        "team": fact.team or "",
        "agent": fact.agent_name or "",
        "state": state,
    }
    values["day"] = day
    return {table: (tuple(values[d] for d in key_columns(table)), v) for table in DIMENSIONS}


class Deltas:
    """Accumulates (new - old) per rollup row over one projection run."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[Key, dict[str, float]]] = {
            table: defaultdict(lambda: defaultdict(float)) for table in DIMENSIONS
        }

    def add(self, contribution: Contribution | None, sign: int) -> None:
        if contribution is None:
            return
        for table, (key, vector) in contribution.items():
            row = self.rows[table][key]
            for measure, value in vector.items():
                row[measure] += sign * value

    def merge(self, other: Deltas) -> None:
        for table, rows in other.rows.items():
            for key, vector in rows.items():
                row = self.rows[table][key]
                for measure, value in vector.items():
                    row[measure] += value

    def sparse_changes(self, table: str) -> list[dict[str, Any]]:
        """Upsert rows of one rollup, in key order (so replicas lock rows alike), each
        with its key and only the measures that moved: a batch moves a few of the 79,
        and writing every one of them was most of the rollup write's CPU (py-spy,
        2026-12-07)."""
        dims = key_columns(table)
        out = []
        for key in sorted(self.rows[table]):
            row: dict[str, Any] = {}
            for measure, value in self.rows[table][key].items():
                if not math.isclose(value, 0.0, abs_tol=1e-9):
                    row[measure] = round(value) if measure in _INTS else value
            if row:
                row.update(zip(dims, key, strict=True))
                out.append(row)
        return out

    def changes(self, table: str) -> list[dict[str, Any]]:
        """:meth:`sparse_changes` with every measure (0 where it did not move)."""
        return [dense(table, row) for row in self.sparse_changes(table)]


_INTS = frozenset(INT_MEASURES)


def dense(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A sparse upsert row with every key column and measure."""
    out = {d: row[d] for d in key_columns(table)}
    for measure in MEASURES:
        out[measure] = row.get(measure, 0 if measure in _INTS else 0.0)
    return out


def quantile(histogram: list[int], q: float) -> float | None:
    """The q-quantile of a bucketed histogram, interpolated inside the bucket."""
    total = sum(histogram)
    if total <= 0:
        return None
    target = q * total
    seen = 0.0
    for i, count in enumerate(histogram):
        if count <= 0:
            continue
        if seen + count >= target:
            lower = 0.0 if i == 0 else float(TIME_BOUNDS[i - 1])
            upper = float(TIME_BOUNDS[i]) if i < len(TIME_BOUNDS) else lower * 2
            return lower + (upper - lower) * max(target - seen, 0.0) / count
        seen += count
    return float(TIME_BOUNDS[-1])
