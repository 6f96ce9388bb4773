"""A service of the plumbing alone, for the health and metrics tests: one
``ticket.received`` handler, no routes, a store of nothing but the bus tables."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from testkit import on_test_broker

from shared.database import bus_tables, create_engine
from shared.events import TicketReceived
from shared.http import create_service_app
from shared.outbox import UnitOfWork
from shared.settings import ServiceSettings

metadata = sa.MetaData()
BUS = bus_tables(metadata)


class PlainSettings(ServiceSettings):
    service_name: ClassVar[str] = "plain"


Handler = Callable[[Sequence[TicketReceived], UnitOfWork], Awaitable[None]]


async def plain_service(
    database_url: str,
    broker: str,
    topic_prefix: str,
    handle: Handler,
    *,
    description: str,
    **settings: Any,
) -> tuple[FastAPI, PlainSettings]:
    """The app (not started) and its settings, the bus tables created in the store;
    ``settings`` add to one partition, an admin key and a short consumer session."""
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    plain = on_test_broker(
        PlainSettings,
        database_url,
        broker,
        topic_prefix,
        **{"topic_partitions": 1, "api_keys": {"k": "admin"}, **settings},
    )
    app = create_service_app(
        plain,
        description=description,
        bus=BUS,
        handlers={"ticket.received": handle},
        router=APIRouter(),
    )
    return app, plain
