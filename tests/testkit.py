"""Helpers shared by test modules (a module of its own: several folders have a conftest.py,
so ``from conftest import ...`` would pick whichever was imported first)."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import sqlalchemy as sa
from rich.console import Console
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.database import BusTables, create_engine, session_factory
from shared.events import Envelope, Topics, parse_event
from shared.migrations import upgrade
from shared.outbox import UnitOfWork
from shared.settings import ServiceSettings
from shared.tokens import PersonClaims, TokenSigner, generate_keypair
from sopdesk.local import LocalSystem
from sopdesk.up_process import free_port, free_port_block
from sopdesk.up_process import up_process as up_process  # the tests take it from here

T = TypeVar("T")
S = TypeVar("S", bound=ServiceSettings)

# Debian's Chromium for the browser tests (`scripts/ensure-chromium.sh`; Playwright's own
# browsers are never downloaded), headless and quiet.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The topic prefix of the stores' units of work in tests.
TEST_TOPICS = Topics("test")

# Server part of the PostgreSQL URL; each test gets its own database on it.
POSTGRES_SERVER = os.environ.get(
    "SOPDESK_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432"
)


def on_test_broker(settings: type[S], url: str, broker: str, prefix: str, **fields: Any) -> S:
    """A service's ``settings`` over the store at ``url`` on the test broker, with plain
    logs and a short consumer session (the local broker answers a group join after half
    of it, so a test's consumer is quick to start); ``fields`` add or override."""
    return settings(
        database_url=url,
        kafka_bootstrap_servers=broker,
        topic_prefix=prefix,
        **{"consumer_session_timeout_ms": 1500, "log_json": False, **fields},
    )


def outbox_row(
    topic: str,
    created_at: datetime,
    published_at: datetime | None,
    *,
    type: str = "x",
    key: str = "k",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An outbox row written by hand, published at ``published_at`` (None: not yet); its
    payload names its type and its event id."""
    event_id = uuid.uuid4()
    return {
        "event_id": event_id,
        "topic": topic,
        "key": key,
        "type": type,
        "payload": json.dumps({"type": type, "event_id": str(event_id)}),
        "headers": headers or {},
        "created_at": created_at,
        "published_at": published_at,
    }


def short_id() -> str:
    return uuid.uuid4().hex[:8]


async def drop_database(server: str, name: str) -> None:
    admin = create_async_engine(
        f"{server}/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def eventually(probe: Callable[[], T | None], timeout: float = 20.0, interval: float = 0.05) -> T:
    """Call ``probe`` until it returns something truthy or the deadline passes."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


async def poll(check: Callable[[], Any], *, within: float = 20.0, what: str = "condition") -> Any:
    """``eventually`` inside the event loop: await ``check`` (sync or async) until it
    returns something truthy and return that, or fail at the deadline."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not met within {within}s")
        await asyncio.sleep(0.05)


async def ready_checks(client: httpx.AsyncClient, *, within: float = 20.0) -> dict[str, str]:
    """Poll /readyz until it answers 200 (a consumer joins its group within a few seconds of
    the local broker) and return its checks."""

    async def ready() -> httpx.Response | None:
        response = await client.get("/readyz")
        return response if response.status_code == 200 else None

    response = await poll(ready, within=within, what="ready")
    checks: dict[str, str] = response.json()["checks"]
    return checks


@asynccontextmanager
async def serving(
    app: Any, *, ready_within: float | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A service's app with its lifespan running (producer, relay, consumer), through an
    in-process client; ready first when ``ready_within`` is given."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            if ready_within is not None:
                await ready_checks(client, within=ready_within)
            yield client


# --------------------------------------------------------------------------- stores


@dataclass
class ServiceStore:
    """One service's store, migrated with Alembic: sessions, units of work, its outbox."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: BusTables
    producer: str

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.bus.outbox, TEST_TOPICS, self.producer)

    async def outbox(self) -> list[Any]:
        table = self.bus.outbox
        async with self.sessions() as session:
            return list((await session.execute(sa.select(table).order_by(table.c.id))).all())

    async def events(self, *types: str) -> list[Envelope]:
        """What the store's outbox holds, in order; only these types when named."""
        events = [parse_event(row.payload) for row in await self.outbox()]
        return [e for e in events if not types or e.type in types]

    async def count(self, model: Any) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)

    async def counts(self, *models: Any) -> dict[str, int]:
        result = {m.__tablename__: await self.count(m) for m in models}
        result["outbox"] = len(await self.outbox())
        return result


StoreT = TypeVar("StoreT", bound=ServiceStore)


async def open_service_store(
    url: str, migrations: Path, bus: BusTables, producer: str, kind: type[StoreT]
) -> StoreT:
    """Migrate the store at ``url`` and open it; the caller disposes of its engine."""
    await asyncio.to_thread(upgrade, migrations, url)
    engine = create_engine(url)
    return kind(engine, session_factory(engine), bus, producer)


@asynccontextmanager
async def migrated_store(
    url: str, migrations: Path, bus: BusTables, producer: str
) -> AsyncIterator[ServiceStore]:
    store = await open_service_store(url, migrations, bus, producer, ServiceStore)
    try:
        yield store
    finally:
        await store.engine.dispose()


@contextmanager
def local_system(
    data_dir: Path, api_keys: dict[str, str], database_url: str | None = None
) -> Iterator[LocalSystem]:
    """The whole system as `sopdesk up` runs it, on free ports, stopped afterwards; SQLite
    stores in ``data_dir``, or PostgreSQL by a URL with {service} in it."""
    system = LocalSystem(
        data_dir=data_dir,
        host="127.0.0.1",
        base_port=free_port_block(5),
        broker_port=free_port(),
        api_keys=api_keys,
        demo=True,
        console=Console(quiet=True),
        database_url=database_url,
    )
    try:
        system.start()
        yield system
    finally:
        system.stop()


# --------------------------------------------------------------------------- people

# One Ed25519 pair for the test session, like the one `sopdesk up` makes per data directory.
TOKEN_PRIVATE_KEY, TOKEN_PUBLIC_KEY = generate_keypair()
TOKEN_KEYS = {"token_public_key": TOKEN_PUBLIC_KEY, "token_private_key": TOKEN_PRIVATE_KEY}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_in(client: httpx.AsyncClient, login: str, password: str) -> dict[str, str]:
    """Headers of a person signed in over HTTP at dispatch, as a user does."""
    response = await client.post("/v1/auth/sign-in", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def new_person(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    login: str,
    *,
    roles: list[str],
    display_name: str | None = None,
    teams: list[str] | None = None,
    supervises: list[str] | None = None,
    password: str = "my own passphrase",
) -> tuple[dict[str, Any], dict[str, str]]:
    """An account created by an admin, its own password chosen at first sign-in, signed in:
    (the person as dispatch shows it, the person's headers)."""
    created = await client.post(
        "/v1/people",
        headers=admin,
        json={
            "login": login,
            "display_name": display_name or login,
            "roles": roles,
            "teams": teams or [],
            "supervises": supervises or [],
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    changed = await client.post(
        "/v1/auth/password",
        json={
            "login": login,
            "current_password": body["temporary_password"],
            "new_password": password,
        },
    )
    assert changed.status_code == 204, changed.text
    return body["person"], await sign_in(client, login, password)


def person_token(
    login: str,
    *,
    roles: tuple[str, ...],
    person_id: uuid.UUID | None = None,
    display_name: str | None = None,
    teams: tuple[str, ...] = (),
    supervises: tuple[str, ...] = (),
    ttl: timedelta = timedelta(hours=6),  # outlives a whole test session
) -> dict[str, str]:
    """Headers with a token signed by the test key, for services tested without dispatch
    (dispatch's own tests sign in over HTTP with ``sign_in``)."""
    claims = PersonClaims(
        person_id=person_id or uuid.uuid4(),
        login=login,
        display_name=display_name or login,
        roles=frozenset(roles),
        teams=frozenset(teams),
        supervises=frozenset(supervises),
    )
    token, _expires = TokenSigner(TOKEN_PRIVATE_KEY, ttl).issue(claims)
    return bearer(token)
