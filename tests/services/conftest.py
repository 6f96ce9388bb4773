"""Each service's store, migrated with Alembic, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from testkit import ServiceStore as Store
from testkit import migrated_store as migrated

from services.analytics.app import MIGRATIONS as ANALYTICS_MIGRATIONS
from services.analytics.models import BUS as ANALYTICS_BUS
from services.dispatch.app import MIGRATIONS as DISPATCH_MIGRATIONS
from services.dispatch.models import BUS as DISPATCH_BUS
from services.followup.app import MIGRATIONS as FOLLOWUP_MIGRATIONS
from services.followup.models import BUS as FOLLOWUP_BUS
from services.intake.app import MIGRATIONS as INTAKE_MIGRATIONS
from services.intake.models import BUS as INTAKE_BUS
from services.triage.app import MIGRATIONS as TRIAGE_MIGRATIONS
from services.triage.models import BUS as TRIAGE_BUS


@pytest.fixture
async def intake_store(database_url: str) -> AsyncIterator[Store]:
    async with migrated(database_url, INTAKE_MIGRATIONS, INTAKE_BUS, "intake") as store:
        yield store


@pytest.fixture
async def triage_store(database_url: str) -> AsyncIterator[Store]:
    async with migrated(database_url, TRIAGE_MIGRATIONS, TRIAGE_BUS, "triage") as store:
        yield store


@pytest.fixture
async def dispatch_store(database_url: str) -> AsyncIterator[Store]:
    async with migrated(database_url, DISPATCH_MIGRATIONS, DISPATCH_BUS, "dispatch") as store:
        yield store


@pytest.fixture
async def followup_store(database_url: str) -> AsyncIterator[Store]:
    async with migrated(database_url, FOLLOWUP_MIGRATIONS, FOLLOWUP_BUS, "followup") as store:
        yield store


@pytest.fixture
async def analytics_store(database_url: str) -> AsyncIterator[Store]:
    async with migrated(database_url, ANALYTICS_MIGRATIONS, ANALYTICS_BUS, "analytics") as store:
        yield store
