"""A running service reads its history's heads from the migration files itself (alembic
is not imported at run time); they must be the heads alembic finds."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from shared.migrations import alembic_config, head_revisions
from sopdesk.catalogue import SERVICE_NAMES, entry


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_heads_read_from_the_files_are_alembics(service: str) -> None:
    migrations = entry(service).migrations
    expected = ScriptDirectory.from_config(alembic_config(migrations, "sqlite://")).get_heads()
    assert head_revisions(migrations) == frozenset(expected)
    assert len(expected) == 1


def test_a_branch_point_gives_both_heads_and_a_merge_one(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    scripts = {
        "a": 'revision: str = "a"\ndown_revision = None\n',
        "b": 'revision = "b"\ndown_revision: str | None = "a"\n',
        "c": 'revision = "c"\ndown_revision = "a"\n',
    }
    for name, text in scripts.items():
        (versions / f"{name}.py").write_text(text)
    assert head_revisions(tmp_path) == {"b", "c"}
    (versions / "m.py").write_text('revision = "m"\ndown_revision = ("b", "c")\n')
    assert head_revisions(tmp_path) == {"m"}
