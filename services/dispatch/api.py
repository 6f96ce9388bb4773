"""Dispatch's HTTP routes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import repository
from services.dispatch.models import Agent, Assignment, Team
from services.dispatch.schemas import AgentView, AssignmentView, TeamView
from shared.auth import require_roles
from shared.errors import error_responses
from shared.http import read_session

router = APIRouter(prefix="/v1")

_readers = Depends(require_roles("agent", "supervisor", "viewer"))


@router.get(
    "/teams",
    response_model=list[TeamView],
    tags=["teams"],
    summary="Teams with their supervisor and skills",
    responses=error_responses(401, 403),
    dependencies=[_readers],
)
async def list_teams(session: AsyncSession = Depends(read_session)) -> Sequence[Team]:
    return await repository.list_teams(session)


@router.get(
    "/agents",
    response_model=list[AgentView],
    tags=["agents"],
    summary="Agents with skills, capacity, status and current load",
    responses=error_responses(401, 403),
    dependencies=[_readers],
)
async def list_agents(
    team: str | None = Query(default=None, examples=["tech_support"]),
    session: AsyncSession = Depends(read_session),
) -> Sequence[Agent]:
    return await repository.list_agents(session, team)


@router.get(
    "/assignments",
    response_model=list[AssignmentView],
    tags=["assignments"],
    summary="Assignments, newest first",
    responses=error_responses(401, 403, 422),
    dependencies=[_readers],
)
async def list_assignments(
    team: str | None = Query(default=None, examples=["tech_support"]),
    agent: uuid.UUID | None = None,
    state: Literal["queued", "assigned"] | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    session: AsyncSession = Depends(read_session),
) -> Sequence[Assignment]:
    return await repository.list_assignments(
        session, team=team, agent=agent, state=state, limit=limit
    )


@router.get(
    "/queue",
    response_model=list[AssignmentView],
    tags=["assignments"],
    summary="Tickets waiting for an agent, in serving order (priority, then deadline)",
    responses=error_responses(401, 403),
    dependencies=[_readers],
)
async def get_queue(
    team: str | None = Query(default=None, examples=["logistics"]),
    limit: int = Query(default=100, ge=1, le=1000),
    session: AsyncSession = Depends(read_session),
) -> Sequence[Assignment]:
    return await repository.queue(session, team, limit)
