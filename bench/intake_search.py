"""Intake's workspace reads with 10,000+ open tickets on PostgreSQL: search (by ticket
number, phone, e-mail, order number, words) and the ticket page's reads (ticket by number,
conversation), timed in process (the queries and the ORM, no HTTP), p50/p95 per kind.

    .venv/bin/python bench/intake_search.py [--tickets 10000] [--rounds 200]

Needs PostgreSQL at SOPDESK_TEST_POSTGRES (postgresql+asyncpg://postgres@127.0.0.1:5432);
makes and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from intake_rows import IntakeRows
from sqlalchemy.ext.asyncio import create_async_engine

from services.intake import ticket_reading, ticket_search
from services.intake.app import MIGRATIONS
from services.intake.settings import IntakeSettings
from shared.auth import Principal
from shared.database import create_engine, session_factory
from shared.migrations import upgrade
from shared.team_copies import SPEC_TEAMS
from shared.tokens import PersonClaims

SERVER = os.environ.get("SOPDESK_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432")
TEAMS = [key for key, _, _ in SPEC_TEAMS]
WORDS = [
    "账号无法登录",
    "退款未到账",
    "物流延迟",
    "包裹破损",
    "发票开错",
    "设备无法开机",
    "优惠券失效",
]


def agent(team: str) -> Principal:
    person = PersonClaims(
        person_id=uuid.uuid4(),
        login="bench",
        display_name="bench",
        roles=frozenset({"agent"}),
        teams=frozenset({team}),
        supervises=frozenset(),
    )
    return Principal(role="agent", key_id="bench", name="bench", person=person)


async def fill(url: str, count: int) -> list[dict[str, Any]]:
    engine = create_engine(url)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    async with engine.begin() as conn:
        intake = IntakeRows()
        for i in range(count):
            at = start + timedelta(minutes=3 * i)
            phone, email = f"+86139{i:08d}", f"c{i}@example.com"
            words = WORDS[i % len(WORDS)]
            ticket = intake.add(
                i,
                at,
                phone,
                email,
                ticket_no=f"T{at:%Y%m%d}-{i + 1:06d}",
                subject=f"{words}{i}",
                description=f"{words},订单SO{i:08d}已经三天了,请尽快处理。编号{i}",
                order_no=f"SO{i:08d}",
                team=TEAMS[i % len(TEAMS)],
            )
            rows.append({**ticket, "phone": phone, "email": email})
        await intake.insert(conn, 2000)
        await conn.execute(sa.text("ANALYZE"))
    await engine.dispose()
    return rows


async def timed(rounds: int, call: Callable[[int], Awaitable[Any]]) -> tuple[float, float]:
    took = []
    for i in range(rounds):
        began = time.perf_counter()
        await call(i)
        took.append((time.perf_counter() - began) * 1000)
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.95) - 1]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    name = f"sopdesk_bench_search_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"{SERVER}/{name}"
    try:
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        rows = await fill(url, args.tickets)
        settings = IntakeSettings(database_url=url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        pick = random.Random(7)

        def any_row() -> dict[str, Any]:
            return rows[pick.randrange(len(rows))]

        async def search(q: Callable[[dict[str, Any]], str]) -> Callable[[int], Awaitable[Any]]:
            async def run(_i: int) -> Any:
                row = any_row()
                async with sessions() as session:
                    found = await ticket_search.search(
                        session, agent(row["team"]), q(row), 20, settings
                    )
                assert found, q(row)

            return run

        async def page(_i: int) -> None:
            row = any_row()
            async with sessions() as session:
                ticket = await ticket_reading.readable_ticket(
                    session, agent(row["team"]), row["ticket_no"]
                )
                await ticket_reading.ticket_view(session, ticket)
                await ticket_reading.conversation(session, ticket)

        cases: dict[str, Callable[[int], Awaitable[Any]]] = {
            "search ticket number": await search(lambda r: r["ticket_no"]),
            "search phone": await search(lambda r: r["phone"][3:]),
            "search e-mail": await search(lambda r: r["email"]),
            "search order number": await search(lambda r: r["order_no"]),
            "search words (LIKE)": await search(lambda r: r["subject"][:5]),
            "ticket page (ticket + conversation)": page,
        }
        print(f"{args.tickets} open tickets, {args.rounds} rounds each, PostgreSQL, in process")
        for label, call in cases.items():
            await timed(10, call)  # warm up
            p50, p95 = await timed(args.rounds, call)
            print(f"  {label:38s} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
        await engine.dispose()
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
