"""The SLA timer: on every replica, fires due warnings and breaches, closes unanswered
surveys and fires due callbacks, with the wall clock.

Its core is :func:`services.followup.sla_clocks.fire_due_clocks`, which tests drive with a
fixed ``now``. Row locks (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) keep replicas apart.
"""

from __future__ import annotations

from services.followup import callbacks, confirmation, sla_clocks
from services.followup.settings import FollowupSettings
from shared.events import utcnow
from shared.runtime import ServiceRuntime
from shared.timer import Timer


class SlaTimer(Timer):
    def __init__(self, settings: FollowupSettings) -> None:
        super().__init__(
            "followup.sla_timer",
            self.tick,
            interval=settings.timer_interval_seconds,
            full_round=settings.timer_batch_size,  # a full round: more is due, go again
            max_backoff=30.0,  # a lost database: try again, a little later each time
        )
        self._settings = settings

    async def tick(self, runtime: ServiceRuntime) -> int:
        """One round: fire what is due now, in one transaction. Returns rows claimed."""
        limit = self._settings.timer_batch_size
        async with runtime.unit_of_work() as uow:
            now = utcnow()
            fired = await sla_clocks.fire_due_clocks(uow, now, self._settings, limit=limit)
            fired += await confirmation.close_unanswered_surveys(uow, now, limit=limit)
            fired += await callbacks.fire_due_callbacks(uow, now, limit=limit)
            await uow.commit()
        return fired
