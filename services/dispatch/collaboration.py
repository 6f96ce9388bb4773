"""A colleague answers an agent's collaborator request; the caller commits."""

from __future__ import annotations

import uuid

from services.dispatch import activity, repository
from services.dispatch.models import Collaboration
from shared.auth import Principal
from shared.errors import ApiError, not_found
from shared.events import CollaborationAnsweredData, TicketCollaborationAnswered, utcnow
from shared.observability import mask_contact
from shared.outbox import UnitOfWork


async def answer(
    uow: UnitOfWork, collaboration_id: uuid.UUID, principal: Principal, text: str
) -> Collaboration:
    """The asked colleague (the agent of that name, someone of that team), the team's
    supervisor or an admin answers once; the answer joins the ticket's thread."""
    asked = await repository.lock_collaboration(uow.session, collaboration_id)
    if asked is None:
        raise not_found("collaboration", collaboration_id)
    if not await _may_answer(uow, asked, principal):
        raise ApiError(
            403,
            "not_the_collaborator",
            f"The request was addressed to {asked.collaborator}, not to you.",
        )
    if asked.answered_at is not None:
        raise ApiError(
            409,
            "already_answered",
            f"{asked.answered_by_name} answered this request already.",
            details={"answered_at": asked.answered_at.isoformat()},
        )
    now = utcnow()
    asked.answer = mask_contact(text)
    asked.answered_by, asked.answered_by_name = principal.actor, principal.actor_name[:100]
    asked.answered_at = now
    activity.record(
        uow,
        ticket_id=asked.ticket_id,
        assignment_id=asked.assignment_id,
        kind="collaborator_answer",
        actor=(principal.actor, principal.actor_name),
        text=text,
        data={"collaboration_id": str(asked.id), "collaborator": asked.collaborator},
        at=now,
    )
    # Other workspace processes learn of it from the event (the thread line above is
    # recorded here: activity's ``on_emit`` words no line for this type).
    assignment = await repository.get_assignment(uow.session, asked.assignment_id)
    uow.emit(
        TicketCollaborationAnswered(
            ticket_id=asked.ticket_id,
            data=CollaborationAnsweredData(
                assignment_id=asked.assignment_id,
                agent_id=asked.asked_by,
                at=now,
                actor=principal.actor,
                actor_name=principal.actor_name[:100],
                collaboration_id=asked.id,
                collaborator=asked.collaborator,
                team=assignment.team_key if assignment is not None else None,
                answer=asked.answer,
            ),
        )
    )
    return asked


async def _may_answer(uow: UnitOfWork, asked: Collaboration, principal: Principal) -> bool:
    if principal.is_admin:
        return True
    person = principal.person
    if person is None:
        return False
    if asked.collaborator in person.teams or asked.collaborator in person.supervises:
        return True
    agent = await repository.get_agent(uow.session, person.person_id)
    if agent is not None and asked.collaborator in (agent.name, agent.team_key):
        return True
    return asked.collaborator in (person.login, person.display_name)
