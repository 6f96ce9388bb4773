"""Routes for supervisors acting on tickets (reassign, take over), their inbox items, and
agents' requests for more time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import repository, supervision
from services.dispatch.api.common import (
    ACTING_AGENT,
    PAGE_LIMIT,
    READERS,
    SUPERVISORS,
    agent_action,
    committed,
    router,
    settings_of,
)
from services.dispatch.models import Assignment, ExtensionRequest, SupervisorItem
from services.dispatch.schemas import AssignmentView
from services.dispatch.settings import DispatchSettings
from services.dispatch.supervision_schemas import (
    ExtensionCreate,
    ExtensionDecisionBody,
    ExtensionRequestView,
    InboxItemView,
    InboxNoteBody,
    ReassignBody,
    TakeOverBody,
)
from shared.auth import Principal
from shared.errors import error_responses
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork

_BY_SUPERVISOR = (
    " By a signed-in supervisor of the ticket's team, or an admin (403 person_required /"
    " not_team_supervisor); 404 assignment_not_found; 409 invalid_state (resolved),"
    " stale_assignment (`expected_version` given and the assignment changed since),"
    " concurrent_change."
)
SUPERVISOR_ERRORS = error_responses(401, 403, 404, 409, 422)


@router.post(
    "/assignments/{assignment_id}/reassign",
    response_model=AssignmentView,
    tags=["supervisor"],
    summary="Reassign a ticket to another agent of the team, with a reason",
    description=(
        "The agent must be in the ticket's team (422 agent_not_in_team), enabled (409"
        " agent_disabled), online, on shift and with room as routing requires (409"
        " agent_unavailable / agent_off_shift / agent_at_capacity), not already the holder"
        " (409 already_assigned; 404"
        " agent_not_found). The ticket is assigned to them anew (they accept it); the"
        " previous holder's capacity drains the queue. Emits ticket.assigned (reason"
        " reassigned, with the actor)." + _BY_SUPERVISOR
    ),
    responses=SUPERVISOR_ERRORS,
)
async def reassign(
    assignment_id: uuid.UUID,
    body: ReassignBody,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Assignment:
    by = supervision.Supervisor.of(principal)
    level = settings.min_skill_level_p0_vip
    moved = supervision.reassign(uow, assignment_id, by, **body.model_dump(), min_level=level)
    return await committed(uow, moved)


@router.post(
    "/assignments/{assignment_id}/take-over",
    response_model=AssignmentView,
    tags=["supervisor"],
    summary="Take a ticket over: the supervisor becomes the assignee",
    description=(
        "A supervisor without an agent of their own gets one in the team, away (routing"
        " never hands them tickets by itself); no capacity limit applies. Emits"
        " ticket.assigned (reason taken_over, with the actor)." + _BY_SUPERVISOR
    ),
    responses=SUPERVISOR_ERRORS,
)
async def take_over(
    assignment_id: uuid.UUID,
    body: TakeOverBody,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Assignment:
    level = settings.min_skill_level_p0_vip
    fields = body.model_dump()
    taken = supervision.take_over(uow, assignment_id, principal, **fields, min_level=level)
    return await committed(uow, taken)


async def _close_item(
    uow: UnitOfWork,
    item_id: uuid.UUID,
    principal: Principal,
    body: InboxNoteBody | None,
    *,
    state: str,
) -> SupervisorItem:
    """An inbox item handled or dismissed, with the note if one came."""
    note = body.note if body else None
    by = supervision.Supervisor.of(principal)
    return await committed(uow, supervision.close_item(uow, item_id, by, state=state, note=note))


_ITEM_DOC = (
    "Once, with an optional note; the actor is recorded (`closed_by`, `closed_by_name`)."
    " By a signed-in supervisor of the item's team, or an admin. Refusals: 404"
    " inbox_item_not_found, 403 person_required / not_team_supervisor, 409 invalid_state"
    " (closed already)"
)


@router.post(
    "/supervisor/inbox/{item_id}/handle",
    response_model=InboxItemView,
    tags=["supervisor"],
    summary="Mark an inbox item handled",
    description=_ITEM_DOC + ", 409 extension_pending (grant or refuse the request instead).",
    responses=SUPERVISOR_ERRORS,
)
async def handle_item(
    item_id: uuid.UUID,
    body: InboxNoteBody | None = None,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> SupervisorItem:
    return await _close_item(uow, item_id, principal, body, state="handled")


@router.post(
    "/supervisor/inbox/{item_id}/dismiss",
    response_model=InboxItemView,
    tags=["supervisor"],
    summary="Dismiss an inbox item (nothing to do)",
    description=_ITEM_DOC + ".",
    responses=SUPERVISOR_ERRORS,
)
async def dismiss_item(
    item_id: uuid.UUID,
    body: InboxNoteBody | None = None,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> SupervisorItem:
    return await _close_item(uow, item_id, principal, body, state="dismissed")


@agent_action(
    "extension-requests",
    response_model=ExtensionRequestView,
    status_code=201,
    summary="Ask the supervisor for more time on the resolution (seed 002)",
    description=(
        "提前4小时上报客服主管,说明原因并申请延期: the request lands in the supervisor's inbox;"
        " one pending request per ticket (409 extension_pending)."
    ),
)
async def request_extension(
    assignment_id: uuid.UUID,
    body: ExtensionCreate,
    agent_id: uuid.UUID = ACTING_AGENT,
    uow: UnitOfWork = Depends(unit_of_work),
) -> ExtensionRequest:
    asked = supervision.request_extension(uow, assignment_id, agent_id, **body.model_dump())
    return await committed(uow, asked)


@router.get(
    "/extension-requests",
    response_model=list[ExtensionRequestView],
    tags=["supervisor"],
    summary="Extension requests, newest first",
    responses=error_responses(401, 403, 422),
    dependencies=[READERS],
)
async def list_extension_requests(
    team: str | None = Query(default=None, examples=["tech_support"]),
    state: str | None = Query(default=None, examples=["pending"]),
    limit: int = PAGE_LIMIT,
    session: AsyncSession = Depends(read_session),
) -> Sequence[ExtensionRequest]:
    return await repository.extension_requests(session, team=team, state=state, limit=limit)


async def _decide_extension(
    uow: UnitOfWork,
    request_id: uuid.UUID,
    principal: Principal,
    body: ExtensionDecisionBody | None,
    *,
    grant: bool,
) -> ExtensionRequest:
    """An extension request granted or refused, with the note if one came."""
    note = body.note if body else None
    by = supervision.Supervisor.of(principal)
    decided = supervision.decide_extension(uow, request_id, by, grant=grant, note=note)
    return await committed(uow, decided)


_DECIDE_DOC = (
    " The request's inbox item is handled with the note. By a signed-in supervisor of the"
    " team, or an admin. Refusals: 404 extension_request_not_found, 403 person_required /"
    " not_team_supervisor, 409 invalid_state (decided already, or the ticket is resolved)."
)


@router.post(
    "/extension-requests/{request_id}/grant",
    response_model=ExtensionRequestView,
    tags=["supervisor"],
    summary="Grant more time: the resolution deadline moves",
    description=(
        "Emits ticket.deadline_extended: follow-up moves the resolution clock (its warning"
        " and breach follow), intake tells the customer with its extension notice." + _DECIDE_DOC
    ),
    responses=SUPERVISOR_ERRORS,
)
async def grant_extension(
    request_id: uuid.UUID,
    body: ExtensionDecisionBody | None = None,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> ExtensionRequest:
    return await _decide_extension(uow, request_id, principal, body, grant=True)


@router.post(
    "/extension-requests/{request_id}/refuse",
    response_model=ExtensionRequestView,
    tags=["supervisor"],
    summary="Refuse more time: the deadline stays",
    description="The refusal and its note join the ticket's activity." + _DECIDE_DOC,
    responses=SUPERVISOR_ERRORS,
)
async def refuse_extension(
    request_id: uuid.UUID,
    body: ExtensionDecisionBody | None = None,
    principal: Principal = Depends(SUPERVISORS),
    uow: UnitOfWork = Depends(unit_of_work),
) -> ExtensionRequest:
    return await _decide_extension(uow, request_id, principal, body, grant=False)
