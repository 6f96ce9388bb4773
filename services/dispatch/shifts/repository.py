"""Queries of shifts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.models import Agent, Assignment
from services.dispatch.shifts.models import (
    HolidayScheduleCopy,
    OnShiftAnnouncement,
    ShiftException,
    ShiftExceptionChange,
    ShiftRoster,
    ShiftRosterChange,
)
from shared.database import upsert


async def rosters(session: AsyncSession) -> dict[str, ShiftRoster]:
    rows = (await session.execute(sa.select(ShiftRoster))).scalars()
    return {row.team_key: row for row in rows}


async def get_roster(session: AsyncSession, team_key: str) -> ShiftRoster | None:
    return await session.get(ShiftRoster, team_key)


# A team's shift history: its roster's versions, or its exceptions' changes.
History = TypeVar("History", ShiftRosterChange, ShiftExceptionChange)


async def last_version(session: AsyncSession, history: type[History], team_key: str) -> int:
    """The number of the team's latest change in this history (0: none yet)."""
    query = sa.select(sa.func.max(history.version)).where(history.team_key == team_key)
    return int((await session.execute(query)).scalar() or 0)


async def changes(
    session: AsyncSession, history: type[History], team_key: str, limit: int
) -> Sequence[History]:
    """The team's changes in this history, newest first."""
    query = (
        sa.select(history)
        .where(history.team_key == team_key)
        .order_by(history.version.desc())
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def agents_of(session: AsyncSession, team_key: str) -> Sequence[Agent]:
    query = sa.select(Agent).where(Agent.team_key == team_key).order_by(Agent.name)
    return (await session.execute(query)).scalars().all()


async def queued_count(session: AsyncSession, team_key: str) -> int:
    query = sa.select(sa.func.count()).where(
        Assignment.team_key == team_key, Assignment.state == "queued"
    )
    return int((await session.execute(query)).scalar() or 0)


async def lock_work_of(
    session: AsyncSession, agent_id: uuid.UUID, states: Iterable[str]
) -> Sequence[Assignment]:
    """An agent's assignments in these states, locked (after the agents: routing's order)."""
    query = (
        sa.select(Assignment)
        .where(Assignment.agent_id == agent_id, Assignment.state.in_(list(states)))
        .order_by(Assignment.respond_by, Assignment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalars().all()


async def delete_roster(session: AsyncSession, team_key: str) -> None:
    await session.execute(sa.delete(ShiftRoster).where(ShiftRoster.team_key == team_key))


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)


# --------------------------------------------------------------------------- calendar


async def holiday_schedules(session: AsyncSession) -> Sequence[HolidayScheduleCopy]:
    query = sa.select(HolidayScheduleCopy).order_by(HolidayScheduleCopy.year)
    return (await session.execute(query)).scalars().all()


async def keep_holiday_schedule(session: AsyncSession, row: dict[str, object]) -> None:
    """Take a year's schedule unless the copy holds a newer one (repeats change nothing)."""
    table = HolidayScheduleCopy.__table__
    insert = upsert(session, table).values(**row)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.year],
            set_={n: insert.excluded[n] for n in ("holidays", "workdays", "actor", "updated_at")},
            where=table.c.updated_at <= insert.excluded.updated_at,
        )
    )


# --------------------------------------------------------------------------- exceptions


async def exceptions_between(
    session: AsyncSession, first: date, last: date, team_key: str | None = None
) -> Sequence[ShiftException]:
    """Exceptions that touch any day from ``first`` to ``last``."""
    query = sa.select(ShiftException).where(
        ShiftException.last_day >= first, ShiftException.first_day <= last
    )
    if team_key is not None:
        query = query.where(ShiftException.team_key == team_key)
    query = query.order_by(ShiftException.first_day, ShiftException.created_at)
    return (await session.execute(query)).scalars().all()


async def get_exception(session: AsyncSession, ident: uuid.UUID) -> ShiftException | None:
    return await session.get(ShiftException, ident)


async def delete_exception(session: AsyncSession, ident: uuid.UUID) -> None:
    await session.execute(sa.delete(ShiftException).where(ShiftException.id == ident))


# --------------------------------------------------------------------------- announcements


async def announced_digest(session: AsyncSession, team_key: str) -> str | None:
    query = sa.select(OnShiftAnnouncement.digest).where(OnShiftAnnouncement.team_key == team_key)
    return (await session.execute(query)).scalar()


async def note_announcement(
    session: AsyncSession, team_key: str, digest: str, at: datetime
) -> bool:
    """Record ``digest`` as announced unless it is what was announced last; True when it
    was not. On PostgreSQL a second replica waits on the row and then finds it noted."""
    table = OnShiftAnnouncement.__table__
    insert = upsert(session, table).values(team_key=team_key, digest=digest, announced_at=at)
    result = await session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.team_key],
            set_={"digest": insert.excluded.digest, "announced_at": insert.excluded.announced_at},
            where=table.c.digest != insert.excluded.digest,
        )
    )
    return bool(getattr(result, "rowcount", 0))
