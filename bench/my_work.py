"""Benchmark of the agent's "my work" views and a ticket's activity with 10,000 open tickets
(issue 13: p95 ≤ 300 ms).

Workload (stated so anyone can repeat it):

- A fresh PostgreSQL database (``--database``, default ``sopdesk_bench_my_work`` on
  ``--server``) migrated with dispatch's own Alembic history; 7 teams of ``--agents``
  agents (default 15 each); ``--tickets`` open assignments (default 10,000) spread over the
  agents, 30 % assigned, 50 % accepted, 20 % waiting on the customer, deadlines from 2 h
  ago to 3 days ahead (so every view has rows), plus 20,000 resolved ones; 12 activity
  lines per open ticket (120,000).
- Then ``--runs`` times (default 200) each: one agent's view (``new``, ``in_progress``,
  ``waiting``, ``due_soon``, ``breached`` and no view, at random) and one ticket's
  activity, as the routes compute them: the repository query, the response models and the
  JSON, on a warm connection; prints p50, p95 and max in milliseconds.

    python bench/my_work.py            # ~1 minute to load
    python bench/my_work.py --reuse    # time again without reloading
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from services.dispatch import repository
from services.dispatch.app import MIGRATIONS
from services.dispatch.domain import DEFAULT_TEAM_KEYS
from services.dispatch.models import ActivityEntry, Agent, Assignment
from services.dispatch.schemas import ActivityView, AssignmentView
from shared.database import create_engine, session_factory
from shared.migrations import ensure_database, upgrade

VIEWS = [None, "new", "in_progress", "waiting", "due_soon", "breached"]
KINDS = ["assigned", "accepted", "internal_note", "public_reply", "customer_replied", "waiting"]


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="sopdesk_bench_my_work")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=15, help="per team")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--reuse", action="store_true")
    return parser.parse_args()


def _assignment(n: int, agent: Agent, now: datetime, state: str) -> dict[str, Any]:
    respond = now + timedelta(minutes=random.randint(-120, 600))
    resolve = respond + timedelta(hours=random.randint(2, 60))
    return {
        "id": uuid.uuid4(),
        "ticket_id": uuid.uuid4(),
        "ticket_no": f"T20261202-{n:06d}",
        "team_key": agent.team_key,
        "agent_id": agent.id,
        "last_agent_id": agent.id,
        "state": state,
        "priority": random.choice(["P0", "P1", "P2", "P2"]),
        "category": "fault",
        "customer_type": "new",
        "subject": "设备无法启动,需要尽快处理",
        "respond_by": respond,
        "resolve_by": resolve,
        "created_at": now - timedelta(minutes=random.randint(1, 5000)),
        "assigned_at": now,
        "updated_at": now,
        "keywords": ["无法启动"],
        "kb_suggestions": [],
        "escalated": False,
        "version": 1,
    }


async def _load(url: str, tickets: int, per_team: int) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    random.seed(13)
    async with sessions() as session:
        agents = [
            Agent(
                id=uuid.uuid4(),
                name=f"{team}-bench-{i}",
                team_key=team,
                skills=["fault"],
                skill_levels={"fault": 3},
                capacity=200,
                status="online",
                active_count=0,
            )
            for team in DEFAULT_TEAM_KEYS
            for i in range(per_team)
        ]
        session.add_all(agents)
        await session.commit()
        rows = []
        states = ["assigned"] * 3 + ["accepted"] * 5 + ["waiting_on_customer"] * 2
        for n in range(tickets):
            rows.append(_assignment(n, random.choice(agents), now, random.choice(states)))
        for n in range(tickets, tickets + 2 * tickets):
            row = _assignment(n, random.choice(agents), now - timedelta(days=20), "resolved")
            rows.append(row)
        for start in range(0, len(rows), 2000):
            await session.execute(sa.insert(Assignment), rows[start : start + 2000])
        lines = [
            {
                "id": uuid.uuid4(),
                "ticket_id": row["ticket_id"],
                "assignment_id": row["id"],
                "kind": random.choice(KINDS),
                "actor_id": f"person:{row['agent_id']}",
                "actor_name": "王工",
                "at": now - timedelta(minutes=k),
                "text": "已联系客户 138****5678,等待回复",
                "data": {},
            }
            for row in rows[:tickets]
            for k in range(12)
        ]
        for start in range(0, len(lines), 5000):
            await session.execute(sa.insert(ActivityEntry), lines[start : start + 5000])
        await session.commit()
        await session.execute(sa.text("ANALYZE"))
        await session.commit()
    await engine.dispose()


def _summary(name: str, times: list[float]) -> str:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    return (
        f"{name:<22} p50 {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms"
        f"   max {times[-1]:7.2f} ms   ({len(times)} runs)"
    )


async def _time(url: str, runs: int) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session:
        agent_ids = list((await session.scalars(sa.select(Agent.id))).all())
        tickets = list(
            (
                await session.scalars(
                    sa.select(Assignment.ticket_id).where(Assignment.state != "resolved")
                )
            ).all()
        )
    views: list[float] = []
    pages: list[float] = []
    sizes: list[int] = []
    async with sessions() as session:
        for _ in range(runs):
            started = time.perf_counter()
            rows = await repository.list_assignments(
                session,
                team=None,
                agent=random.choice(agent_ids),
                state=None,
                limit=100,
                view=random.choice(VIEWS),
                now=datetime.now(UTC),
            )
            body = json.dumps(
                [AssignmentView.model_validate(r).model_dump(mode="json") for r in rows]
            )
            views.append((time.perf_counter() - started) * 1000)
            sizes.append(len(rows))
            started = time.perf_counter()
            lines = await repository.activity_of(session, random.choice(tickets), 500)
            body = json.dumps(
                [ActivityView.model_validate(r).model_dump(mode="json") for r in lines]
            )
            pages.append((time.perf_counter() - started) * 1000)
            assert body
            await session.rollback()  # a fresh transaction per request, as the routes have
    await engine.dispose()
    print(f"open tickets: {len(tickets)}, agents: {len(agent_ids)}")
    print(f"items per view: median {statistics.median(sizes)}, max {max(sizes)}")
    print(_summary("my work (a view)", views))
    print(_summary("ticket activity", pages))


async def main() -> None:
    args = _args()
    url = f"{args.server}/{args.database}"
    if not args.reuse:
        engine = create_engine(f"{args.server}/postgres")
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(sa.text(f'DROP DATABASE IF EXISTS "{args.database}"'))
        await engine.dispose()
        await ensure_database(url)
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        started = time.perf_counter()
        await _load(url, args.tickets, args.agents)
        print(f"loaded in {time.perf_counter() - started:.1f} s")
    await _time(url, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
