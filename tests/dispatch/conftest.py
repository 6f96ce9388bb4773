"""Fixtures for dispatch's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from dispatch_helpers import DispatchStore, open_store


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[DispatchStore]:
    """Dispatch's store migrated to head, on SQLite and on PostgreSQL."""
    opened = await open_store(database_url)
    try:
        yield opened
    finally:
        await opened.engine.dispose()
