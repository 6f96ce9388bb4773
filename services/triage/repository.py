"""Every query triage makes."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.models import TriageDecision


async def get_decision(session: AsyncSession, ticket_id: uuid.UUID) -> TriageDecision | None:
    return await session.get(TriageDecision, ticket_id)


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
