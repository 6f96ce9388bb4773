"""Ticket numbers from blocks: replicas never hand out the same number, and the
counter row is only touched once per block (PostgreSQL) or per ticket (SQLite)."""

from __future__ import annotations

import asyncio
from datetime import date

import sqlalchemy as sa
from intake_support import IntakeStore

from services.intake.models import TicketCounter
from services.intake.numbering import TicketNumbers

DAY = date(2026, 12, 1)


async def test_two_replicas_number_concurrent_tickets_without_a_repeat(
    intake_db: IntakeStore, database_url: str
) -> None:
    replicas = [TicketNumbers(database_url, block=7) for _ in range(2)]

    async def take(numbers: TicketNumbers) -> int:
        async with intake_db.sessions() as session, session.begin():
            return await numbers.take(session, DAY)

    try:
        taken = await asyncio.gather(*(take(replicas[i % 2]) for i in range(40)))
    finally:
        for numbers in replicas:
            await numbers.close()
    async with intake_db.sessions() as session:
        counter = await session.scalar(
            sa.select(TicketCounter.value).where(TicketCounter.day == DAY)
        )
    assert counter is not None
    assert len(set(taken)) == 40 and min(taken) >= 1 and max(taken) <= counter
    if intake_db.backend == "sqlite":
        assert sorted(taken) == list(range(1, 41))  # one writer: taken one by one
    else:
        assert counter % 7 == 0 and counter < 40 + 2 * 7  # whole blocks, at most one open each


async def test_a_new_day_starts_its_own_block(intake_db: IntakeStore, database_url: str) -> None:
    numbers = TicketNumbers(database_url, block=50)
    try:
        async with intake_db.sessions() as session, session.begin():
            first = await numbers.take(session, DAY)
            second = await numbers.take(session, DAY)
            next_day = await numbers.take(session, date(2026, 12, 2))
    finally:
        await numbers.close()
    assert (first, second, next_day) == (1, 2, 1)
