"""Database plumbing on both backends: UTC datetimes, the bus tables, database creation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from testkit import outbox_row

from shared.database import (
    UtcDateTime,
    bus_tables,
    create_bus_tables,
    create_engine,
    drop_bus_tables,
    one_of,
    prune_bus_tables,
    session_factory,
    supports_skip_locked,
)
from shared.migrations import ensure_database

metadata = sa.MetaData()
BUS = bus_tables(metadata)
stamps = sa.Table(
    "stamps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime, nullable=True),
)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_datetimes_come_back_aware_and_in_utc(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(stamps.create)
    beijing = timezone(timedelta(hours=8))
    local = datetime(2026, 11, 22, 16, 30, 15, 123456, tzinfo=beijing)
    async with engine.begin() as conn:
        await conn.execute(sa.insert(stamps), [{"id": 1, "at": local}, {"id": 2, "at": None}])
    async with engine.connect() as conn:
        rows = dict((await conn.execute(sa.select(stamps.c.id, stamps.c.at))).all())
        later = await conn.scalar(
            sa.select(sa.func.count()).where(stamps.c.at > datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
        )
    assert rows[1] == local
    assert rows[1].utcoffset() == timedelta(0)
    assert rows[1].hour == 8
    assert rows[2] is None
    assert later == 1  # comparisons are made in UTC on both backends


async def test_naive_datetimes_are_refused(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(stamps.create)
    with pytest.raises(StatementError, match="naive datetime"):
        async with engine.begin() as conn:
            await conn.execute(sa.insert(stamps).values(id=1, at=datetime(2026, 11, 22, 8, 0)))


def _migrate_and_compare(connection: sa.Connection) -> list[Any]:
    ops = Operations(MigrationContext.configure(connection))
    create_bus_tables(ops)
    diff = compare_metadata(MigrationContext.configure(connection), metadata)
    return [d for d in diff if not (d[0] == "add_table" and d[1].name == "stamps")]


async def test_alembic_helper_creates_what_bus_tables_declares(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        assert await conn.run_sync(_migrate_and_compare) == []
        names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    assert {"outbox", "inbox"} <= names
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: drop_bus_tables(Operations(MigrationContext.configure(c))))
        names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    assert not names & {"outbox", "inbox"}


async def test_skip_locked_only_on_postgresql(engine: AsyncEngine, database_url: str) -> None:
    assert supports_skip_locked(engine) is database_url.startswith("postgresql")


async def test_ensure_database_is_idempotent(database_url: str) -> None:
    # The fixture created it already (PostgreSQL); SQLite has nothing to create.
    assert await ensure_database(database_url) is False


async def test_pruning_deletes_only_old_published_rows_and_old_inbox_ids(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: metadata.create_all(sync, tables=[BUS.outbox, BUS.inbox]))
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=10), now - timedelta(hours=1)

    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(BUS.outbox),
            [
                outbox_row("t", old, old),  # old and published: goes
                outbox_row("t", old, None),  # old but never published: must stay
                outbox_row("t", recent, recent),  # recent: stays
            ],
        )
        await conn.execute(
            sa.insert(BUS.inbox),
            [
                {"consumer": "c", "event_id": uuid.uuid4(), "type": "x", "processed_at": old},
                {"consumer": "c", "event_id": uuid.uuid4(), "type": "x", "processed_at": recent},
            ],
        )
    async with session_factory(engine)() as session, session.begin():
        counts = await prune_bus_tables(session, BUS, now - timedelta(days=7))
    assert counts == (1, 1)
    async with engine.connect() as conn:
        left = (await conn.execute(sa.select(BUS.outbox.c.published_at))).scalars().all()
        inbox_left = await conn.scalar(sa.select(sa.func.count()).select_from(BUS.inbox))
    assert sorted(left, key=lambda p: p is None) == [recent, None]
    assert inbox_left == 1


async def test_pruning_drops_published_notifications_after_their_short_window(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: metadata.create_all(sync, tables=[BUS.outbox, BUS.inbox]))
    now = datetime.now(UTC)
    two_hours_ago = now - timedelta(hours=2)

    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(BUS.outbox),
            [
                # Past the window: goes; within it: stays for a replay; not yet published:
                # stays; other topics keep the long retention.
                outbox_row("p.notifications", two_hours_ago, two_hours_ago),
                outbox_row("p.notifications", two_hours_ago, now),
                outbox_row("p.notifications", two_hours_ago, None),
                outbox_row("p.intake", two_hours_ago, two_hours_ago),
            ],
        )
    async with session_factory(engine)() as session, session.begin():
        counts = await prune_bus_tables(
            session,
            BUS,
            now - timedelta(days=7),
            short_lived=["p.notifications"],
            short_lived_older_than=now - timedelta(hours=1),
        )
    assert counts == (1, 0)
    async with engine.connect() as conn:
        left = (await conn.execute(sa.select(BUS.outbox.c.topic, BUS.outbox.c.published_at))).all()
    assert sorted((t, p is None) for t, p in left) == [
        ("p.intake", False),
        ("p.notifications", False),
        ("p.notifications", True),
    ]


async def test_one_of_finds_the_rows_of_any_count_in_one_statement_text(
    engine: AsyncEngine, database_url: str
) -> None:
    inbox = BUS.inbox
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    ids = [uuid.uuid4() for _ in range(7)]
    now = datetime.now(UTC)
    rows = [{"consumer": "c", "event_id": i, "type": "t", "processed_at": now} for i in ids]
    async with session_factory(engine)() as session:
        await session.execute(sa.insert(inbox), rows)
        await session.commit()
        texts = set()
        for count in (1, 3, 7):
            asked = [*ids[:count], uuid.uuid4()]  # one id that is not there
            query = sa.select(inbox.c.event_id).where(one_of(session, inbox.c.event_id, asked))
            assert set((await session.scalars(query)).all()) == set(ids[:count])
            texts.add(
                str(query.compile(session.get_bind(), compile_kwargs={"render_postcompile": True}))
            )
        assert (
            set(
                (
                    await session.scalars(
                        sa.select(inbox.c.event_id).where(one_of(session, inbox.c.event_id, []))
                    )
                ).all()
            )
            == set()
        )
    if database_url.startswith("postgresql"):
        assert len(texts) == 1, texts  # one prepared statement for every count
