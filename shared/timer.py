"""A service's background timer: one round of work with the wall clock, over and over, on
every replica (the rounds' own locks keep replicas apart). The round is the service's;
this is only the loop: start, stop, retry after a failure, and go again at once while a
round comes back full."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from shared.observability import get_logger
from shared.runtime import ServiceRuntime

log = get_logger(__name__)


class Timer:
    def __init__(
        self,
        name: str,
        run_round: Callable[[ServiceRuntime], Awaitable[int]],
        *,
        interval: float,
        full_round: int | None = None,
        max_backoff: float | None = None,
    ) -> None:
        """``run_round`` returns how much it did; ``full_round`` that much or more means
        more is waiting (None: always wait ``interval``). After a failure the next round
        waits ``interval``, doubled each failure up to ``max_backoff`` (None: no doubling)."""
        self.name = name
        self._run_round = run_round
        self._interval = interval
        self._full_round = full_round
        self._max_backoff = max_backoff
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    async def start(self, runtime: ServiceRuntime) -> None:
        """Begin ticking (the app's ``running`` context calls this, and ``stop``)."""
        self._task = asyncio.create_task(self._run(runtime), name=self.name)

    async def stop(self) -> None:
        """Stop ticking before the runtime closes its database; a round cut short rolls back."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self, runtime: ServiceRuntime) -> None:
        backoff = self._interval
        while True:
            try:
                done = await self._run_round(runtime)
                self.last_error = None
                backoff = self._interval
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A lost database or a lock timeout: the next round tries again.
                self.last_error = repr(exc)
                log.warning(
                    "timer_round_failed", timer=self.name, error=repr(exc), retry_in=backoff
                )
                await asyncio.sleep(backoff)
                if self._max_backoff is not None:
                    backoff = min(backoff * 2, self._max_backoff)
                continue
            if self._full_round is None or done < self._full_round:
                await asyncio.sleep(self._interval)
