"""Fixtures for follow-up's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from followup_support import FollowupStore, open_store


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[FollowupStore]:
    """Follow-up's store migrated to head, on SQLite and on PostgreSQL."""
    opened = await open_store(database_url)
    try:
        yield opened
    finally:
        await opened.engine.dispose()
