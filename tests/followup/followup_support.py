"""Helpers for follow-up's tests: a migrated store on SQLite and PostgreSQL, event builders."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import eventkit
import sqlalchemy as sa
from testkit import TOKEN_PUBLIC_KEY, ServiceStore, open_service_store

from services.followup import sla_clocks
from services.followup.app import MIGRATIONS
from services.followup.models import BUS, SlaClock
from services.followup.settings import FollowupSettings
from shared.events import (
    Envelope,
    TicketTriaged,
)

# A Monday morning, 09:00 in Shanghai.
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
KEYS = {"gw": "gateway", "sv": "supervisor", "ag": "agent", "vw": "viewer", "ad": "admin"}


@dataclass
class FollowupStore(ServiceStore):
    """Follow-up's store, with its clocks and a timer round at a chosen moment."""

    async def clocks(self, ticket_id: uuid.UUID) -> dict[str, SlaClock]:
        async with self.sessions() as session:
            rows = (
                await session.scalars(sa.select(SlaClock).where(SlaClock.ticket_id == ticket_id))
            ).all()
        return {clock.kind: clock for clock in rows}

    async def fire(
        self,
        now: datetime,
        *,
        limit: int = 200,
        clocks: tuple[str, ...] | None = ("response", "resolution"),
    ) -> list[Envelope]:
        """One timer round at ``now``; the events it emitted about ``clocks`` (None: all;
        by default not the daily update clock, which test_followup_cadence covers)."""
        async with self.uow() as uow:
            await sla_clocks.fire_due_clocks(uow, now, FollowupSettings(), limit=limit)
            emitted = uow.emitted
            await uow.commit()
        return [e for e in emitted if clocks is None or e.data.clock in clocks]  # type: ignore[attr-defined]

    async def open(self, *events: TicketTriaged, settings: FollowupSettings | None = None) -> None:
        async with self.uow() as uow:
            await sla_clocks.open_clocks(uow, list(events), settings or FollowupSettings())
            await uow.commit()

    async def stop(self, ticket_id: uuid.UUID, kind: str, at: datetime) -> None:
        async with self.uow() as uow:
            await sla_clocks.stop_clock(uow, ticket_id, kind, at)
            await uow.commit()


async def open_store(url: str) -> FollowupStore:
    return await open_service_store(url, MIGRATIONS, BUS, "followup", FollowupStore)


def triaged(ticket_id: uuid.UUID | None = None, **fields: Any) -> TicketTriaged:
    """eventkit's decision with follow-up's defaults: P1 at ``T0`` (a Monday, 09:00 in
    Shanghai), to be answered within an hour and resolved within a day of ``at``."""
    defaults: dict[str, Any] = {
        "ticket_no": "T20261123-000001",
        "subject": "账号无法登录",
        "priority": "P1",
        "at": T0,
        "respond": timedelta(hours=1),
        "resolve": timedelta(hours=24),
    }
    return eventkit.triaged(ticket_id, **{**defaults, **fields})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


async def consume(broker: str, topic: str, group: str, want: int, within: float = 20) -> list[Any]:
    """At least ``want`` events read from ``topic`` with a plain Kafka client (as dicts)."""
    import json

    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker, group_id=group, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        seen: list[Any] = []
        deadline = time.monotonic() + within
        while len(seen) < want and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            seen += [json.loads(r.value) for records in batch.values() for r in records]
        return seen
    finally:
        await consumer.stop()


def app_settings(url: str, broker: str, prefix: str, **overrides: Any) -> FollowupSettings:
    values: dict[str, Any] = {
        "database_url": url,
        "kafka_bootstrap_servers": broker,
        "topic_prefix": prefix,
        "api_keys": KEYS,
        "token_public_key": TOKEN_PUBLIC_KEY,
        "consumer_session_timeout_ms": 1500,
        "log_json": False,
        "timer_interval_seconds": 0.2,
    }
    values.update(overrides)
    return FollowupSettings(**values)
