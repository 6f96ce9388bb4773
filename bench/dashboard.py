"""Benchmark of the dashboard summary over a million tickets (SPEC §6: ≤ 50 ms).

Workload (stated so anyone can repeat it):

- ``--tickets`` tickets (default 1,000,000) received over ``--days`` days (default
  180), spread over 7 channels, 6 categories, 3 priorities, 7 teams of 10 agents
  each; tickets of the last 3 days are still open (received, queued, assigned,
  in progress), older ones resolved or closed; ~6 % breached, ~4 % reopened,
  CSAT on ~60 %, compensation on ~5 %, realistic first-response and resolution
  times.
- Their facts are written straight into a fresh PostgreSQL database
  (``--database``, default ``sopdesk_bench_dashboard`` on ``--server``) migrated
  with analytics' own Alembic history, with COPY; the daily rollups are built
  from the same facts with the projection's own ``rollups.contribution`` (what the
  consumer would have accumulated event by event).
- Then ``--runs`` times (default 50) each of: the summary as ``GET
  /v1/metrics/summary`` computes it (no grouping; ``group_by=team``;
  ``group_by=day``; ``group_by=agent``), on a warm connection; prints p50, p95 and
  max in milliseconds, and the first page of the ledger for comparison.

    python bench/dashboard.py                    # 1M tickets, ~1-2 minutes to load
    python bench/dashboard.py --tickets 100000   # quicker
    python bench/dashboard.py --reuse            # time again without reloading
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import sqlalchemy as sa

from services.analytics import domain, metrics, repository, rollups
from services.analytics.app import MIGRATIONS
from services.analytics.models import ROLLUPS, TicketFact
from shared.database import create_engine, session_factory
from shared.migrations import ensure_database, upgrade

CHANNELS = ["phone", "web_chat", "app", "mini_program", "email", "social", "store"]
CATEGORIES = {  # category: (team, priority weights P0/P1/P2, share)
    "inquiry": ("frontline", (1, 10, 89), 35),
    "complaint": ("complaints", (5, 70, 25), 20),
    "fault": ("tech_support", (40, 50, 10), 15),
    "after_sales": ("after_sales", (2, 58, 40), 15),
    "suggestion": ("product", (0, 5, 95), 10),
    "customization": ("logistics", (0, 30, 70), 5),
}
RESPOND = {"P0": 1800, "P1": 7200, "P2": 86400}
RESOLVE = {"P0": 14400, "P1": 86400, "P2": 259200}
FACT_COLUMNS = [
    "ticket_id",
    "ticket_no",
    "channel",
    "customer_type",
    "masked_contact",
    "subject",
    "category",
    "scene",
    "priority",
    "team",
    "agent_name",
    "state",
    "received_at",
    "accepted_at",
    "resolved_at",
    "respond_by",
    "resolve_by",
    "first_response_seconds",
    "resolution_seconds",
    "response_met",
    "resolution_met",
    "breached",
    "transfers",
    "escalations",
    "reopens",
    "compensation_count",
    "compensation_total",
    "csat",
    "fcr",
]


def make_fact(rng: random.Random, n: int, now: datetime, days: int) -> SimpleNamespace:
    category = rng.choices(list(CATEGORIES), [c[2] for c in CATEGORIES.values()])[0]
    team, weights, _ = CATEGORIES[category]
    priority = rng.choices(["P0", "P1", "P2"], weights)[0]
    received = now - timedelta(seconds=rng.uniform(0, days * 86400))
    age = (now - received).total_seconds()
    agent = f"{team}-{rng.randint(1, 10)}"
    f = SimpleNamespace(
        ticket_id=uuid.UUID(int=rng.getrandbits(128)),
        ticket_no=f"T{received:%Y%m%d}-{n:07d}",
        channel=rng.choice(CHANNELS),
        customer_type=rng.choice(["new", "returning", "vip"]),
        masked_contact="138****5678",
        subject="快递三天还没到",
        description="订单下单三天了还没发货",
        category=category,
        scene="after_sale",
        priority=priority,
        team=team,
        agent_name=agent,
        state="closed",
        received_at=received,
        accepted_at=None,
        resolved_at=None,
        respond_by=received + timedelta(seconds=RESPOND[priority]),
        resolve_by=received + timedelta(seconds=RESOLVE[priority]),
        warned_at=None,
        first_agent_id=None,
        resolved_by_agent_id=None,
        resolution_code="done",
        response_breached=False,
        resolution_breached=False,
        update_breached=rng.random() < 0.01,
        transfers=1 if rng.random() < 0.08 else 0,
        escalations=1 if rng.random() < 0.05 else 0,
        reopens=1 if rng.random() < 0.04 else 0,
        compensation_count=0,
        compensation_total=0.0,
        csat=None,
        calendar_spec=None,  # no calendar: no business-time figures (the summary needs none)
    )
    if age < 3 * 86400:  # recent: still open
        f.state = rng.choice(["received", "queued", "assigned", "in_progress", "resolved"])
        f.agent_name = None if f.state in ("received", "queued") else agent
        if f.state == "queued":
            f.agent_name = None
    if f.state not in ("received", "queued", "assigned"):
        f.accepted_at = received + timedelta(
            seconds=RESPOND[priority] * rng.betavariate(2, 5) * 1.3
        )
    if f.state in ("resolved", "closed"):
        f.resolved_at = received + timedelta(
            seconds=RESOLVE[priority] * rng.betavariate(2, 4) * 1.2
        )
        if rng.random() < 0.6:
            f.csat = rng.choices([1, 2, 3, 4, 5], [3, 4, 10, 33, 50])[0]
        if rng.random() < 0.05:
            f.compensation_count, f.compensation_total = 1, float(rng.choice([10, 20, 50, 100]))
    if f.state in ("assigned", "in_progress") and rng.random() < 0.2:
        f.warned_at = now
    domain.refresh(f)
    return f


async def load(url: str, tickets: int, days: int) -> None:
    rng = random.Random(2026)
    now = datetime.now(UTC)
    deltas = rollups.Deltas()
    raw = sa.engine.make_url(url).set(drivername="postgresql")
    conn = await asyncpg.connect(raw.render_as_string(hide_password=False))
    started = time.perf_counter()
    try:
        chunk = 100_000
        for start in range(0, tickets, chunk):
            records = []
            for n in range(start, min(start + chunk, tickets)):
                f = make_fact(rng, n, now, days)
                deltas.add(rollups.contribution(f), +1)
                records.append(tuple(getattr(f, c) for c in FACT_COLUMNS))
            await conn.copy_records_to_table("ticket_facts", records=records, columns=FACT_COLUMNS)
            print(f"  facts: {start + len(records):>9,}", flush=True)
        for name, table in ROLLUPS.items():
            rows = deltas.changes(name)
            columns = list(rows[0])
            await conn.copy_records_to_table(
                table.name, records=[tuple(r[c] for c in columns) for r in rows], columns=columns
            )
            print(f"  {name}: {len(rows):,} rows")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    print(f"loaded in {time.perf_counter() - started:.1f} s")


async def summary(session: Any, group_by: str | None) -> Any:
    """What the summary route computes, minus HTTP."""
    return await metrics.summary(session, group_by, {})


def _report(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[int(0.95 * (len(samples) - 1))]
    print(
        f"{label:<28} p50 {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms"
        f"   max {samples[-1]:7.1f} ms"
    )


async def measure(url: str, runs: int) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            count = await session.scalar(sa.select(sa.func.count()).select_from(TicketFact))
            cube = await session.scalar(
                sa.select(sa.func.count()).select_from(ROLLUPS["daily_rollups"])
            )
            print(f"{count:,} tickets, {cube:,} daily rollup rows")
            figures = (await summary(session, None))["figures"]
            print(
                f"total {figures.tickets:,}, SLA {figures.sla_compliance}, "
                f"CSAT {figures.csat.average}, FCR {figures.fcr_rate}, "
                f"median first response {figures.first_response.median_seconds} s"
            )
            for group_by in (None, "team", "day", "agent"):
                samples = []
                for _ in range(runs):
                    started = time.perf_counter()
                    await summary(session, group_by)
                    samples.append((time.perf_counter() - started) * 1000)
                _report(f"summary group_by={group_by}", samples)
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                await repository.ledger_page(session, 100, None)
                samples.append((time.perf_counter() - started) * 1000)
            _report("ledger first page (100)", samples)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="sopdesk_bench_dashboard")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data, only time")
    args = parser.parse_args()
    url = f"{args.server}/{args.database}"

    async def reset() -> None:
        admin = sa.engine.make_url(f"{args.server}/postgres").set(drivername="postgresql")
        conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        finally:
            await conn.close()
        await ensure_database(url)

    if not args.reuse:
        asyncio.run(reset())
        upgrade(MIGRATIONS, url)
        print(f"loading {args.tickets:,} tickets over {args.days} days into {args.database}")
        asyncio.run(load(url, args.tickets, args.days))
    asyncio.run(measure(url, args.runs))


if __name__ == "__main__":
    main()
