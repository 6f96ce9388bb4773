"""Every query dispatch makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.models import Agent, Assignment, Team


async def get_assignment_by_ticket(
    session: AsyncSession, ticket_id: uuid.UUID
) -> Assignment | None:
    return await session.scalar(sa.select(Assignment).where(Assignment.ticket_id == ticket_id))


async def get_team(session: AsyncSession, key: str) -> Team | None:
    return await session.get(Team, key)


async def claim_available_agent(session: AsyncSession, team_key: str) -> Agent | None:
    """Lock the least-loaded online agent of the team with spare capacity.

    Ties go to whoever waited longest since their last assignment (round robin).
    ``SKIP LOCKED`` lets a second dispatch replica take the next agent instead of
    waiting; the capacity check and the increment happen under the row lock, so
    no agent is ever over capacity.
    """
    query = (
        sa.select(Agent)
        .where(
            Agent.team_key == team_key,
            Agent.status == "online",
            Agent.active_count < Agent.capacity,
        )
        .order_by(Agent.active_count, Agent.last_assigned_at.asc().nulls_first(), Agent.name)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return await session.scalar(query)


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
