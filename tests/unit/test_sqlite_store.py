"""SQLite stores: what several processes opening one file need."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_a_store_opened_while_another_holds_its_lock_still_switches_to_wal(
    tmp_path: Path,
) -> None:
    """Two replicas opening one new SQLite file: the second is told "locked" while the
    first holds it, waits, and ends in WAL like the first (a flake seen in CI)."""
    import sqlite3
    import threading

    from shared.database import _use_wal

    path = tmp_path / "store.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    second = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("PRAGMA journal_mode=WAL")
    threading.Timer(0.3, holder.execute, args=("COMMIT",)).start()
    _use_wal(second.cursor())
    assert second.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    holder.close()
    second.close()
