"""The rollup tables are one data file that the code and migration 0003 read."""

from __future__ import annotations

import json

from services.analytics import rollups


def test_the_code_keeps_the_newest_tables_of_the_file() -> None:
    versions = json.loads(rollups.ROLLUPS_FILE.read_text(encoding="utf-8"))["versions"]
    assert [entry["version"] for entry in versions] == list(range(1, len(versions) + 1))
    newest = versions[-1]
    assert list(rollups.INT_MEASURES) == newest["int_measures"]
    assert {t: list(rollups.key_columns(t)) for t in rollups.DIMENSIONS} == newest["tables"]


def test_every_histogram_bucket_is_a_measure() -> None:
    buckets = (*rollups.FRT_BUCKETS, *rollups.RES_BUCKETS, *rollups.CSAT_BUCKETS)
    assert len(rollups.FRT_BUCKETS) == len(rollups.TIME_BOUNDS) + 1
    assert set(buckets) <= set(rollups.INT_MEASURES)
    assert not set(rollups.INT_MEASURES) & set(rollups.FLOAT_MEASURES)
