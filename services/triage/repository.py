"""Every query triage makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.models import TriageDecision


async def get_decision(session: AsyncSession, ticket_id: uuid.UUID) -> TriageDecision | None:
    return await session.get(TriageDecision, ticket_id)


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)


async def decided_ticket_ids(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not ticket_ids:
        return set()
    result = await session.scalars(
        sa.select(TriageDecision.ticket_id).where(TriageDecision.ticket_id.in_(ticket_ids))
    )
    return set(result.all())
