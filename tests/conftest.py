"""Fixtures shared by every test tier: one local broker, unique topic prefixes, databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from testkit import free_port

from shared.broker import LocalBroker
from shared.migrations import ensure_database

# Server part of the PostgreSQL URL; each test gets its own database on it.
POSTGRES_SERVER = os.environ.get(
    "SOPDESK_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432"
)


def short_id() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Kafka-compatible broker (Tansu) for the whole session; yields its bootstrap string."""
    log_file = tmp_path_factory.mktemp("broker") / "tansu.log"
    local = LocalBroker("127.0.0.1", free_port(), log_file=log_file)
    local.start()
    try:
        yield local.bootstrap_servers
    finally:
        local.stop()


@pytest.fixture
def topic_prefix() -> str:
    """A fresh topic prefix (and so fresh consumer groups) for each test."""
    return f"t{short_id()}"


@pytest.fixture
def unused_port() -> int:
    return free_port()


async def _drop_database(server: str, name: str) -> None:
    admin = create_async_engine(
        f"{server}/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database on each backend: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    name = f"sopdesk_test_{short_id()}"
    url = f"{POSTGRES_SERVER}/{name}"
    assert await ensure_database(url), f"database {name} already existed"
    try:
        yield url
    finally:
        await _drop_database(POSTGRES_SERVER, name)
