"""Helpers of the service-logic tests: a migrated store per service, polling, event builders."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.intake.schemas import TicketCreate
from shared.database import BusTables, create_engine, session_factory
from shared.events import (
    Deadlines,
    Envelope,
    TicketAssigned,
    TicketAssignedData,
    TicketReceived,
    TicketReceivedData,
    TicketTriaged,
    TicketTriagedData,
    Topics,
    parse_event,
)
from shared.migrations import upgrade
from shared.outbox import UnitOfWork

TOPICS = Topics("test")
RAW_PHONE = "13812345678"

# --------------------------------------------------------------------------- plumbing


@dataclass
class Store:
    """One service's migrated store and a way to open units of work on it."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: BusTables
    producer: str

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.bus.outbox, TOPICS, self.producer)

    async def outbox(self) -> list[Any]:
        table = self.bus.outbox
        async with self.sessions() as session:
            return list((await session.execute(sa.select(table).order_by(table.c.id))).all())

    async def count(self, model: Any) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


@asynccontextmanager
async def migrated(url: str, migrations: Path, bus: BusTables, name: str) -> AsyncIterator[Store]:
    await asyncio.to_thread(upgrade, migrations, url)
    engine = create_engine(url)
    try:
        yield Store(engine, session_factory(engine), bus, name)
    finally:
        await engine.dispose()


async def poll(check: Callable[[], Awaitable[Any]], *, within: float = 15.0) -> Any:
    """Await ``check`` until it returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {within}s")
        await asyncio.sleep(0.05)


# --------------------------------------------------------------------------- event builders

T0 = datetime(2026, 11, 22, 1, 15, tzinfo=UTC)


def ticket_payload(phone: str = RAW_PHONE, **overrides: Any) -> TicketCreate:
    body: dict[str, Any] = {
        "channel": "phone",
        "customer": {"name": "张三", "phone": phone, "member_id": None},
        "subject": "账号无法登录",
        "description": "今天早上开始账号无法登录,提示密码错误。",
        "order_no": "SO20261122001",
        "preferred_contact": "phone",
    }
    body.update(overrides)
    return TicketCreate.model_validate(body)


def received_event(
    ticket_id: uuid.UUID,
    *,
    subject: str = "账号无法登录",
    description: str = "提示密码错误",
    customer_type: str = "new",
    received_at: datetime = T0,
) -> TicketReceived:
    return TicketReceived(
        ticket_id=ticket_id,
        occurred_at=received_at,
        producer="intake",
        data=TicketReceivedData(
            ticket_no="T20261122-000001",
            channel="web_chat",
            customer_id=uuid.uuid4(),
            customer_type=customer_type,
            masked_contact="138****5678",
            subject=subject,
            description=description,
            received_at=received_at,
        ),
    )


def triaged_event(
    ticket_id: uuid.UUID,
    *,
    ticket_no: str = "T20261122-000001",
    team: str = "tech_support",
    priority: str = "P0",
    category: str = "fault",
    at: datetime = T0 + timedelta(seconds=1),
    respond: timedelta = timedelta(minutes=30),
    resolve: timedelta = timedelta(hours=4),
) -> TicketTriaged:
    return TicketTriaged(
        ticket_id=ticket_id,
        occurred_at=at,
        producer="triage",
        data=TicketTriagedData(
            ticket_no=ticket_no,
            channel="web_chat",
            customer_type="new",
            subject="账号无法登录",
            category=category,
            scene="after_sale",
            priority=priority,
            team=team,
            deadlines=Deadlines(
                policy="cross-industry",
                calendar="24x7",
                respond_by=T0 + respond,
                resolve_by=T0 + resolve,
            ),
        ),
    )


def assigned_event(
    ticket_id: uuid.UUID, *, at: datetime = T0 + timedelta(seconds=2)
) -> TicketAssigned:
    return TicketAssigned(
        ticket_id=ticket_id,
        occurred_at=at,
        producer="dispatch",
        data=TicketAssignedData(
            assignment_id=uuid.uuid4(),
            ticket_no="T20261122-000001",
            team="tech_support",
            agent_id=uuid.uuid4(),
            agent_name="tech_support-agent-1",
            priority="P0",
            category="fault",
            supervisor_notified=True,
            assigned_at=at,
        ),
    )


def outbox_events(rows: list[Any]) -> list[Envelope]:
    return [parse_event(row.payload) for row in rows]
