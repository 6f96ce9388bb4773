"""The SLA timer: a background loop that fires due warnings and breaches.

Its core is :func:`services.followup.sla_clocks.fire_due_clocks`, which tests drive with a
fixed ``now``; this loop only calls it with the wall clock, over and over, on every
replica. Row locks (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) keep replicas apart.
"""

from __future__ import annotations

import asyncio
import contextlib

from services.followup import callbacks, confirmation, sla_clocks
from services.followup.settings import FollowupSettings
from shared.events import utcnow
from shared.observability import get_logger
from shared.runtime import ServiceRuntime

log = get_logger(__name__)


class SlaTimer:
    def __init__(self, settings: FollowupSettings) -> None:
        self._settings = settings
        self._runtime: ServiceRuntime | None = None
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    async def start(self, runtime: ServiceRuntime) -> None:
        """Begin ticking (the app's ``running`` context calls this, and ``stop``)."""
        self._runtime = runtime
        self._task = asyncio.create_task(self._run(), name="followup.sla_timer")

    async def stop(self) -> None:
        """Stop ticking before the runtime closes its database; a tick cut short rolls back."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def tick(self) -> int:
        """One round: fire what is due now, in one transaction. Returns rows claimed."""
        assert self._runtime is not None
        limit = self._settings.timer_batch_size
        async with self._runtime.unit_of_work() as uow:
            now = utcnow()
            fired = await sla_clocks.fire_due_clocks(uow, now, self._settings, limit=limit)
            fired += await confirmation.close_unanswered_surveys(uow, now, limit=limit)
            fired += await callbacks.fire_due_callbacks(uow, now, limit=limit)
            await uow.commit()
        return fired

    async def _run(self) -> None:
        backoff = self._settings.timer_interval_seconds
        while True:
            try:
                fired = await self.tick()
                self.last_error = None
                backoff = self._settings.timer_interval_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A lost database: try again, a little later each time.
                self.last_error = repr(exc)
                log.warning("sla_timer_failed", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if fired < self._settings.timer_batch_size:
                await asyncio.sleep(self._settings.timer_interval_seconds)
