"""Follow-up's store: its history goes down and up again, and the timer's other claims
(auto-close, overdue callbacks) are exactly once across concurrent replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

from alembic import command
from followup_support import T0, FollowupStore, open_store, triaged

from services.followup import callbacks, confirmation
from services.followup.app import MIGRATIONS
from services.followup.settings import FollowupSettings
from shared.events import ResolvedData, TicketResolved
from shared.migrations import alembic_config, upgrade


async def test_history_downgrades_to_the_start_and_upgrades_again(database_url: str) -> None:
    config = alembic_config(MIGRATIONS, database_url)
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    await asyncio.to_thread(command.downgrade, config, "0001")
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    store = await open_store(database_url)
    try:
        await store.open(triaged())
        assert len(await store.fire(T0 + timedelta(days=2))) == 4
    finally:
        await store.engine.dispose()


def _resolved(ticket_id: uuid.UUID) -> TicketResolved:
    return TicketResolved(
        ticket_id=ticket_id,
        occurred_at=T0,
        data=ResolvedData(
            assignment_id=uuid.uuid4(), at=T0, resolution_code="done", public_reply="已处理"
        ),
    )


async def test_auto_close_and_overdue_callbacks_fire_once_across_replicas(
    database_url: str,
) -> None:
    replicas = [await open_store(database_url) for _ in range(2)]
    settings = FollowupSettings()
    try:
        events = [triaged(category="after_sales", at=T0 - timedelta(hours=1)) for _ in range(15)]
        await replicas[0].open(*events)
        async with replicas[0].uow() as uow:
            resolved = [_resolved(e.ticket_id) for e in events if e.ticket_id]
            await confirmation.request_confirmation(uow, resolved, settings)
            await callbacks.plan_callbacks(uow, resolved, settings)
            await uow.commit()
        now = T0 + timedelta(days=4)

        async def drain(replica: FollowupStore) -> list[tuple[str, Any]]:
            seen: list[tuple[str, Any]] = []
            for _ in range(10):
                async with replica.uow() as uow:
                    await confirmation.close_unanswered_surveys(uow, now, limit=4)
                    await callbacks.fire_due_callbacks(uow, now, limit=4)
                    seen += [(e.type, e.ticket_id) for e in uow.emitted]
                    await uow.commit()
                await asyncio.sleep(0)
            return seen

        first, second = await asyncio.gather(*(drain(r) for r in replicas))
        counted = Counter([*first, *second])
        assert all(n == 1 for n in counted.values()), counted.most_common(2)
        # Each automatic close is announced to the customer once too.
        assert Counter(kind for kind, _ in counted) == {
            "ticket.closed": 15,
            "notification.requested": 15,
            "sla.breached": 15,
        }
    finally:
        for replica in replicas:
            await replica.engine.dispose()
