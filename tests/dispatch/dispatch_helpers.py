"""Helpers for dispatch's tests: a migrated store on SQLite and PostgreSQL, agents, actions
(the event builders are in eventkit)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from testkit import TEST_TOPICS, ServiceStore, open_service_store

from services.dispatch import activity, reactions, roster
from services.dispatch.app import MIGRATIONS
from services.dispatch.models import BUS, Agent, Assignment
from shared.errors import ApiError
from shared.outbox import UnitOfWork


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
