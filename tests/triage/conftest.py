"""Fixtures for triage's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from testkit import ServiceStore, migrated_store

from services.triage.app import MIGRATIONS
from services.triage.models import BUS


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[ServiceStore]:
    """Triage's store migrated to head, on SQLite and on PostgreSQL."""
    async with migrated_store(database_url, MIGRATIONS, BUS, "triage") as migrated:
        yield migrated
