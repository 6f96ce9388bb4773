"""Routes for teams and agents."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fastapi import Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import repository, roster
from services.dispatch.api.common import (
    ADMINS,
    READERS,
    SUPERVISORS,
    found_by_id,
    router,
    settings_of,
    supervised,
)
from services.dispatch.models import Agent, Team
from services.dispatch.schemas import (
    AgentCreate,
    AgentStatus,
    AgentUpdate,
    AgentView,
    TeamCreate,
    TeamUpdate,
    TeamView,
)
from services.dispatch.settings import DispatchSettings
from services.dispatch.shifts import service as shifts_service
from shared.auth import Principal, require_roles
from shared.errors import ApiError, error_responses
from shared.events import Topics, utcnow
from shared.http import read_session, unit_of_work
from shared.kafka import ensure_topics
from shared.observability import get_logger
from shared.outbox import UnitOfWork

log = get_logger(__name__)


# --------------------------------------------------------------------------- teams


@router.get(
    "/teams",
    response_model=list[TeamView],
    tags=["teams"],
    summary="Teams with their supervisor and skills",
    responses=error_responses(401, 403),
    dependencies=[READERS],
)
async def list_teams(session: AsyncSession = Depends(read_session)) -> Sequence[Team]:
    return await repository.list_teams(session)


@router.post(
    "/teams",
    response_model=TeamView,
    status_code=201,
    tags=["teams"],
    summary="Create a team (admin)",
    responses=error_responses(401, 403, 409, 422),
    dependencies=[Depends(ADMINS)],
)
async def create_team(
    body: TeamCreate,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Team:
    team = await roster.create_team(uow, **body.model_dump())
    await uow.commit()
    # The team's work-order topic, so its first work order has somewhere to go
    # (every start creates the topics of all teams again).
    try:
        topic = Topics(settings.topic_prefix).assignments(team.key)
        await ensure_topics(settings, [topic], attempts=3)
    except Exception as exc:
        log.warning("team_topic_not_created", team=team.key, error=repr(exc))
    return team


@router.get(
    "/teams/{key}",
    response_model=TeamView,
    tags=["teams"],
    summary="One team",
    responses=error_responses(401, 403, 404),
    dependencies=[READERS],
)
async def get_team(key: str, session: AsyncSession = Depends(read_session)) -> Team:
    return await roster.existing_team(session, key)


@router.patch(
    "/teams/{key}",
    response_model=TeamView,
    tags=["teams"],
    summary="Change a team's name, supervisor or skills (its supervisor, or admin)",
    responses=error_responses(400, 401, 403, 404, 422),
)
async def update_team(
    key: str,
    body: TeamUpdate,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Team:
    changes = body.changes()
    team = await roster.update_team(uow, key, changes, supervisor=supervised(principal))
    await uow.commit()
    return team


@router.delete(
    "/teams/{key}",
    status_code=204,
    response_class=Response,
    tags=["teams"],
    summary="Delete a team without agents or open tickets (admin)",
    responses=error_responses(401, 403, 404, 409),
    dependencies=[Depends(ADMINS)],
)
async def delete_team(key: str, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    await roster.delete_team(uow, key)
    await uow.commit()
    return Response(status_code=204)


# --------------------------------------------------------------------------- agents


@router.get(
    "/agents",
    response_model=list[AgentView],
    tags=["agents"],
    summary="Agents with skills, capacity, status and current load",
    description=(
        "`on_shift=true`: only the agents on shift now by their team's roster (an agent of a"
        " team without a roster is always on shift); `false`: those off shift."
    ),
    responses=error_responses(401, 403, 422),
    dependencies=[READERS],
)
async def list_agents(
    team: str | None = Query(default=None, examples=["tech_support"]),
    status: AgentStatus | None = None,
    on_shift: bool | None = Query(default=None, examples=[True]),
    session: AsyncSession = Depends(read_session),
) -> Sequence[Agent]:
    agents = await repository.list_agents(session, team)
    agents = [a for a in agents if status is None or a.status == status]
    if on_shift is None:
        return agents
    working = await shifts_service.on_shift_now(session, utcnow())
    return [
        a for a in agents if (a.team_key not in working or a.id in working[a.team_key]) == on_shift
    ]


@router.post(
    "/agents",
    response_model=AgentView,
    status_code=201,
    tags=["agents"],
    summary="Add an agent to a team (its supervisor, or admin); an online agent takes queued work",
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def create_agent(
    body: AgentCreate,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Agent:
    agent = await roster.create_agent(
        uow,
        **body.model_dump(),
        supervisor=supervised(principal),
        min_level=settings.min_skill_level_p0_vip,
    )
    await uow.commit()
    return agent


@router.get(
    "/agents/{agent_id}",
    response_model=AgentView,
    tags=["agents"],
    summary="One agent",
    responses=error_responses(401, 403, 404),
    dependencies=[READERS],
)
async def get_agent(agent_id: str, session: AsyncSession = Depends(read_session)) -> Agent:
    return await found_by_id(session, "agent", agent_id, repository.get_agent)


@router.patch(
    "/agents/{agent_id}",
    response_model=AgentView,
    tags=["agents"],
    summary="Change an agent's status, capacity, skills or team",
    description=(
        "A supervisor changes agents of the teams they supervise (403 not_team_supervisor);"
        " a signed-in agent changes only their own status (403 not_your_account / status_only)."
        " More capacity or coming online drains the queue at once; going offline re-dispatches"
        " the agent's unaccepted assignments."
    ),
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def update_agent(
    agent_id: uuid.UUID,
    body: AgentUpdate,
    principal: Principal = Depends(require_roles("supervisor", "agent")),
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Agent:
    changes = body.changes()
    supervisor = supervised(principal)  # a shared key is nobody: 403 person_required
    if supervisor is not None and "supervisor" not in principal.roles:
        # An agent: their own status only (their id is their agent's).
        if principal.person_id != agent_id:
            raise ApiError(403, "not_your_account", "An agent changes only their own status.")
        if set(changes) - {"status"}:
            raise ApiError(403, "status_only", "An agent changes only their status.")
        supervisor = None
    agent = await roster.update_agent(
        uow, agent_id, changes, supervisor=supervisor, min_level=settings.min_skill_level_p0_vip
    )
    await uow.commit()
    return agent
