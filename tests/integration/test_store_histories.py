"""Each service's Alembic history on SQLite and PostgreSQL: it runs, and it builds
exactly the schema the ORM models describe."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.analytics.app import MIGRATIONS as ANALYTICS_MIGRATIONS
from services.analytics.models import Base as AnalyticsBase
from services.dispatch.app import MIGRATIONS as DISPATCH_MIGRATIONS
from services.dispatch.models import Base as DispatchBase
from services.followup.app import MIGRATIONS as FOLLOWUP_MIGRATIONS
from services.followup.models import Base as FollowupBase
from services.intake.app import MIGRATIONS as INTAKE_MIGRATIONS
from services.intake.models import Base as IntakeBase
from services.triage.app import MIGRATIONS as TRIAGE_MIGRATIONS
from services.triage.models import Base as TriageBase
from shared.database import create_engine
from shared.migrations import upgrade

STORES: dict[str, tuple[Path, sa.MetaData]] = {
    "intake": (INTAKE_MIGRATIONS, IntakeBase.metadata),
    "triage": (TRIAGE_MIGRATIONS, TriageBase.metadata),
    "dispatch": (DISPATCH_MIGRATIONS, DispatchBase.metadata),
    "followup": (FOLLOWUP_MIGRATIONS, FollowupBase.metadata),
    "analytics": (ANALYTICS_MIGRATIONS, AnalyticsBase.metadata),
}


def _schema_diff(connection: sa.Connection, metadata: sa.MetaData) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _revision(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@pytest.mark.parametrize("service", list(STORES))
async def test_history_builds_the_schema_of_the_models(service: str, database_url: str) -> None:
    migrations, metadata = STORES[service]
    await asyncio.to_thread(upgrade, migrations, database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
            diff = await conn.run_sync(_schema_diff, metadata)
            # The comparison does see differences: another service's models disagree.
            other = next(m for name, (_, m) in STORES.items() if name != service)
            control = await conn.run_sync(_schema_diff, other)
            revision = await conn.run_sync(_revision)
    finally:
        await engine.dispose()
    assert set(metadata.tables) <= tables
    assert {"outbox", "inbox", "alembic_version"} <= tables
    assert revision is not None
    assert diff == [], f"{service}: migrations and models disagree: {diff}"
    assert control, "compare_metadata found no difference against unrelated models"


@pytest.mark.parametrize("service", list(STORES))
async def test_upgrade_twice_is_a_no_op(service: str, database_url: str) -> None:
    migrations, _ = STORES[service]
    await asyncio.to_thread(upgrade, migrations, database_url)
    await asyncio.to_thread(upgrade, migrations, database_url)
