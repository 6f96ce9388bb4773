"""Routes for a ticket's activity (dispatch's part of the thread) and collaborator answers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fastapi import Depends, Path, Query
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import collaboration, repository
from services.dispatch.api.common import READERS, router
from services.dispatch.models import ActivityEntry, Assignment, Collaboration
from services.dispatch.schemas import ActivityView, CollaborationAnswerBody, CollaborationView
from shared.auth import Principal, require_roles
from shared.errors import ApiError, error_responses, not_found
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork


async def _assignment_of(session: AsyncSession, ticket_ref: str) -> Assignment | None:
    try:
        return await repository.get_assignment_by_ticket(session, uuid.UUID(ticket_ref))
    except ValueError:
        return await repository.assignment_by_ticket_no(session, ticket_ref)


async def _check_reader(session: AsyncSession, principal: Principal, a: Assignment) -> None:
    """People read the tickets of their teams (supervisors: the teams they supervise) and
    the ones they hold or held; keys and admins read every ticket."""
    person = principal.person
    if person is None or principal.is_admin or "viewer" in person.roles:
        return
    if a.team_key in person.teams or a.team_key in person.supervises:
        return
    if person.person_id in (a.agent_id, a.last_agent_id):
        return
    agent = await repository.get_agent(session, person.person_id)
    if agent is not None and agent.team_key == a.team_key:
        return
    raise ApiError(403, "not_your_team", f"Ticket {a.ticket_no} is not of your team.")


@router.get(
    "/tickets/{ticket_ref}/activity",
    response_model=list[ActivityView],
    tags=["activity"],
    summary="Dispatch's part of a ticket's thread: notes, replies, collaborators, system events",
    description=(
        "In time order, each line with who (`actor_id`, `actor_name`) and when; text with"
        " contacts masked. `ticket_ref` is the ticket's id or its number. Agents read their"
        " teams' tickets and those they hold or held (403 not_your_team); 404"
        " ticket_not_found when dispatch does not know the ticket."
    ),
    responses=error_responses(401, 403, 404, 422),
)
async def ticket_activity(
    ticket_ref: str = Path(examples=["T20261202-000001"]),
    limit: int = Query(default=500, ge=1, le=5000),
    principal: Principal = READERS,
    session: AsyncSession = Depends(read_session),
) -> Sequence[ActivityEntry]:
    a = await _assignment_of(session, ticket_ref)
    if a is None:
        raise not_found("ticket", ticket_ref)
    await _check_reader(session, principal, a)
    return await repository.activity_of(session, a.ticket_id, limit)


@router.post(
    "/collaborations/{collaboration_id}/answer",
    response_model=CollaborationView,
    tags=["activity"],
    summary="Answer a collaborator request (the asked colleague)",
    description=(
        "By the person the request names (an agent's name, or someone of the named team),"
        " that team's supervisor, or an admin; once. The answer joins the ticket's activity"
        " (contacts masked) and emits ticket.collaboration_answered (the asking agent as"
        " `agent_id`, who answered as the actor). Refusals: 404 collaboration_not_found, 403"
        " person_required / not_the_collaborator, 409 already_answered."
    ),
    responses=error_responses(401, 403, 404, 409, 422),
)
async def answer_collaboration(
    collaboration_id: uuid.UUID,
    body: CollaborationAnswerBody,
    principal: Principal = Depends(require_roles("agent", "supervisor")),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Collaboration:
    answered = await collaboration.answer(uow, collaboration_id, principal, body.text)
    await uow.commit()
    return answered
