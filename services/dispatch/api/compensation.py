"""Routes for compensations and the supervisor's inbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import compensation, repository, roster
from services.dispatch.api.common import (
    ACTING_AGENT,
    PAGE_LIMIT,
    READERS,
    SUPERVISORS,
    agent_action,
    committed,
    router,
    settings_of,
    supervised,
)
from services.dispatch.models import Compensation
from services.dispatch.schemas import (
    CompensationCreate,
    CompensationView,
    DecisionBody,
    InboxState,
    RejectBody,
)
from services.dispatch.settings import DispatchSettings
from services.dispatch.supervision_schemas import InboxView
from shared.auth import Principal
from shared.errors import error_responses
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork

# --------------------------------------------------------------------------- compensation


@agent_action(
    "compensations",
    response_model=CompensationView,
    status_code=201,
    tags=["compensation"],
    summary="Propose a coupon, refund, extended warranty or free repair",
    description=(
        "At or below the kind's threshold (setting compensation_thresholds) it is approved at"
        " once; above it, it waits (pending) for the team's supervisor."
    ),
)
async def request_compensation(
    assignment_id: uuid.UUID,
    body: CompensationCreate,
    agent_id: uuid.UUID = ACTING_AGENT,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Compensation:
    limits = settings.compensation_thresholds
    asked = compensation.request_compensation(
        uow, assignment_id, agent_id, **body.model_dump(), thresholds=limits
    )
    return await committed(uow, asked)


@router.get(
    "/compensations",
    response_model=list[CompensationView],
    tags=["compensation"],
    summary="Compensations, newest first",
    responses=error_responses(401, 403, 422),
    dependencies=[READERS],
)
async def list_compensations(
    team: str | None = Query(default=None, examples=["finance"]),
    state: str | None = Query(default=None, examples=["pending"]),
    limit: int = PAGE_LIMIT,
    session: AsyncSession = Depends(read_session),
) -> Sequence[Compensation]:
    return await repository.compensations(session, team=team, state=state, limit=limit)


async def _decide(
    uow: UnitOfWork,
    compensation_id: uuid.UUID,
    principal: Principal,
    reason: str | None,
    *,
    approve: bool,
) -> Compensation:
    """A pending compensation approved or rejected by the signed-in supervisor."""
    decided = compensation.decide_compensation(
        uow,
        compensation_id,
        approve=approve,
        supervisor=supervised(principal),
        reason=reason,
        by=principal.actor_name,
        by_actor=principal.actor,
    )
    return await committed(uow, decided)


_DECISION_DOC = (
    "By a signed-in supervisor of the team, or an admin. Refusals: 404"
    " compensation_not_found, 403 person_required / not_team_supervisor, 409 invalid_state"
    " (already decided)."
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
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Compensation:
    reason = body.reason if body else None
    return await _decide(uow, compensation_id, principal, reason, approve=True)


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
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Compensation:
    return await _decide(uow, compensation_id, principal, body.reason, approve=False)


# --------------------------------------------------------------------------- supervisor


@router.get(
    "/supervisor/inbox",
    response_model=InboxView,
    tags=["supervisor"],
    summary="A supervisor's inbox: escalations, P0/P1 reports, SLA warnings/breaches,"
    " approvals, reopened tickets, unsatisfied surveys, extension requests",
    description=(
        "`team` picks the team; without it, the teams the signed-in supervisor supervises"
        " (an admin: every team). A team they do not supervise is refused (403"
        " not_team_supervisor). `state`: open (default), handled or dismissed items"
        " (POST /v1/supervisor/inbox/{item_id}/handle or /dismiss); pending approvals are"
        " listed whatever the state."
    ),
    responses=error_responses(401, 403, 404, 422),
)
async def inbox(
    team: str | None = Query(default=None, examples=["tech_support"]),
    state: InboxState = Query(default="open", examples=["open"]),
    limit: int = PAGE_LIMIT,
    principal: Principal = Depends(SUPERVISORS),
    session: AsyncSession = Depends(read_session),
) -> dict[str, Any]:
    mine = supervised(principal)
    teams = await repository.teams_by_key(session)
    if team is not None:
        if team not in teams:
            raise roster.team_not_found(team)
        roster.check_supervisor(teams[team], mine)
        keys = [team]
    elif mine is not None:
        keys = sorted(k for k in teams if k in mine)
    else:
        keys = sorted(teams)
    items = [
        i for key in keys for i in await repository.supervisor_items(session, key, limit, state)
    ]
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
        "reopened": [i for i in items if i.kind == "reopened"],
        "extension_requests": [i for i in items if i.kind == "extension_request"],
        "unsatisfied_surveys": [i for i in items if i.kind == "unsatisfied_survey"],
        "state": state,
    }
