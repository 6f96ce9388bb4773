"""Every query follow-up makes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.followup.models import SlaClock


async def clocks_for_update(
    session: AsyncSession, ticket_ids: Iterable[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], SlaClock]:
    """The existing clocks of these tickets by (ticket, kind), locked for this transaction."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    result = await session.scalars(
        sa.select(SlaClock).where(SlaClock.ticket_id.in_(ids)).with_for_update()
    )
    return {(clock.ticket_id, clock.kind): clock for clock in result.all()}


async def clocks_of_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> Sequence[SlaClock]:
    result = await session.scalars(
        sa.select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.kind.desc())
    )
    return result.all()


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
