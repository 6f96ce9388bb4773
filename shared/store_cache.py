"""A value read from a database and kept in the process for a while, per database."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared.database import store_key

T = TypeVar("T")


class StoreCache(Generic[T]):
    """What ``read`` gave for each database (the session's), read again once it is
    ``seconds`` old (every time when 0); a session on no known database is read every time.
    """

    def __init__(self) -> None:
        self._kept: dict[str, tuple[float, T]] = {}

    def clear(self) -> None:
        self._kept.clear()

    def forget(self, session: AsyncSession) -> None:
        """Read the session's database again next time (this process just changed it)."""
        self._kept.pop(store_key(session) or "", None)

    async def get(
        self, session: AsyncSession, seconds: float, read: Callable[[], Awaitable[T]]
    ) -> T:
        store = store_key(session)
        now = time.monotonic()
        if store is not None and seconds > 0:
            cached = self._kept.get(store)
            if cached is not None and now - cached[0] < seconds:
                return cached[1]
        value = await read()
        if store is not None:
            self._kept[store] = (now, value)
        return value
