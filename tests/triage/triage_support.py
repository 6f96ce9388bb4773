"""Triage's app over a migrated store, its routes served in process without a broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.triage.app import MIGRATIONS, create_app
from services.triage.models import BUS
from services.triage.settings import TriageSettings
from shared.database import create_engine, session_factory
from shared.events import Topics
from shared.migrations import upgrade
from shared.outbox import UnitOfWork


@dataclass
class StoreRuntime:
    """What triage's routes and use cases need from the service runtime: its sessions,
    its settings and a unit of work, no broker."""

    sessions: async_sessionmaker[AsyncSession]
    settings: TriageSettings

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, BUS.outbox, Topics("t"), "triage")


@asynccontextmanager
async def triage_in_process(
    database_url: str, base_url: str, **settings: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, StoreRuntime, AsyncEngine]]:
    """The store migrated to head, the app with ``settings`` (plain logs) on that runtime,
    and a client of it at ``base_url``."""
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    engine = create_engine(database_url)
    config = TriageSettings(database_url=database_url, log_json=False, **settings)
    app = create_app(config)
    runtime = StoreRuntime(session_factory(engine), config)
    app.state.runtime = runtime
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client, runtime, engine
    finally:
        await engine.dispose()
