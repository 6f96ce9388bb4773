"""The shift timer: on every replica, applies shift changes
(:func:`services.dispatch.shifts.service.run_shift_changes`) with the wall clock. Replicas
running it at once serialise on the team's agent locks; the second finds nothing to do."""

from __future__ import annotations

from services.dispatch.settings import DispatchSettings
from services.dispatch.shifts.service import run_shift_changes
from shared.events import utcnow
from shared.observability import get_logger
from shared.runtime import ServiceRuntime
from shared.timer import Timer

log = get_logger(__name__)


class ShiftTimer(Timer):
    def __init__(self, settings: DispatchSettings) -> None:
        super().__init__(
            "dispatch.shift_timer", self.tick, interval=settings.shift_timer_interval_seconds
        )
        self._settings = settings

    async def tick(self, runtime: ServiceRuntime) -> int:
        """One round: whoever's shift began or ended since the last one is moved."""
        moved = await run_shift_changes(
            runtime.unit_of_work, utcnow(), min_level=self._settings.min_skill_level_p0_vip
        )
        if moved:
            log.info("shift_changes_applied", moved=moved)
        return moved
