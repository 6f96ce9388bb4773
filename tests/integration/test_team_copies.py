"""A service's copy of dispatch's teams (shared/team_copies.py) on both backends: the
migration helper seeds the SPEC's teams, announcements apply newest-first whatever
order they arrive in, and a stale or repeated one changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared import team_copies
from shared.database import create_engine, session_factory
from shared.events import TeamCreated, TeamData, TeamDeleted, TeamEvent, TeamUpdated

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TABLE = team_copies.declare_team_copies(sa.MetaData())


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda c: team_copies.create_team_copies(Operations(MigrationContext.configure(c)))
        )
    try:
        yield engine
    finally:
        await engine.dispose()


def announce(
    cls: type[TeamCreated | TeamUpdated | TeamDeleted],
    key: str,
    name: str,
    at: datetime,
    name_en: str | None = None,
) -> TeamEvent:
    return cls(
        producer="dispatch",
        data=TeamData(key=key, name=name, name_en=name_en, updated_at=at),
    )


async def apply(engine: AsyncEngine, *events: TeamEvent) -> dict[str, team_copies.KnownTeam]:
    sessions = session_factory(engine)
    session: AsyncSession
    async with sessions() as session:
        # One call per run of one type, as the consumer hands them over.
        for event in events:
            await team_copies.apply_announcements(session, TABLE, [event])
        await session.commit()
    async with sessions() as session:
        return await team_copies.known_teams(session, TABLE)


async def test_the_spec_teams_are_known_from_the_migration(engine: AsyncEngine) -> None:
    teams = await apply(engine)
    assert set(teams) == {key for key, _, _ in team_copies.SPEC_TEAMS}
    assert teams["tech_support"].label("zh") == "技术"
    assert teams["tech_support"].label("en") == "technical support"
    assert team_copies.team_label(teams, "vip_desk") == "vip_desk", "unknown: its key"


async def test_a_new_team_and_its_renames_newest_wins_in_any_order(engine: AsyncEngine) -> None:
    created = announce(TeamCreated, "vip_desk", "VIP 专席", T0)
    renamed = announce(TeamUpdated, "vip_desk", "贵宾专席", T0 + timedelta(minutes=5), "VIP care")
    teams = await apply(engine, renamed, created, renamed)
    assert teams["vip_desk"] == team_copies.KnownTeam("vip_desk", "贵宾专席", "VIP care", False)
    assert teams["vip_desk"].label("en") == "VIP care"

    # Dispatch's start-time announcement of an older state changes nothing.
    teams = await apply(engine, announce(TeamUpdated, "vip_desk", "VIP 专席", T0))
    assert teams["vip_desk"].name == "贵宾专席"

    # Dispatch's word wins over the seed.
    teams = await apply(engine, announce(TeamUpdated, "tech_support", "技术支持", T0))
    assert teams["tech_support"].name == "技术支持"


async def test_a_deleted_team_stays_known_by_name(engine: AsyncEngine) -> None:
    gone = announce(TeamDeleted, "night_desk", "夜班", T0 + timedelta(hours=1))
    teams = await apply(engine, gone, announce(TeamCreated, "night_desk", "夜班", T0))
    assert teams["night_desk"].deleted and teams["night_desk"].name == "夜班"
    only = await apply(engine)
    async with session_factory(engine)() as session:
        some = await team_copies.known_teams(session, TABLE, ["night_desk", "finance"])
    assert set(some) == {"night_desk", "finance"} and len(only) == 8
