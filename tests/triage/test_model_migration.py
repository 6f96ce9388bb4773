"""Migration 0007 stores the shipped classifier (calibrated, with its P0 gate) as a model
version, in force only where the shipped model still decided; version 0 stays what it
was (uncalibrated, no gate), so its decisions replay as they were made."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa

from services.triage.app import MIGRATIONS
from services.triage.classifier.model import first_model, from_bytes, shipped_model
from services.triage.models import ModelVersion
from services.triage.rules.engine import classify
from shared.database import create_engine
from shared.migrations import upgrade


async def _model_rows(database_url: str) -> list[tuple[int, bool, str, bytes]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.select(
                    ModelVersion.version,
                    ModelVersion.active,
                    ModelVersion.changed_by,
                    ModelVersion.body,
                ).order_by(ModelVersion.version)
            )
            return [(r.version, r.active, r.changed_by, r.body) for r in rows]
    finally:
        await engine.dispose()


async def _store_trained(database_url: str, active: bool) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(ModelVersion).values(
                    version=1,
                    body=b"trained",
                    metrics={},
                    examples=1,
                    corrections=1,
                    active=active,
                    note="trained",
                    changed_by="admin:test",
                    created_at=datetime.now(UTC),
                )
            )
    finally:
        await engine.dispose()


async def test_a_store_on_the_shipped_model_gets_version_1_in_force(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    ((version, active, by, body),) = await _model_rows(database_url)
    assert (version, active, by) == (1, True, "migration")
    stored = from_bytes(body, version)
    assert stored.p0_gate is True and stored.calibration == shipped_model().calibration
    assert stored.calibration is not None
    # Version 0's behaviour is data too: the same weights, no calibration, no gate.
    assert (first_model().calibration, first_model().p0_gate) == (None, False)
    old, new = (
        classify("发票开错了", "", model=first_model()),
        classify("发票开错了", "", model=stored),
    )
    assert (old.model_version, old.priority, old.confidence) == (0, "P0", 0.737)
    assert (new.model_version, new.priority) == (1, "P1")


async def test_a_trained_version_in_force_stays_in_force(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0006")
    await _store_trained(database_url, active=True)
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    rows = await _model_rows(database_url)
    assert [(v, a, by) for v, a, by, _ in rows] == [
        (1, True, "admin:test"),
        (2, False, "migration"),
    ]


async def test_a_trained_version_not_in_force_leaves_the_shipped_one_deciding(
    database_url: str,
) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0006")
    await _store_trained(database_url, active=False)
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    rows = await _model_rows(database_url)
    assert [(v, a, by) for v, a, by, _ in rows] == [
        (1, False, "admin:test"),
        (2, True, "migration"),
    ]
    assert from_bytes(rows[-1][3], 2).p0_gate is True
