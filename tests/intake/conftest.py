"""Fixtures of intake's tests (helpers live in ``intake_support``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from intake_support import IntakeStore, migrated_intake


@pytest.fixture
async def intake_db(database_url: str) -> AsyncIterator[IntakeStore]:
    async with migrated_intake(database_url) as store:
        yield store
