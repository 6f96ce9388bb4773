"""Fixtures shared by every test tier: one local broker, unique topic prefixes, databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from testkit import POSTGRES_SERVER, drop_database, free_port, short_id

from shared.broker import LocalBroker
from shared.migrations import ensure_database


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
        await drop_database(POSTGRES_SERVER, name)
