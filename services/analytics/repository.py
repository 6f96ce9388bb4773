"""Every query analytics makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from services.analytics.models import TicketFact
from shared.database import insert_if_absent


async def fact_for_update(session: AsyncSession, ticket_id: uuid.UUID) -> TicketFact:
    """The ticket's fact row, created empty if missing, locked for this transaction.

    Several events of one ticket may arrive in one batch: the second one gets
    the same object back from the session, with the first one's changes.
    """
    fact = await session.get(TicketFact, ticket_id, with_for_update=True)
    if fact is None:
        await insert_if_absent(
            session, TicketFact.__table__, {"ticket_id": ticket_id, "state": "new"}
        )
        fact = await session.get(TicketFact, ticket_id, with_for_update=True)
    assert fact is not None
    return fact


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
