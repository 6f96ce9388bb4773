"""Every query follow-up makes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.followup.models import Callback, SlaClock, Survey
from shared.database import mapped_columns, one_of, supports_skip_locked

Row = TypeVar("Row")


async def _claimed(session: AsyncSession, query: sa.Select[Row]) -> Sequence[Row]:
    """The rows ``query`` finds, locked for this transaction; on PostgreSQL those another
    replica holds are skipped (SQLite has one writer at a time)."""
    if supports_skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def clocks_for_update(
    session: AsyncSession, ticket_ids: Iterable[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], SlaClock]:
    """The existing clocks of these tickets by (ticket, kind), locked for this transaction."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    result = await session.scalars(
        sa.select(SlaClock).where(one_of(session, SlaClock.ticket_id, ids)).with_for_update()
    )
    return {(clock.ticket_id, clock.kind): clock for clock in result.all()}


_INSERT_CLOCKS = sa.insert(cast(sa.Table, SlaClock.__table__))


async def insert_clocks(session: AsyncSession, clocks: Sequence[SlaClock]) -> None:
    """New clocks in one Core statement (every column given, in ticket order so replicas
    take the unique index's locks alike), bypassing the unit of work: the rows are
    then found by :func:`clocks_for_update` like any other."""
    if not clocks:
        return
    columns = mapped_columns(SlaClock)
    rows = [
        {column: getattr(clock, key) for key, column, _ in columns}
        for clock in sorted(clocks, key=lambda c: (c.ticket_id, c.kind))
    ]
    await session.execute(_INSERT_CLOCKS, rows)


async def claim_due_clocks(session: AsyncSession, now: datetime, limit: int) -> Sequence[SlaClock]:
    """Clocks whose warning or deadline has come, soonest first, locked for this transaction.

    On PostgreSQL rows another replica holds are skipped (``FOR UPDATE SKIP LOCKED``), and
    a row it has fired in the meantime no longer matches once its lock is released. SQLite
    has one writer at a time (transactions begin immediate), so a plain select is enough.
    """
    query = (
        sa.select(SlaClock)
        .where(SlaClock.next_fire_at.is_not(None), SlaClock.next_fire_at <= now)
        .order_by(SlaClock.next_fire_at, SlaClock.id)
        .limit(limit)
    )
    return await _claimed(session, query)


async def clocks_at_risk(
    session: AsyncSession, now: datetime, team: str | None, limit: int
) -> Sequence[SlaClock]:
    """Unstopped, unpaused clocks past their warning time or breached, soonest deadline first."""
    query = sa.select(SlaClock).where(
        SlaClock.stopped_at.is_(None),
        SlaClock.paused_at.is_(None),
        SlaClock.due_at.is_not(None),
        sa.or_(
            SlaClock.warn_at <= now,
            SlaClock.due_at <= now,
            SlaClock.breached_at.is_not(None),
            SlaClock.state == "breached",  # an update clock that missed a day runs on
        ),
    )
    if team is not None:
        query = query.where(SlaClock.team == team)
    query = query.order_by(SlaClock.due_at, SlaClock.id).limit(limit)
    return (await session.scalars(query)).all()


async def clocks_of_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> Sequence[SlaClock]:
    result = await session.scalars(
        sa.select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.kind.desc())
    )
    return result.all()


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)


async def supersede_pending_surveys(
    session: AsyncSession, ticket_ids: Iterable[uuid.UUID], now: datetime
) -> None:
    """A new resolution replaces the survey of an earlier one still waiting for an answer."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    await session.execute(
        sa.update(Survey)
        .where(Survey.ticket_id.in_(ids), Survey.state == "pending")
        .values(state="superseded", close_at=None, closed_at=now)
    )


async def pending_surveys_for_update(
    session: AsyncSession, ticket_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Survey]:
    """The survey each ticket waits on (its latest resolution's), locked."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    query = (
        sa.select(Survey)
        .where(Survey.ticket_id.in_(ids), Survey.state == "pending")
        .order_by(Survey.created_at)
        .with_for_update()
    )
    return {survey.ticket_id: survey for survey in (await session.scalars(query)).all()}


async def survey_by_token_hash(
    session: AsyncSession, digest: str, *, lock: bool = False
) -> Survey | None:
    query = sa.select(Survey).where(Survey.token_hash == digest)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def claim_unanswered_surveys(
    session: AsyncSession, now: datetime, limit: int
) -> Sequence[Survey]:
    """Pending surveys past their auto-close time, locked (skipping others' on PostgreSQL)."""
    query = (
        sa.select(Survey)
        .where(Survey.state == "pending", Survey.close_at.is_not(None), Survey.close_at <= now)
        .order_by(Survey.close_at, Survey.id)
        .limit(limit)
    )
    return await _claimed(session, query)


async def claim_due_callbacks(
    session: AsyncSession, now: datetime, limit: int
) -> Sequence[Callback]:
    """Open callbacks past their deadline not yet reported, locked (skip locked on PostgreSQL)."""
    query = (
        sa.select(Callback)
        .where(
            Callback.state == "open",
            Callback.next_fire_at.is_not(None),
            Callback.next_fire_at <= now,
        )
        .order_by(Callback.next_fire_at, Callback.id)
        .limit(limit)
    )
    return await _claimed(session, query)


async def callback_for_update(session: AsyncSession, callback_id: uuid.UUID) -> Callback | None:
    query = sa.select(Callback).where(Callback.id == callback_id).with_for_update()
    return (await session.scalars(query)).first()


async def list_callbacks(
    session: AsyncSession,
    *,
    owner: str | None,
    state: str | None,
    due_before: datetime | None,
    limit: int,
) -> Sequence[Callback]:
    query = sa.select(Callback)
    if owner is not None:
        query = query.where(Callback.owner == owner)
    if state == "overdue":  # open and past its deadline
        query = query.where(Callback.state == "open", Callback.breached_at.is_not(None))
    elif state is not None:
        query = query.where(Callback.state == state)
    if due_before is not None:
        query = query.where(Callback.due_at < due_before)
    return (await session.scalars(query.order_by(Callback.due_at, Callback.id).limit(limit))).all()


async def open_callbacks_for_update(
    session: AsyncSession, ticket_id: uuid.UUID
) -> Sequence[Callback]:
    query = (
        sa.select(Callback)
        .where(Callback.ticket_id == ticket_id, Callback.state == "open")
        .with_for_update()
    )
    return (await session.scalars(query)).all()
