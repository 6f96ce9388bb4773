"""Every query follow-up makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.followup.models import SlaClock
from shared.database import insert_if_absent


async def clock_for_update(session: AsyncSession, ticket_id: uuid.UUID, kind: str) -> SlaClock:
    """The ticket's clock of that kind, created empty if missing, locked for this transaction."""
    query = (
        sa.select(SlaClock)
        .where(SlaClock.ticket_id == ticket_id, SlaClock.kind == kind)
        .with_for_update()
    )
    clock = await session.scalar(query)
    if clock is None:
        await insert_if_absent(
            session,
            SlaClock.__table__,
            {"id": uuid.uuid4(), "ticket_id": ticket_id, "kind": kind, "state": "running"},
        )
        clock = await session.scalar(query)
    assert clock is not None
    return clock


async def clocks_of_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> Sequence[SlaClock]:
    result = await session.scalars(
        sa.select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.kind.desc())
    )
    return result.all()
