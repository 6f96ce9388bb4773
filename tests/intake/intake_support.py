"""Fixtures for intake's tests: a migrated intake store and the running intake app."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from testkit import TOKEN_PUBLIC_KEY

from services.intake.app import MIGRATIONS, create_app
from services.intake.models import BUS
from services.intake.settings import IntakeSettings
from shared.database import create_engine, session_factory
from shared.events import Envelope, Topics, parse_event
from shared.migrations import upgrade
from shared.outbox import UnitOfWork

TOPICS = Topics("test")
KEYS = {"gw": "gateway", "sv": "supervisor", "ag": "agent", "vw": "viewer", "ad": "admin"}
GATEWAY = {"Authorization": "Bearer gw"}
SUPERVISOR = {"Authorization": "Bearer sv"}
ADMIN = {"Authorization": "Bearer ad"}


@dataclass
class IntakeStore:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, BUS.outbox, TOPICS, "intake")

    async def outbox(self) -> list[Any]:
        table = BUS.outbox
        async with self.sessions() as session:
            return list((await session.execute(sa.select(table).order_by(table.c.id))).all())

    async def events(self, kind: str | None = None) -> list[Envelope]:
        events = [parse_event(row.payload) for row in await self.outbox()]
        return [e for e in events if kind is None or e.type == kind]

    async def count(self, model: Any) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)

    async def counts(self, *models: Any) -> dict[str, int]:
        result = {m.__tablename__: await self.count(m) for m in models}
        result["outbox"] = len(await self.outbox())
        return result


@asynccontextmanager
async def migrated_intake(url: str) -> AsyncIterator[IntakeStore]:
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    engine = create_engine(url)
    try:
        yield IntakeStore(engine, session_factory(engine))
    finally:
        await engine.dispose()


def intake_settings(
    url: str, broker: str = "127.0.0.1:1", prefix: str = "t", **extra: Any
) -> IntakeSettings:
    return IntakeSettings(
        database_url=url,
        kafka_bootstrap_servers=broker,
        topic_prefix=prefix,
        api_keys=KEYS,
        log_json=False,
        token_public_key=TOKEN_PUBLIC_KEY,
        **extra,
    )


@asynccontextmanager
async def running_intake(
    url: str, broker: str, prefix: str, **extra: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, IntakeStore]]:
    """Intake with its lifespan running (producer, relay, consumer) over a migrated store."""
    async with migrated_intake(url) as store:
        app = create_app(intake_settings(url, broker, prefix, **extra))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client, store


async def poll(check: Callable[[], Awaitable[Any]], *, within: float = 20.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {within}s")
        await asyncio.sleep(0.05)


async def published_notifications(
    broker: str, prefix: str, count: int, *, within: float = 20.0
) -> list[Envelope]:
    """The first ``count`` events on the notifications topic, read from the broker (what
    a gateway gets; their outbox rows go after the replay window)."""
    consumer = AIOKafkaConsumer(
        Topics(prefix).notifications,
        bootstrap_servers=broker,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Envelope] = []
    try:
        deadline = time.monotonic() + within
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            found.extend(parse_event(r.value) for records in batch.values() for r in records)
    finally:
        await consumer.stop()
    assert len(found) >= count, f"{len(found)} of {count} notifications within {within}s"
    return found
