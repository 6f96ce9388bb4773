"""Alembic plumbing: each service has its own history under ``services/<name>/migrations``.

A service's ``env.py`` calls :func:`run_env` with its metadata; :func:`upgrade`
runs a service's history programmatically (``sopdesk migrate``, tests, ``up``).
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only where a history is run (migrate, up, tests): a running
# service compares revisions by reading the files and the version table itself, so
# it does not carry alembic's 10 MiB resident (SPEC §6: < 150 MB a service).

# The advisory lock of migrations (advisory locks are per database, so one number serves).
LOCK = 16_2026_12


def alembic_config(migrations_dir: Path, url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def _revision_ids(value: Any) -> set[str]:
    if value is None:
        return set()
    return {value} if isinstance(value, str) else set(value)


def head_revisions(migrations_dir: Path) -> frozenset[str]:
    """The revisions at the head of a service's history: what its code expects.

    Read from each script's ``revision`` and ``down_revision`` assignments (what
    alembic's ScriptDirectory reads too): a head is a revision no other revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in sorted((migrations_dir / "versions").glob("*.py")):
        names: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target: ast.expr
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                names[target.id] = ast.literal_eval(value)
        if "revision" in names:
            revisions |= _revision_ids(names["revision"])
            revised |= _revision_ids(names.get("down_revision"))
    return frozenset(revisions - revised)


async def current_revisions(conn: AsyncConnection) -> frozenset[str]:
    """The revisions a store is at (empty when it was never migrated): alembic's
    version table, read as alembic's MigrationContext reads it."""

    def read(sync_conn: sa.Connection) -> frozenset[str]:
        if not sa.inspect(sync_conn).has_table("alembic_version"):
            return frozenset()
        rows = sync_conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        return frozenset(row[0] for row in rows)

    return await conn.run_sync(read)


def upgrade(migrations_dir: Path, url: str, revision: str = "head") -> None:
    """Migrate one store to ``revision``. Call from sync code (or ``asyncio.to_thread``)."""
    from alembic import command

    command.upgrade(alembic_config(migrations_dir, url), revision)


def run_env(target_metadata: sa.MetaData) -> None:
    """The body of every service's ``migrations/env.py``."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    opts: dict[str, Any] = {
        "target_metadata": target_metadata,
        "render_as_batch": url.startswith("sqlite"),  # SQLite alters tables by copying them
        "compare_type": True,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **opts)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: sa.Connection) -> None:
        context.configure(connection=connection, **opts)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas migrating at once (init containers) take turns: the second
                # waits here, then finds the store at head and does nothing.
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=sa.pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())


async def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database named in ``url`` if it is missing; True if created."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        return False
    admin = create_async_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            )
            if exists:
                return False
            await conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
            return True
    finally:
        await admin.dispose()
