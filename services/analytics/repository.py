"""Every query analytics makes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from services.analytics.models import TicketFact


async def facts_for_update(
    session: AsyncSession, ticket_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, TicketFact]:
    """The existing fact rows of these tickets, locked for this transaction.

    Rows this session already holds (an earlier run of the same batch) are not
    read again: the session's copy carries that run's changes.
    """
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    result = await session.scalars(
        sa.select(TicketFact).where(TicketFact.ticket_id.in_(ids)).with_for_update()
    )
    return {fact.ticket_id: fact for fact in result.all()}


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)


async def ledger_page(
    session: AsyncSession, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> Sequence[TicketFact]:
    query = (
        sa.select(TicketFact)
        .where(TicketFact.received_at.is_not(None))
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
