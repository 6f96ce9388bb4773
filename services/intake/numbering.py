"""Ticket numbers handed out from blocks reserved in the store.

Taking each number in the request's own transaction locks the day's counter row
until that request commits, so concurrent tickets queue behind one another. On
PostgreSQL a replica instead reserves a block of numbers in a short transaction
of its own, on a connection of its own (a request never waits for the pool to
free one), and hands them out from memory. Replicas get disjoint blocks; the
price is that numbers are not in arrival order across replicas, and that a
restart skips what was left of its block. SQLite has one writer anyway: there the
number is taken in the request's transaction as before.
"""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository
from shared.database import create_engine, session_factory


class TicketNumbers:
    def __init__(self, database_url: str, block: int) -> None:
        self._block = max(block, 1)
        self._sqlite = database_url.startswith("sqlite")
        self._engine = None if self._sqlite else create_engine(database_url, pool_size=1)
        self._sessions = None if self._engine is None else session_factory(self._engine)
        self._lock = asyncio.Lock()
        self._day: date | None = None
        self._next = 0
        self._last = -1

    async def take(self, session: AsyncSession, day: date) -> int:
        """The next number of ``day``; ``session`` is the request's (used on SQLite)."""
        if self._sessions is None or self._block == 1:
            return await repository.next_ticket_sequence(session, day)
        async with self._lock:
            if self._day != day or self._next > self._last:
                async with self._sessions() as own, own.begin():
                    last = await repository.reserve_ticket_numbers(own, day, self._block)
                self._day, self._next, self._last = day, last - self._block + 1, last
            number = self._next
            self._next += 1
            return number

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
