"""Every query analytics makes."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.orm.attributes import instance_state

from services.analytics import rollups
from services.analytics.models import (
    ROLLUPS,
    TEAM_COPIES,
    CountedEvent,
    OnShiftCopy,
    ReportSynonym,
    TicketFact,
)
from services.analytics.schemas import LedgerFilters
from shared import team_copies
from shared.database import mapped_columns, upsert
from shared.events import TeamEvent, TeamOnShiftChanged

# Per transaction, in ``Session.info``: the facts already loaded (locked), which of them
# are new, and the rollup deltas not yet written. A consumer batch hands its handlers many
# short runs (one ticket's events interleave types), so each run reads only the facts it
# has not seen, and the facts and deltas are written once, just before the commit.
_FACTS = "analytics.facts"
_NEW_FACTS = "analytics.new_facts"
_DELTAS = "analytics.rollup_deltas"

_FACT_TABLE = cast(sa.Table, TicketFact.__table__)
# Built once: every batch runs it. On PostgreSQL ``= ANY(:ids)``, one statement whatever
# the count (an expanding ``IN`` is a statement per count, prepared again; see
# ``shared.database.one_of``).
_FACTS_LOCKED = (
    sa.select(TicketFact)
    .where(TicketFact.ticket_id.in_(sa.bindparam("ids", expanding=True)))
    .with_for_update()
)
_FACTS_LOCKED_ANY = (
    sa.select(TicketFact)
    .where(
        TicketFact.ticket_id
        == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.Uuid(as_uuid=True))))
    )
    .with_for_update()
)


async def facts_for_update(
    session: AsyncSession, ticket_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, TicketFact]:
    """The existing fact rows of these tickets, locked for this transaction.

    Rows this transaction already holds (an earlier run of the same batch) are not
    read again: the held copy carries that run's changes. The rows come back detached
    from the session: :func:`_write_facts` writes them with Core statements at commit
    (the ORM flush of the fact rows was most of analytics' CPU, py-spy 2026-12-02).
    """
    held: dict[uuid.UUID, TicketFact] = session.sync_session.info.setdefault(_FACTS, {})
    wanted = set(ticket_ids)
    missing = sorted(wanted - held.keys())
    if missing:
        # No autoflush: the rows asked for are not in this session.
        with session.no_autoflush:
            postgres = session.get_bind().dialect.name == "postgresql"
            locked = _FACTS_LOCKED_ANY if postgres else _FACTS_LOCKED
            result = await session.scalars(locked, {"ids": missing})
            for fact in result.all():
                session.expunge(fact)
                held[fact.ticket_id] = fact
    return {ident: held[ident] for ident in wanted if ident in held}


def add_fact(session: AsyncSession, fact: TicketFact) -> None:
    """A new fact, inserted at commit (not through the session)."""
    info = session.sync_session.info
    info.setdefault(_FACTS, {})[fact.ticket_id] = fact
    info.setdefault(_NEW_FACTS, set()).add(fact.ticket_id)


def pending_deltas(session: AsyncSession) -> rollups.Deltas:
    """This transaction's rollup deltas, written by :func:`_write_deltas` at commit."""
    deltas: rollups.Deltas = session.sync_session.info.setdefault(_DELTAS, rollups.Deltas())
    return deltas


@functools.lru_cache(maxsize=256)
def _update_fact_statement(columns: tuple[str, ...]) -> Any:
    # One per set of columns a batch changes (a handful: each event type sets its own);
    # the key's parameter is named apart from the column.
    table = _FACT_TABLE
    return (
        sa.update(table)
        .where(table.c.ticket_id == sa.bindparam("fact_key"))
        .values({c: sa.bindparam(c) for c in columns})
    )


_INSERT_FACT = sa.insert(_FACT_TABLE)


def _write_facts(session: Session, facts: dict[uuid.UUID, TicketFact], new: set[uuid.UUID]) -> None:
    """The batch's facts, as the ORM would write them but without its unit of work: new
    ones inserted with the columns they have, the others updated in the columns that
    changed since they were read (one statement per set of columns), in key order."""
    columns = {key: column for key, column, _ in mapped_columns(TicketFact)}
    inserts: dict[frozenset[str], list[dict[str, Any]]] = {}
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for ticket_id in sorted(facts):
        state = instance_state(facts[ticket_id])
        values = state.dict
        if ticket_id in new:
            row = {columns[k]: v for k, v in values.items() if k in columns}
            inserts.setdefault(frozenset(row), []).append(row)
            continue
        row = {
            columns[k]: values.get(k)
            for k, before in state.committed_state.items()
            if k in columns and values.get(k) != before
        }
        if row:
            key = tuple(sorted(row))
            row["fact_key"] = ticket_id
            updates.setdefault(key, []).append(row)
    if session.get_bind().dialect.name == "postgresql":
        for names, rows in inserts.items():
            statement = _facts_from_json("insert", tuple(sorted(names)))
            session.execute(statement, {"rows": _facts_json(rows)})
        for key, rows in updates.items():
            session.execute(_facts_from_json("update", key), {"rows": _facts_json(rows)})
        return
    for rows in inserts.values():
        session.execute(_INSERT_FACT, rows)
    for key, rows in updates.items():
        session.execute(_update_fact_statement(key), rows)


_FACT_JSON_COLUMNS = frozenset(c.name for c in _FACT_TABLE.columns if isinstance(c.type, sa.JSON))


@functools.lru_cache(maxsize=256)
def _facts_from_json(kind: str, columns: tuple[str, ...]) -> Any:
    """PostgreSQL: the facts of one set of columns in one statement, the rows one JSON
    parameter, where an executemany bound every value of every row one by one (py-spy,
    2026-12-07). JSON columns travel as their JSON text, so a None is JSON ``null`` as
    the ORM writes it."""
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    table = _FACT_TABLE

    def shape(column: str) -> str:
        if column in _FACT_JSON_COLUMNS:
            return f"{quote(column)} text"
        return f"{quote(column)} {table.c[column].type.compile(dialect=dialect)}"

    def value(column: str) -> str:
        if column in _FACT_JSON_COLUMNS:
            return f"CAST(r.{quote(column)} AS json)"
        return f"r.{quote(column)}"

    name = quote(table.name)
    fields = ", ".join(shape(c) for c in columns)
    if kind == "insert":
        return sa.text(
            f"INSERT INTO {name} ({', '.join(quote(c) for c in columns)}) "
            f"SELECT {', '.join(value(c) for c in columns)} "
            f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({fields})"
        )
    assigned = ", ".join(f"{quote(c)} = {value(c)}" for c in columns)
    return sa.text(
        f"UPDATE {name} AS t SET {assigned} "
        f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({fields}, fact_key uuid) "
        f"WHERE t.ticket_id = r.fact_key"
    )


def _facts_json(rows: list[dict[str, Any]]) -> str:
    encoded = [
        {c: json.dumps(v) if c in _FACT_JSON_COLUMNS else v for c, v in row.items()} for row in rows
    ]
    return json.dumps(encoded, default=_json_value, separators=(",", ":"))


@functools.cache
def _rollup_statement(dialect: str, table: sa.Table) -> Any:
    # Built once per table: constructing the upsert (``excluded`` and a ``+`` per
    # measure) was about a fifth of analytics' CPU per batch (py-spy, 2026-12-02).
    from sqlalchemy.dialects import sqlite

    if dialect == "postgresql":
        return _rollup_from_json(table)
    statement: Any = sqlite.insert(table)
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={m: table.c[m] + statement.excluded[m] for m in rollups.MEASURES},
    )


def _rollup_from_json(table: sa.Table) -> Any:
    """PostgreSQL: one statement per rollup and batch, its rows one JSON parameter of
    the measures that moved (absent ones 0), where an executemany bound all 79
    measures of every row, one by one (py-spy, 2026-12-07). Rows go in key order, so
    replicas lock them alike."""
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    keys = [c.name for c in table.primary_key.columns]
    columns = [*keys, *rollups.MEASURES]
    shape = ", ".join(f"{quote(c)} {table.c[c].type.compile(dialect=dialect)}" for c in columns)
    picked = [f"r.{quote(k)}" for k in keys]
    picked += [f"coalesce(r.{quote(m)}, 0)" for m in rollups.MEASURES]
    name = quote(table.name)
    added = ", ".join(
        f"{quote(m)} = {name}.{quote(m)} + excluded.{quote(m)}" for m in rollups.MEASURES
    )
    return sa.text(
        f"INSERT INTO {name} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {', '.join(picked)} "
        f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({shape}) "
        f"ORDER BY {', '.join(f'r.{quote(k)}' for k in keys)} "
        f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {added}"
    )


def _rollup_writes(dialect: str, deltas: rollups.Deltas) -> list[tuple[Any, Any]]:
    """The statements (and their parameters) that add ``deltas`` to the rollups."""
    writes: list[tuple[Any, Any]] = []
    for name, table in ROLLUPS.items():
        rows = deltas.sparse_changes(name)
        if not rows:
            continue
        if dialect == "postgresql":
            payload = json.dumps(rows, default=_json_value, separators=(",", ":"))
            writes.append((_rollup_statement(dialect, table), {"rows": payload}))
        else:
            dense = [rollups.dense(name, row) for row in rows]
            writes.append((_rollup_statement(dialect, table), dense))
    return writes


def _json_value(value: Any) -> str:
    """Dates, UTC-aware datetimes and ids as PostgreSQL reads them from JSON text."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; sopdesk stores UTC-aware datetimes only")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON: {value!r}")


@sa.event.listens_for(Session, "before_commit")
def _write_deltas(session: Session) -> None:
    """Write the transaction's facts, then add its deltas to the rollups (``ON CONFLICT
    DO UPDATE +=``), rows in key order so replicas lock them alike. Runs inside the
    commit, so with the async session it is awaited like any statement."""
    facts: dict[uuid.UUID, TicketFact] | None = session.info.pop(_FACTS, None)
    new: set[uuid.UUID] = session.info.pop(_NEW_FACTS, set())
    if facts:
        _write_facts(session, facts, new)
    deltas: rollups.Deltas | None = session.info.pop(_DELTAS, None)
    if deltas is None:
        return
    for statement, parameters in _rollup_writes(session.get_bind().dialect.name, deltas):
        session.execute(statement, parameters)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _transaction: Any) -> None:
    session.info.pop(_DELTAS, None)
    session.info.pop(_FACTS, None)
    session.info.pop(_NEW_FACTS, None)


async def counted_keys(session: AsyncSession, keys: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    with session.no_autoflush:
        result = await session.scalars(
            sa.select(CountedEvent.key).where(CountedEvent.key.in_(wanted))
        )
        return set(result.all())


async def record_counted(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        with session.no_autoflush:
            await session.execute(sa.insert(CountedEvent), rows)


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)


def ledger_conditions(filters: LedgerFilters) -> list[sa.ColumnElement[bool]]:
    f = TicketFact
    conditions: list[sa.ColumnElement[bool]] = [f.received_at.is_not(None)]
    if filters.since is not None:
        conditions.append(f.received_at >= filters.since)
    if filters.until is not None:
        conditions.append(f.received_at < filters.until)
    for column, value in (
        (f.channel, filters.channel),
        (f.category, filters.category),
        (f.priority, filters.priority),
        (f.team, filters.team),
        (f.agent_name, filters.agent),
        (f.state, filters.state),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.breached is not None:
        conditions.append(f.breached.is_(filters.breached))
    if filters.ticket_no is not None:
        conditions.append(f.ticket_no == filters.ticket_no)
    if filters.q:
        pattern = (
            "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        conditions.append(
            sa.or_(
                f.ticket_no.ilike(pattern, escape="\\"),
                f.subject.ilike(pattern, escape="\\"),
                f.description.ilike(pattern, escape="\\"),
            )
        )
    return conditions


async def ledger_page(
    session: AsyncSession,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    filters: LedgerFilters | None = None,
) -> Sequence[TicketFact]:
    query = (
        sa.select(TicketFact)
        .where(*ledger_conditions(filters or LedgerFilters()))
        .order_by(TicketFact.received_at.desc(), TicketFact.ticket_id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(sa.tuple_(TicketFact.received_at, TicketFact.ticket_id) < after)
    return (await session.scalars(query)).all()


async def counts_by(session: AsyncSession, column: QueryableAttribute[Any]) -> dict[str, int]:
    rows = await session.execute(
        sa.select(column, sa.func.count()).where(column.is_not(None)).group_by(column)
    )
    return {str(key): int(n) for key, n in rows.all()}


async def apply_rollup_deltas(session: AsyncSession, deltas: rollups.Deltas) -> None:
    """Write deltas now (bulk loads); projections use :func:`pending_deltas` instead."""
    for statement, parameters in _rollup_writes(session.get_bind().dialect.name, deltas):
        await session.execute(statement, parameters)


async def keep_team_announcements(session: AsyncSession, events: Sequence[TeamEvent]) -> None:
    await team_copies.apply_announcements(session, TEAM_COPIES, events)


async def teams(session: AsyncSession) -> dict[str, team_copies.KnownTeam]:
    return await team_copies.known_teams(session, TEAM_COPIES)


async def keep_on_shift(session: AsyncSession, events: Sequence[TeamOnShiftChanged]) -> None:
    """Each team's newest announcement of who is on shift; an older one, or a repeat,
    changes nothing (announcements may come again or out of order)."""
    latest: dict[str, TeamOnShiftChanged] = {}
    for event in events:
        held = latest.get(event.data.team)
        if held is None or event.data.as_of >= held.data.as_of:
            latest[event.data.team] = event
    table = OnShiftCopy.__table__
    for team_key, event in sorted(latest.items()):
        data = event.data
        insert = upsert(session, table).values(
            team_key=team_key,
            has_roster=data.has_roster,
            timezone=data.timezone,
            day=data.day,
            day_kind=data.day_kind,
            on_shift=[a.model_dump(mode="json") for a in data.on_shift],
            on_leave=[a.model_dump(mode="json") for a in data.on_leave],
            as_of=data.as_of,
        )
        changing = ("has_roster", "timezone", "day", "day_kind", "on_shift", "on_leave", "as_of")
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[table.c.team_key],
                set_={name: insert.excluded[name] for name in changing},
                where=table.c.as_of <= insert.excluded.as_of,
            )
        )


async def on_shift_copies(session: AsyncSession) -> Sequence[OnShiftCopy]:
    """The teams with a roster, as last announced."""
    query = sa.select(OnShiftCopy).where(OnShiftCopy.has_roster).order_by(OnShiftCopy.team_key)
    return (await session.scalars(query)).all()


async def synonym_rows(session: AsyncSession) -> Sequence[ReportSynonym]:
    return (await session.scalars(sa.select(ReportSynonym).order_by(ReportSynonym.term))).all()


async def replace_synonyms(session: AsyncSession, rows: Sequence[ReportSynonym]) -> None:
    await session.execute(sa.delete(ReportSynonym))
    session.add_all(rows)


async def needing_attention(
    session: AsyncSession, limit: int
) -> tuple[Sequence[TicketFact], Sequence[TicketFact]]:
    """Open tickets that missed a deadline, and the oldest open ones, oldest first."""
    f = TicketFact
    still_open = sa.and_(f.received_at.is_not(None), f.state.not_in(("resolved", "closed")))
    oldest = sa.select(f).where(still_open).order_by(f.received_at, f.ticket_id)
    breached = (await session.scalars(oldest.where(f.breached.is_(True)).limit(limit))).all()
    return breached, (await session.scalars(oldest.limit(limit))).all()


# --------------------------------------------------------------------------- rollups

Row = dict[str, Any]


def _rollup_where(
    t: sa.Table, since: date | None, until: date | None, filters: Mapping[str, str | None]
) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if since is not None and "day" in t.c:
        conditions.append(t.c.day >= since)
    if until is not None and "day" in t.c:
        conditions.append(t.c.day <= until)
    for name, value in filters.items():
        if value is not None:
            conditions.append(t.c[name] == value)
    return conditions


def _summed(expression: Any, label: str) -> Any:
    return sa.func.coalesce(sa.func.sum(expression), 0).label(label)


async def figure_rows(
    session: AsyncSession,
    *,
    table: str,
    group: str | None,
    since: date | None,
    until: date | None,
    filters: Mapping[str, str | None],
) -> list[Row]:
    """Every measure summed over the window, one row per ``group`` value (or one row)."""
    t = ROLLUPS[table]
    columns = [_summed(t.c[m], m) for m in rollups.MEASURES]
    keys = [t.c[g] for g in group.split(",")] if group else []
    query = sa.select(*keys, *columns).where(*_rollup_where(t, since, until, filters))
    if keys:
        query = query.group_by(*keys)
    return [dict(row) for row in (await session.execute(query)).mappings().all()]


async def volume_rows(
    session: AsyncSession,
    *,
    table: str,
    since: date | None,
    until: date | None,
    filters: Mapping[str, str | None],
) -> list[Row]:
    """Ticket counts by channel, category, priority, team and state (one column summed)."""
    t = ROLLUPS[table]
    dims = [t.c.channel, t.c.category, t.c.priority, t.c.team, t.c.state]
    query = (
        sa.select(*dims, _summed(t.c.tickets, "tickets"))
        .where(*_rollup_where(t, since, until, filters))
        .group_by(*dims)
    )
    return [dict(row) for row in (await session.execute(query)).mappings().all()]


async def report_facts(
    session: AsyncSession, since: datetime, until: datetime
) -> AsyncIterator[Any]:
    """What the weekly and monthly reviews read of the tickets received in [since, until),
    row by row: a month of 100,000 tickets' texts held at once would cost analytics more
    than its 150 MiB."""
    f = TicketFact
    query = sa.select(
        f.ticket_no,
        f.category,
        f.team,
        f.keywords,
        f.subject,
        f.description,
        f.survey_comment,
        f.breached,
        f.csat,
    ).where(f.received_at >= since, f.received_at < until)
    result = await session.stream(query.execution_options(yield_per=1000))
    async for row in result:
        yield row
