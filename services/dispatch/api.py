"""Dispatch's HTTP routes.

Who is acting:
- an agent key (role ``agent``) names the agent with the ``X-Agent-Id`` header
  (the agent's id from ``GET /v1/agents``); only the assignment's holder may act on it;
- a supervisor key (role ``supervisor``) names the supervisor with the
  ``X-Supervisor`` header, matched against ``team.supervisor``: a supervisor
  manages and approves for their own team only; an ``admin`` key may act on any team.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import agent_work, compensation, repository, roster
from services.dispatch.models import Agent, Assignment, Compensation, Team
from services.dispatch.schemas import (
    AgentCreate,
    AgentStatus,
    AgentUpdate,
    AgentView,
    AssignmentState,
    AssignmentView,
    CompensationCreate,
    CompensationView,
    DecisionBody,
    EscalateBody,
    InboxView,
    ProgressBody,
    RejectBody,
    ResolveBody,
    TeamCreate,
    TeamUpdate,
    TeamView,
    TransferBody,
    VisitBody,
    WaitingBody,
)
from services.dispatch.settings import DispatchSettings
from shared.auth import Principal, require_roles
from shared.errors import ApiError, error_responses, not_found
from shared.events import Topics
from shared.http import read_session, unit_of_work
from shared.kafka import ensure_topics
from shared.observability import get_logger
from shared.outbox import UnitOfWork

log = get_logger(__name__)

router = APIRouter(prefix="/v1")

_readers = Depends(require_roles("agent", "supervisor", "viewer"))
_agents = require_roles("agent")
_supervisors = require_roles("supervisor")
_admins = require_roles()

AGENT_ID_HEADER = Header(
    alias="X-Agent-Id",
    description="The acting agent's id (from GET /v1/agents); required with an agent key.",
    examples=["6f1c1a4e-8a43-4e59-9d1e-6b9c1f0b2d11"],
)
SUPERVISOR_HEADER = Header(
    default=None,
    alias="X-Supervisor",
    description="The acting supervisor, as in team.supervisor; required with a supervisor key.",
    examples=["tech-supervisor"],
)
OPTIONAL_AGENT_ID_HEADER = Header(
    default=None,
    alias="X-Agent-Id",
    description="With an agent key: the agent changing their own status.",
)


def _settings(request: Request) -> DispatchSettings:
    settings: DispatchSettings = request.app.state.settings
    return settings


def _supervisor(principal: Principal, name: str | None) -> str | None:
    """The acting supervisor's name; None for an admin, who may act on any team."""
    if principal.role == "admin":
        return None
    if not name:
        raise ApiError(
            400,
            "supervisor_required",
            "Name yourself with the X-Supervisor header (the team's supervisor value).",
        )
    return name


def _uuid_or_404(what: str, raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise not_found(what, raw) from None


# --------------------------------------------------------------------------- teams


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


@router.post(
    "/teams",
    response_model=TeamView,
    status_code=201,
    tags=["teams"],
    summary="Create a team (admin)",
    responses=error_responses(401, 403, 409, 422),
    dependencies=[Depends(_admins)],
)
async def create_team(
    body: TeamCreate,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(_settings),
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
    dependencies=[_readers],
)
async def get_team(key: str, session: AsyncSession = Depends(read_session)) -> Team:
    team = await repository.get_team(session, key)
    if team is None:
        raise ApiError(404, "team_not_found", f"No team with key {key}.")
    return team


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
    principal: Principal = Depends(_supervisors),
    x_supervisor: str | None = SUPERVISOR_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Team:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    team = await roster.update_team(
        uow, key, changes, supervisor=_supervisor(principal, x_supervisor)
    )
    await uow.commit()
    return team


@router.delete(
    "/teams/{key}",
    status_code=204,
    response_class=Response,
    tags=["teams"],
    summary="Delete a team without agents or open tickets (admin)",
    responses=error_responses(401, 403, 404, 409),
    dependencies=[Depends(_admins)],
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
    responses=error_responses(401, 403, 422),
    dependencies=[_readers],
)
async def list_agents(
    team: str | None = Query(default=None, examples=["tech_support"]),
    status: AgentStatus | None = None,
    session: AsyncSession = Depends(read_session),
) -> Sequence[Agent]:
    agents = await repository.list_agents(session, team)
    return [a for a in agents if status is None or a.status == status]


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
    principal: Principal = Depends(_supervisors),
    x_supervisor: str | None = SUPERVISOR_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(_settings),
) -> Agent:
    agent = await roster.create_agent(
        uow,
        **body.model_dump(),
        supervisor=_supervisor(principal, x_supervisor),
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
    dependencies=[_readers],
)
async def get_agent(agent_id: str, session: AsyncSession = Depends(read_session)) -> Agent:
    ident = _uuid_or_404("agent", agent_id)
    agent = await repository.get_agent(session, ident)
    if agent is None:
        raise not_found("agent", agent_id)
    return agent


@router.patch(
    "/agents/{agent_id}",
    response_model=AgentView,
    tags=["agents"],
    summary="Change an agent's status, capacity, skills or team",
    description=(
        "A supervisor (X-Supervisor) changes agents of their own team; an agent key may change"
        " only its own status (X-Agent-Id). More capacity or coming online drains the queue at"
        " once; going offline re-dispatches the agent's unaccepted assignments."
    ),
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def update_agent(
    agent_id: uuid.UUID,
    body: AgentUpdate,
    principal: Principal = Depends(require_roles("supervisor", "agent")),
    x_supervisor: str | None = SUPERVISOR_HEADER,
    x_agent_id: uuid.UUID | None = OPTIONAL_AGENT_ID_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(_settings),
) -> Agent:
    changes = body.changes()
    supervisor: str | None = None
    if principal.role == "agent":
        if x_agent_id != agent_id or set(changes) - {"status"}:
            raise ApiError(
                403,
                "forbidden",
                "An agent key may change only its own status (X-Agent-Id must be the agent).",
            )
    else:
        supervisor = _supervisor(principal, x_supervisor)
    agent = await roster.update_agent(
        uow, agent_id, changes, supervisor=supervisor, min_level=settings.min_skill_level_p0_vip
    )
    await uow.commit()
    return agent


# --------------------------------------------------------------------------- assignments


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
    state: AssignmentState | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    session: AsyncSession = Depends(read_session),
) -> Sequence[Assignment]:
    return await repository.list_assignments(
        session, team=team, agent=agent, state=state, limit=limit
    )


@router.get(
    "/assignments/{assignment_id}",
    response_model=AssignmentView,
    tags=["assignments"],
    summary="One assignment",
    responses=error_responses(401, 403, 404),
    dependencies=[_readers],
)
async def get_assignment(
    assignment_id: str, session: AsyncSession = Depends(read_session)
) -> Assignment:
    ident = _uuid_or_404("assignment", assignment_id)
    assignment = await repository.get_assignment(session, ident)
    if assignment is None:
        raise not_found("assignment", assignment_id)
    return assignment


_ACTION_ERRORS = error_responses(401, 403, 404, 409, 422)
_ACTION_DOC = (
    " Send the acting agent's id in X-Agent-Id. Refusals: 404 assignment_not_found,"
    " 403 unknown_agent / not_your_assignment, 409 invalid_state (the message names the"
    " current state)."
)


@router.post(
    "/assignments/{assignment_id}/accept",
    response_model=AssignmentView,
    tags=["agent work"],
    summary="Accept: the first response (assigned → accepted)",
    description="Stops the response clock." + _ACTION_DOC,
    responses=_ACTION_ERRORS,
    dependencies=[Depends(_agents)],
)
async def accept(
    assignment_id: uuid.UUID,
    x_agent_id: uuid.UUID = AGENT_ID_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Assignment:
    assignment = await agent_work.accept(uow, assignment_id, x_agent_id)
    await uow.commit()
    return assignment


@router.post(
    "/assignments/{assignment_id}/progress",
    response_model=AssignmentView,
    tags=["agent work"],
    summary="Add a progress note, internal or customer-visible, or ask a collaborator",
    description="Customer-visible notes count as the daily update." + _ACTION_DOC,
    responses=_ACTION_ERRORS,
    dependencies=[Depends(_agents)],
)
async def progress(
    assignment_id: uuid.UUID,
    body: ProgressBody,
    x_agent_id: uuid.UUID = AGENT_ID_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Assignment:
    assignment = await agent_work.note_progress(uow, assignment_id, x_agent_id, **body.model_dump())
    await uow.commit()
    return assignment


@router.post(
    "/assignments/{assignment_id}/waiting_on_customer",
    response_model=AssignmentView,
    tags=["agent work"],
    summary="Wait on the customer: pauses the clock (accepted → waiting_on_customer)",
    description="Emits ticket.progress_noted with waiting_on_customer=true." + _ACTION_DOC,
    responses=_ACTION_ERRORS,
    dependencies=[Depends(_agents)],
)
async def waiting_on_customer(
    assignment_id: uuid.UUID,
    body: WaitingBody | None = None,
    x_agent_id: uuid.UUID = AGENT_ID_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Assignment:
    body = body or WaitingBody()
    assignment = await agent_work.wait_on_customer(
        uow, assignment_id, x_agent_id, waiting=True, **body.model_dump()
    )
    await uow.commit()
    return assignment


@router.post(
    "/assignments/{assignment_id}/resume",
    response_model=AssignmentView,
    tags=["agent work"],
    summary="Resume after waiting on the customer (waiting_on_customer → accepted)",
    description="Emits ticket.progress_noted with waiting_on_customer=false." + _ACTION_DOC,
    responses=_ACTION_ERRORS,
    dependencies=[Depends(_agents)],
)
async def resume(
    assignment_id: uuid.UUID,
    body: WaitingBody | None = None,
    x_agent_id: uuid.UUID = AGENT_ID_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Assignment:
    body = body or WaitingBody()
    assignment = await agent_work.wait_on_customer(
        uow, assignment_id, x_agent_id, waiting=False, **body.model_dump()
    )
    await uow.commit()
    return assignment


@router.post(
    "/assignments/{assignment_id}/transfer",
    response_model=AssignmentView,
    tags=["agent work"],
    summary="Transfer to a team (its free agent or queue) or to a named agent, with a reason",
    description=(
        "Frees the agent's capacity, which drains their team's queue at once. Also refused:"
        " 404 team_not_found / agent_not_found, 409 agent_unavailable / agent_at_capacity,"
        " 422 invalid_transfer." + _ACTION_DOC
    ),
    responses=_ACTION_ERRORS,
    dependencies=[Depends(_agents)],
)
async def transfer(
    assignment_id: uuid.UUID,
    body: TransferBody,
    x_agent_id: uuid.UUID = AGENT_ID_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(_settings),
) -> Assignment:
    assignment = await agent_work.transfer(
        uow,
        assignment_id,
        x_agent_id,
        **body.model_dump(),
        min_level=settings.min_skill_level_p0_vip,
    )
    await uow.commit()
    return assignment


@router.post(
    "/assignments/{assignment_id}/escalate",
    response_model=AssignmentView,
    tags=["agent work"],
    summary="Escalate to the team's supervisor (lands in their inbox)",
    description=_ACTION_DOC,
    responses=_ACTION_ERRORS,
    dependencies=[Depends(_agents)],
)
async def escalate(
    assignment_id: uuid.UUID,
    body: EscalateBody,
    x_agent_id: uuid.UUID = AGENT_ID_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Assignment:
    assignment = await agent_work.escalate(uow, assignment_id, x_agent_id, reason=body.reason)
    await uow.commit()
    return assignment


@router.post(
    "/assignments/{assignment_id}/resolve",
    response_model=AssignmentView,
    tags=["agent work"],
    summary="Resolve with a resolution code and a public reply (accepted → resolved)",
    description=(
        "Frees the agent's capacity, which drains the team's queue at once. Approved"
        " compensations are part of the resolution; 409 compensation_pending while one waits"
        " for the supervisor." + _ACTION_DOC
    ),
    responses=_ACTION_ERRORS,
    dependencies=[Depends(_agents)],
)
async def resolve(
    assignment_id: uuid.UUID,
    body: ResolveBody,
    x_agent_id: uuid.UUID = AGENT_ID_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(_settings),
) -> Assignment:
    assignment = await agent_work.resolve(
        uow,
        assignment_id,
        x_agent_id,
        **body.model_dump(),
        min_level=settings.min_skill_level_p0_vip,
    )
    await uow.commit()
    return assignment


@router.post(
    "/assignments/{assignment_id}/visit",
    response_model=AssignmentView,
    tags=["agent work"],
    summary="Book an on-site visit: an appointment window within 48 h (seed 000)",
    description=(
        "For fault and after-sales tickets in work. Emits a customer-visible"
        " ticket.progress_noted with visit_from/visit_until. Also refused: 409"
        " visit_not_applicable, 422 visit_too_late / invalid_visit_window / visit_in_the_past."
        + _ACTION_DOC
    ),
    responses=_ACTION_ERRORS,
    dependencies=[Depends(_agents)],
)
async def book_visit(
    assignment_id: uuid.UUID,
    body: VisitBody | None = None,
    x_agent_id: uuid.UUID = AGENT_ID_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(_settings),
) -> Assignment:
    body = body or VisitBody()
    assignment = await agent_work.book_visit(
        uow,
        assignment_id,
        x_agent_id,
        **body.model_dump(),
        within_hours=settings.visit_within_hours,
    )
    await uow.commit()
    return assignment


@router.get(
    "/queue",
    response_model=list[AssignmentView],
    tags=["assignments"],
    summary="Tickets waiting for an agent, in serving order (priority, then deadline)",
    responses=error_responses(401, 403, 422),
    dependencies=[_readers],
)
async def get_queue(
    team: str | None = Query(default=None, examples=["logistics"]),
    limit: int = Query(default=100, ge=1, le=1000),
    session: AsyncSession = Depends(read_session),
) -> Sequence[Assignment]:
    return await repository.queue(session, team, limit)


# --------------------------------------------------------------------------- compensation


@router.post(
    "/assignments/{assignment_id}/compensations",
    response_model=CompensationView,
    status_code=201,
    tags=["compensation"],
    summary="Propose a coupon, refund, extended warranty or free repair",
    description=(
        "At or below the kind's threshold (setting compensation_thresholds) it is approved at"
        " once; above it, it waits (pending) for the team's supervisor." + _ACTION_DOC
    ),
    responses=_ACTION_ERRORS,
    dependencies=[Depends(_agents)],
)
async def request_compensation(
    assignment_id: uuid.UUID,
    body: CompensationCreate,
    x_agent_id: uuid.UUID = AGENT_ID_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(_settings),
) -> Compensation:
    comp = await compensation.request_compensation(
        uow,
        assignment_id,
        x_agent_id,
        **body.model_dump(),
        thresholds=settings.compensation_thresholds,
    )
    await uow.commit()
    return comp


@router.get(
    "/compensations",
    response_model=list[CompensationView],
    tags=["compensation"],
    summary="Compensations, newest first",
    responses=error_responses(401, 403, 422),
    dependencies=[_readers],
)
async def list_compensations(
    team: str | None = Query(default=None, examples=["finance"]),
    state: str | None = Query(default=None, examples=["pending"]),
    limit: int = Query(default=100, ge=1, le=1000),
    session: AsyncSession = Depends(read_session),
) -> Sequence[Compensation]:
    return await repository.compensations(session, team=team, state=state, limit=limit)


_DECISION_DOC = (
    "By the team's supervisor (X-Supervisor) or an admin. Refusals: 404"
    " compensation_not_found, 403 not_team_supervisor, 409 invalid_state (already decided)."
)


@router.post(
    "/compensations/{compensation_id}/approve",
    response_model=CompensationView,
    tags=["compensation"],
    summary="Approve a pending compensation",
    description=_DECISION_DOC,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def approve(
    compensation_id: uuid.UUID,
    body: DecisionBody | None = None,
    principal: Principal = Depends(_supervisors),
    x_supervisor: str | None = SUPERVISOR_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Compensation:
    comp = await compensation.decide_compensation(
        uow,
        compensation_id,
        approve=True,
        supervisor=_supervisor(principal, x_supervisor),
        reason=body.reason if body else None,
    )
    await uow.commit()
    return comp


@router.post(
    "/compensations/{compensation_id}/reject",
    response_model=CompensationView,
    tags=["compensation"],
    summary="Reject a pending compensation (a reason is required)",
    description=_DECISION_DOC,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
async def reject(
    compensation_id: uuid.UUID,
    body: RejectBody,
    principal: Principal = Depends(_supervisors),
    x_supervisor: str | None = SUPERVISOR_HEADER,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Compensation:
    comp = await compensation.decide_compensation(
        uow,
        compensation_id,
        approve=False,
        supervisor=_supervisor(principal, x_supervisor),
        reason=body.reason,
    )
    await uow.commit()
    return comp


# --------------------------------------------------------------------------- supervisor


@router.get(
    "/supervisor/inbox",
    response_model=InboxView,
    tags=["supervisor"],
    summary="A supervisor's inbox: escalations, P0/P1 reports, SLA warnings/breaches, approvals",
    description=(
        "`team` picks the team; without it, the teams of the X-Supervisor header, or every"
        " team. With X-Supervisor, a team of another supervisor is refused (403"
        " not_team_supervisor)."
    ),
    responses=error_responses(401, 403, 404, 422),
)
async def inbox(
    team: str | None = Query(default=None, examples=["tech_support"]),
    limit: int = Query(default=100, ge=1, le=1000),
    principal: Principal = Depends(_supervisors),
    x_supervisor: str | None = SUPERVISOR_HEADER,
    session: AsyncSession = Depends(read_session),
) -> dict[str, Any]:
    teams = await repository.teams_by_key(session)
    if team is not None:
        if team not in teams:
            raise ApiError(404, "team_not_found", f"No team with key {team}.")
        roster.check_supervisor(teams[team], x_supervisor)
        keys = [team]
    elif x_supervisor:
        keys = sorted(k for k, t in teams.items() if t.supervisor == x_supervisor)
    else:
        keys = sorted(teams)
    items = [i for key in keys for i in await repository.supervisor_items(session, key, limit)]
    pending = [
        c
        for key in keys
        for c in await repository.compensations(session, team=key, state="pending", limit=limit)
    ]
    return {
        "teams": keys,
        "escalations": [i for i in items if i.kind == "escalation"],
        "reports": [i for i in items if i.kind == "report"],
        "sla_warnings": [i for i in items if i.kind == "sla_warning"],
        "sla_breaches": [i for i in items if i.kind == "sla_breached"],
        "pending_approvals": pending,
    }
