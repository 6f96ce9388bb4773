"""Every query dispatch makes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.models import Agent, Assignment, Team


async def get_assignment_by_ticket(
    session: AsyncSession, ticket_id: uuid.UUID
) -> Assignment | None:
    return await session.scalar(sa.select(Assignment).where(Assignment.ticket_id == ticket_id))


async def get_team(session: AsyncSession, key: str) -> Team | None:
    return await session.get(Team, key)


async def assigned_ticket_ids(
    session: AsyncSession, ticket_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not ticket_ids:
        return set()
    result = await session.scalars(
        sa.select(Assignment.ticket_id).where(Assignment.ticket_id.in_(ticket_ids))
    )
    return set(result.all())


async def lock_online_agents(session: AsyncSession, team_keys: Iterable[str]) -> list[Agent]:
    """Lock the online agents of these teams for this transaction.

    Locks are taken in id order, so two dispatch replicas never deadlock; the
    second waits for the first to commit and then sees its loads, so no agent
    is ever over capacity and capacity is never left unused.
    """
    keys = sorted(set(team_keys))
    if not keys:
        return []
    result = await session.scalars(
        sa.select(Agent)
        .where(Agent.team_key.in_(keys), Agent.status == "online")
        .order_by(Agent.id)
        .with_for_update()
    )
    return list(result.all())


async def list_teams(session: AsyncSession) -> Sequence[Team]:
    return (await session.scalars(sa.select(Team).order_by(Team.key))).all()


async def list_agents(session: AsyncSession, team: str | None = None) -> Sequence[Agent]:
    query = sa.select(Agent).order_by(Agent.team_key, Agent.name)
    if team:
        query = query.where(Agent.team_key == team)
    return (await session.scalars(query)).all()


async def agent_names(session: AsyncSession) -> set[str]:
    return set((await session.scalars(sa.select(Agent.name))).all())


async def list_assignments(
    session: AsyncSession,
    *,
    team: str | None,
    agent: uuid.UUID | None,
    state: str | None,
    limit: int,
) -> Sequence[Assignment]:
    query = sa.select(Assignment).order_by(Assignment.created_at.desc()).limit(limit)
    if team:
        query = query.where(Assignment.team_key == team)
    if agent:
        query = query.where(Assignment.agent_id == agent)
    if state:
        query = query.where(Assignment.state == state)
    return (await session.scalars(query)).all()


async def queue(session: AsyncSession, team: str | None, limit: int) -> Sequence[Assignment]:
    """Queued tickets in the order they will be served: priority, then deadline."""
    query = (
        sa.select(Assignment)
        .where(Assignment.state == "queued")
        .order_by(Assignment.priority, Assignment.respond_by, Assignment.created_at)
        .limit(limit)
    )
    if team:
        query = query.where(Assignment.team_key == team)
    return (await session.scalars(query)).all()


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
