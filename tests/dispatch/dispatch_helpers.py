"""Helpers for dispatch's tests: a migrated store on SQLite and PostgreSQL, event builders."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from testkit import TEST_TOPICS, ServiceStore, open_service_store

from services.dispatch import activity, reactions, roster
from services.dispatch.app import MIGRATIONS
from services.dispatch.models import BUS, Agent, Assignment
from shared.errors import ApiError
from shared.events import (
    Deadlines,
    KbSuggestion,
    TicketRetriaged,
    TicketTriaged,
    TicketTriagedData,
)
from shared.outbox import UnitOfWork

T0 = datetime(2026, 11, 22, 1, 15, tzinfo=UTC)


class DispatchStore(ServiceStore):
    """Dispatch's store: its units of work record each emitted event's activity line, as
    the running service's do."""

    def uow(self) -> UnitOfWork:
        return UnitOfWork(
            self.sessions,
            self.bus.outbox,
            TEST_TOPICS,
            self.producer,
            on_emit=activity.record_emitted,
        )


async def open_store(url: str) -> DispatchStore:
    return await open_service_store(url, MIGRATIONS, BUS, "dispatch", DispatchStore)


def triaged(
    ticket_id: uuid.UUID | None = None,
    *,
    ticket_no: str = "T20261122-000001",
    team: str = "tech_support",
    priority: str = "P2",
    category: str = "fault",
    customer_type: str = "new",
    skill: str | None = None,
    respond: timedelta = timedelta(hours=2),
    retriaged: bool = False,
    kb: bool = False,
    channel: str = "web_chat",
) -> TicketTriaged:
    cls: Any = TicketRetriaged if retriaged else TicketTriaged
    return cls(
        ticket_id=ticket_id or uuid.uuid4(),
        producer="triage",
        data=TicketTriagedData(
            ticket_no=ticket_no,
            channel=channel,
            customer_type=customer_type,
            subject="设备无法启动",
            category=category,
            scene="after_sale",
            priority=priority,
            team=team,
            skill=skill,
            keywords=["无法启动"],
            deadlines=Deadlines(
                policy="cross-industry",
                calendar="24x7",
                respond_by=T0 + respond,
                resolve_by=T0 + respond + timedelta(hours=24),
            ),
            kb_suggestions=(
                [
                    KbSuggestion(
                        article_id=uuid.uuid4(), title="设备无法启动", answer="请长按电源键10秒"
                    )
                ]
                if kb
                else []
            ),
            retriage_reason="分类错误" if retriaged else None,
            masked_contact="138****5678",
        ),
    )


async def add_agent(
    store: DispatchStore,
    name: str,
    *,
    team: str = "tech_support",
    capacity: int = 1,
    status: str = "online",
    skills: dict[str, int] | None = None,
    chat_capacity: int | None = None,
) -> Agent:
    async with store.uow() as uow:
        agent = await roster.create_agent(
            uow,
            name=name,
            team_key=team,
            skills=skills if skills is not None else {"fault": 3},
            capacity=capacity,
            chat_capacity=chat_capacity,
            status=status,
            supervisor=None,
        )
        await uow.commit()
    return agent


async def dispatch(store: DispatchStore, *events: Any) -> list[Assignment]:
    async with store.uow() as uow:
        result = await reactions.dispatch_tickets(uow, list(events))
        await uow.commit()
    return result


async def act(
    store: DispatchStore, fn: Callable[..., Awaitable[Any]], *args: Any, **kw: Any
) -> Any:
    async with store.uow() as uow:
        result = await fn(uow, *args, **kw)
        emitted = uow.emitted
        await uow.commit()
    return result, emitted


async def refused(
    store: DispatchStore, fn: Callable[..., Awaitable[Any]], *args: Any, **kw: Any
) -> ApiError:
    async with store.uow() as uow:
        with pytest.raises(ApiError) as caught:
            await fn(uow, *args, **kw)
        assert uow.emitted == []
    return caught.value


async def load(store: DispatchStore, model: Any, ident: Any) -> Any:
    async with store.sessions() as session:
        return await session.get(model, ident)
