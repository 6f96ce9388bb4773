"""The shift timer: a background loop, on every replica, that applies shift changes
(:func:`services.dispatch.shifts.service.run_shift_changes`) with the wall clock. Replicas
running it at once serialise on the team's agent locks; the second finds nothing to do."""

from __future__ import annotations

import asyncio
import contextlib

from services.dispatch.settings import DispatchSettings
from services.dispatch.shifts.service import run_shift_changes
from shared.events import utcnow
from shared.observability import get_logger
from shared.runtime import ServiceRuntime

log = get_logger(__name__)


class ShiftTimer:
    def __init__(self, settings: DispatchSettings) -> None:
        self._settings = settings
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    async def start(self, runtime: ServiceRuntime) -> None:
        self._task = asyncio.create_task(self._run(runtime), name="dispatch.shift_timer")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self, runtime: ServiceRuntime) -> None:
        interval = self._settings.shift_timer_interval_seconds
        while True:
            try:
                moved = await run_shift_changes(
                    runtime.unit_of_work, utcnow(), min_level=self._settings.min_skill_level_p0_vip
                )
                self.last_error = None
                if moved:
                    log.info("shift_changes_applied", moved=moved)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A lost database or a lock timeout: the next round tries again.
                self.last_error = repr(exc)
                log.warning("shift_timer_failed", error=repr(exc))
            await asyncio.sleep(interval)
