"""Replicas migrating one PostgreSQL store at once (init containers) take turns on an
advisory lock: both finish, the store is at head once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from testkit import POSTGRES_SERVER, drop_database, short_id

from shared.database import create_engine
from shared.migrations import ensure_database


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    name = f"sopdesk_test_{short_id()}"
    url = f"{POSTGRES_SERVER}/{name}"
    assert await ensure_database(url)
    try:
        yield url
    finally:
        await drop_database(POSTGRES_SERVER, name)


async def test_two_replicas_migrating_at_once_both_succeed(postgres_url: str) -> None:
    # Two processes, as two pods would be (Alembic's context is one per process).
    env = {**os.environ, "SOPDESK_DATABASE_URL": postgres_url}
    command = [sys.executable, "-m", "sopdesk", "migrate", "triage", "--no-create-database"]
    codes = await asyncio.gather(
        *(asyncio.to_thread(subprocess.call, command, env=env, timeout=120) for _ in range(2))
    )
    assert codes == [0, 0]
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            query = sa.text("SELECT version_num FROM alembic_version")
            versions = (await conn.execute(query)).all()
    finally:
        await engine.dispose()
    assert len(versions) == 1
