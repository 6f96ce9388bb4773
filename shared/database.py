"""Database plumbing: async engines for PostgreSQL and SQLite, and the bus tables.

Each service declares its own ``DeclarativeBase`` and calls :func:`bus_tables`
on its metadata, so the outbox and inbox live in the service's own store and
are created by the service's own Alembic history (see :func:`create_bus_tables`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import QueryableAttribute, configure_mappers
from sqlalchemy.types import TypeDecorator

# SQLite has no 64-bit autoincrement primary key type; Integer is its rowid.
BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both PostgreSQL and SQLite.

    SQLite stores no offset, so values are normalised to UTC on the way in and
    tagged as UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; sopdesk stores UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Every service's DeclarativeBase uses this map, so ``Mapped[datetime]`` is UTC-aware
# and dict/list columns are JSON on both dialects.
TYPE_ANNOTATION_MAP: dict[Any, Any] = {
    datetime: UtcDateTime,
    dict[str, Any]: sa.JSON,
    list[str]: sa.JSON,
    list[dict[str, Any]]: sa.JSON,
}


@dataclass(frozen=True)
class BusTables:
    outbox: sa.Table
    inbox: sa.Table


def _outbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Uuid(as_uuid=True), nullable=False, unique=True),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("published_at", UtcDateTime, nullable=True),
    ]


def _inbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("consumer", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.Uuid(as_uuid=True), primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("processed_at", UtcDateTime, nullable=False),
    ]


def _pending_index(table_or_name: Any) -> dict[str, Any]:
    where = sa.text("published_at IS NULL")
    return {"postgresql_where": where, "sqlite_where": where}


def bus_tables(metadata: sa.MetaData) -> BusTables:
    """Declare ``outbox`` and ``inbox`` on a service's metadata."""
    outbox = sa.Table("outbox", metadata, *_outbox_columns())
    sa.Index("ix_outbox_pending", outbox.c.id, **_pending_index(outbox))
    inbox = sa.Table("inbox", metadata, *_inbox_columns())
    return BusTables(outbox=outbox, inbox=inbox)


def create_bus_tables(op: Any) -> None:
    """Alembic helper: every service's first migration creates the bus tables with this."""
    op.create_table("outbox", *_outbox_columns())
    op.create_index("ix_outbox_pending", "outbox", ["id"], **_pending_index("outbox"))
    op.create_table("inbox", *_inbox_columns())


def drop_bus_tables(op: Any) -> None:
    op.drop_table("inbox")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")


async def prune_bus_tables(
    session: AsyncSession,
    bus: BusTables,
    older_than: datetime,
    *,
    short_lived: Iterable[str] = (),
    short_lived_older_than: datetime | None = None,
) -> tuple[int, int]:
    """Delete published outbox rows and inbox ids older than ``older_than``, and
    published rows of the ``short_lived`` topics older than ``short_lived_older_than``;
    returns the counts. Unpublished outbox rows are never deleted.
    """
    published = bus.outbox.c.published_at.is_not(None)
    expired = bus.outbox.c.published_at < older_than
    topics = list(short_lived)
    if topics and short_lived_older_than is not None:
        expired = sa.or_(
            expired,
            sa.and_(
                bus.outbox.c.topic.in_(topics), bus.outbox.c.published_at < short_lived_older_than
            ),
        )
    outbox = await session.execute(sa.delete(bus.outbox).where(published, expired))
    inbox = await session.execute(sa.delete(bus.inbox).where(bus.inbox.c.processed_at < older_than))
    return int(getattr(outbox, "rowcount", 0) or 0), int(getattr(inbox, "rowcount", 0) or 0)


# PostgreSQL's "deadlock detected" and "could not serialize": the transaction
# lost a race and may simply run again.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def mapped_columns(model: type) -> tuple[tuple[str, str, bool], ...]:
    """An ORM model's (attribute, column, has a default) triples, read from its mapping
    once: for Core statements that write a model's rows without the ORM's flush."""
    found = _MAPPED_COLUMNS.get(model)
    if found is None:
        mapper: Any = sa.inspect(model)
        attrs = mapper.column_attrs
        found = tuple((a.key, a.columns[0].key, a.columns[0].default is not None) for a in attrs)
        _MAPPED_COLUMNS[model] = found
    return found


_MAPPED_COLUMNS: dict[type, tuple[tuple[str, str, bool], ...]] = {}

M = TypeVar("M")


def unsessioned(model: type[M], values: Mapping[str, Any]) -> M:
    """An instance of an ORM model holding ``values`` (attribute -> value) as its state,
    outside any session, for rows written with Core statements: changes to its attributes
    are tracked against these values as on a row the ORM loaded (``committed_state``), but
    neither the ORM's loading nor its constructor (an instrumented set per attribute) runs:
    those were 3-6 % of dispatch's and analytics' CPU (py-spy 2026-12-08)."""
    manager = _CLASS_MANAGERS.get(model)
    if manager is None:
        # A new instance's attributes track changes only once the mappers are configured,
        # which the ORM's constructor and queries do first and ``new_instance`` does not.
        configure_mappers()
        manager = _CLASS_MANAGERS[model] = sa.inspect(model).class_manager
    instance: M = manager.new_instance()
    sa.inspect(instance).dict.update(values)
    return instance


_CLASS_MANAGERS: dict[type, Any] = {}


def lost_a_race(exc: BaseException) -> bool:
    """True when a transaction failed only because a concurrent one won: a unique
    constraint it hit, a deadlock, or a serialization failure. Running it again is safe."""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return code in _RETRYABLE_SQLSTATES
    return False


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL once (the mode is kept in the file). Switching takes a lock
    for which SQLite does not wait, so a second process opening the file at that moment
    is told "database is locked": it tries again for a few seconds."""
    for attempt in range(100):
        try:
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the driver's OperationalError, through the adapter
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.05)


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """An async engine for PostgreSQL (asyncpg) or SQLite (aiosqlite)."""
    if url.startswith("sqlite"):
        # One connection: SQLite has one writer anyway, and waiting for the pool
        # in asyncio is far cheaper than SQLite's sleeping busy handler.
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=60
        )

        @sa_event.listens_for(engine.sync_engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, start transactions (see _sqlite_begin).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa_event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: sa.Connection) -> None:
            # A deferred transaction that later writes fails at once with
            # "database is locked" when another writer got there first; taking
            # the write lock up front makes it wait for the busy timeout instead.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping: it costs a round trip per transaction. A connection that died
    # with its server fails one transaction (a consumer retries it as transient)
    # and is replaced; recycling bounds the age of idle connections.
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def supports_skip_locked(engine: AsyncEngine | sa.Connection | AsyncSession) -> bool:
    bind = engine.get_bind() if isinstance(engine, AsyncSession) else engine
    return bind.dialect.name == "postgresql"


def one_of(
    session: AsyncSession,
    column: sa.ColumnElement[Any] | QueryableAttribute[Any],
    values: Sequence[Any],
) -> sa.ColumnElement[bool]:
    """``column IN values`` as one statement whatever the number of values: on PostgreSQL
    ``= ANY(:array)``. An ``IN`` list is rendered with one parameter per value, so each
    count is a statement of its own that asyncpg prepares again (a round trip, and a
    parse for PostgreSQL) once its cache of 100 statements has moved on; consumers and
    relays run such lookups every batch with counts from 1 to 500."""
    element = column.expression
    if session.get_bind().dialect.name == "postgresql":
        array = postgresql.ARRAY(element.type)
        return element == sa.any_(sa.bindparam(None, list(values), type_=array, unique=True))
    return element.in_(list(values))


def store_key(session: AsyncSession) -> str | None:
    """The database a session reads (its engine's URL): the key of a process's caches."""
    bind = session.bind
    if bind is None:
        return None
    engine = bind if isinstance(bind, AsyncEngine) else bind.engine
    return str(engine.url)


def upsert(session: AsyncSession, table: Any) -> Any:
    """The dialect's ``INSERT`` with ``on_conflict_do_nothing`` / ``on_conflict_do_update``.

    PostgreSQL and SQLite spell ``ON CONFLICT`` the same way, through different
    SQLAlchemy classes; this picks the one for the session's database.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
