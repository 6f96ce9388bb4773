"""Fixtures of analytics' tests (helpers live in ``analytics_support``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from analytics_support import AnalyticsStore, migrated_analytics


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[AnalyticsStore]:
    async with migrated_analytics(database_url) as migrated:
        yield migrated
