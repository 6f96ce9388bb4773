"""Intake's Alembic history: existing customers keep being found after 0002, and every
revision goes down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from services.intake.app import MIGRATIONS
from shared.database import UtcDateTime, create_engine
from shared.migrations import alembic_config, upgrade


async def test_history_backfills_identifiers_and_round_trips(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0001")
    engine = create_engine(database_url)
    customer_id = uuid.uuid4()
    now = datetime(2026, 11, 22, tzinfo=UTC)
    customers = sa.table(
        "customers",
        sa.column("id", sa.Uuid()),
        sa.column("phone", sa.String()),
        sa.column("email", sa.String()),
        sa.column("member_id", sa.String()),
        sa.column("is_vip", sa.Boolean()),
        sa.column("ticket_count", sa.Integer()),
        sa.column("created_at", UtcDateTime()),
        sa.column("updated_at", UtcDateTime()),
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(
                customers.insert().values(
                    id=customer_id,
                    phone="+8613812345678",
                    email=None,
                    member_id="M1",
                    is_vip=False,
                    ticket_count=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text("SELECT kind, value FROM customer_identifiers ORDER BY kind")
                )
            ).all()
        assert [tuple(r) for r in rows] == [("member_id", "M1"), ("phone", "+8613812345678")]
    finally:
        await engine.dispose()
    config = alembic_config(MIGRATIONS, database_url)
    await asyncio.to_thread(command.downgrade, config, "0001")
    await asyncio.to_thread(command.upgrade, config, "head")
