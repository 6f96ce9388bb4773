"""Migration 0007 stores the classifier shipped as version 1 (calibrated, with its P0
gate) as a model version, 0008 the one shipped as version 2 (words and word classes,
gate 2), 0009 version 3 (the same recipe on the corpus's third pass), 0011 version 4
(version 3's weights with gate 3 and its P0 threshold as data), 0014 version 5 (the same
weights with gate 4), 0015 version 6 (trained again, converged, with the spent blind sets),
each in force only
where a shipped model still decided; version 0 stays what it was (uncalibrated, no
gate), so every decision replays as it was made."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from services.triage.app import MIGRATIONS
from services.triage.classifier import verdict
from services.triage.classifier.model import (
    LinearModel,
    first_model,
    from_bytes,
    shipped_model,
    shipped_model_bytes,
)
from services.triage.models import ModelVersion
from services.triage.rules.engine import classify
from shared.database import create_engine
from shared.migrations import alembic_config, upgrade


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


async def test_a_store_on_the_shipped_model_gets_versions_1_to_6_in_force(
    database_url: str,
) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0007")
    ((version, active, by, body),) = await _model_rows(database_url)
    assert (version, active, by) == (1, True, "migration")
    stored = from_bytes(body, version)
    v1 = from_bytes(shipped_model_bytes(1), 1)
    assert stored.p0_gate == 1 and stored.feature_set == 1
    assert stored.calibration == v1.calibration and stored.calibration is not None
    # Version 0's behaviour is data too: version 1's weights, no calibration, no gate.
    assert (first_model().calibration, first_model().p0_gate) == (None, 0)
    old, new = (
        classify("发票开错了", "", model=first_model()),
        classify("发票开错了", "", model=stored),
    )
    assert (old.model_version, old.priority, old.confidence) == (0, "P0", 0.737)
    assert (new.model_version, new.priority) == (1, "P1")
    # Version 1 as it decided: gate 1 lacks 不走 and 不显示, so this stays P1 there.
    pump = "输液泵突然不走了,屏幕上什么都不显示"
    assert classify(pump, "", model=stored).priority == "P1"

    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    rows = await _model_rows(database_url)
    assert [(v, a, by) for v, a, by, _ in rows] == [
        (1, True, "migration"),
        (2, True, "migration"),
        (3, True, "migration"),
        (4, True, "migration"),
        (5, True, "migration"),
        (6, True, "migration"),
    ]
    v2 = from_bytes(rows[1][3], 2)
    assert (v2.p0_gate, v2.feature_set) == (2, 2)
    assert v2.index == from_bytes(shipped_model_bytes(2), 2).index
    assert classify(pump, "", model=v2).priority == "P0"
    v3 = from_bytes(rows[2][3], 3)
    assert (v3.p0_gate, v3.feature_set) == (2, 2)
    assert v3.index == from_bytes(shipped_model_bytes(3), 3).index
    assert v3.index != v2.index  # trained again, on the third pass too
    # Bodies stored before the P0 threshold was data decided at 0.3: v3 replays so.
    assert v2.p0_at == v3.p0_at == 0.3
    v4 = from_bytes(rows[3][3], 4)
    assert (v4.p0_gate, v4.feature_set, v4.p0_at) == (3, 2, 0.3)
    # Version 3's weights and calibration, gated anew: the same route on every text.
    assert v4.index == v3.index
    assert v4.heads == v3.heads and v4.calibration == v3.calibration
    # Gate 3 reads money someone else took; gate 2 did not, so v3 replays its P1.
    taken = "半夜收到好几条消费短信,都不是我刷的"
    assert _gated_p0(v3, taken) is False and _gated_p0(v4, taken) is True
    v5 = from_bytes(rows[4][3], 5)
    assert (v5.p0_gate, v5.feature_set, v5.p0_at) == (4, 2, 0.3)
    assert v5.heads == v4.heads and v5.calibration == v4.calibration
    # Gate 4 reads a utility out without 了; gate 3 did not, so v4 replays its P1.
    cut = "楼里从早上开始停水,到现在还没来水"
    assert _gated_p0(v4, cut) is False and _gated_p0(v5, cut) is True
    v6 = from_bytes(rows[5][3], 6)
    assert (v6.p0_gate, v6.feature_set, v6.p0_at) == (4, 2, 0.3)
    # Trained again (with the spent blind sets), its own calibration; v5 replays v3's weights.
    assert v6.index == shipped_model().index != v5.index
    assert v6.calibration is not None and v6.calibration != v5.calibration
    assert v6.metrics["solver"] == "newton-cg"


async def test_a_trained_version_in_force_stays_in_force(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0006")
    await _store_trained(database_url, active=True)
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    rows = await _model_rows(database_url)
    assert [(v, a, by) for v, a, by, _ in rows] == [
        (1, True, "admin:test"),
        (2, False, "migration"),
        (3, False, "migration"),
        (4, False, "migration"),
        (5, False, "migration"),
        (6, False, "migration"),
        (7, False, "migration"),
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
        (3, True, "migration"),
        (4, True, "migration"),
        (5, True, "migration"),
        (6, True, "migration"),
        (7, True, "migration"),
    ]
    assert from_bytes(rows[1][3], 2).p0_gate == 1
    assert from_bytes(rows[2][3], 3).p0_gate == 2
    assert from_bytes(rows[3][3], 4).p0_gate == 2
    assert from_bytes(rows[4][3], 5).p0_gate == 3
    assert from_bytes(rows[5][3], 6).p0_gate == 4
    assert from_bytes(rows[6][3], 7).index == shipped_model().index


async def test_version_2_goes_again_with_migration_0008(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, database_url), "0007")
    assert [v for v, *_ in await _model_rows(database_url)] == [1]


async def test_version_3_goes_again_with_migration_0009(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, database_url), "0008")
    assert [v for v, *_ in await _model_rows(database_url)] == [1, 2]


async def test_version_4_goes_again_with_migration_0011(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, database_url), "0010")
    assert [v for v, *_ in await _model_rows(database_url)] == [1, 2, 3]


async def test_version_5_goes_again_with_migration_0014(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, database_url), "0013")
    assert [v for v, *_ in await _model_rows(database_url)] == [1, 2, 3, 4]


async def test_version_6_goes_again_with_migration_0015(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, database_url), "0014")
    assert [v for v, *_ in await _model_rows(database_url)] == [1, 2, 3, 4, 5]


def _gated_p0(model: LinearModel, text: str) -> bool:
    """Whether ``model``'s P0 gate lets a P0 stand on ``text``."""
    return verdict.p0_said(model, text)
