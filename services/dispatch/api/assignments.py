"""Routes for assignments, the agents' actions on them and the queue."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import agent_work, repository
from services.dispatch.api.common import (
    ACTING_AGENT,
    PAGE_LIMIT,
    READERS,
    agent_action,
    committed,
    found_by_id,
    router,
    settings_of,
)
from services.dispatch.models import Assignment
from services.dispatch.schemas import (
    ActionBody,
    AssignmentState,
    AssignmentView,
    EscalateBody,
    ProgressBody,
    ResolveBody,
    TransferBody,
    VisitBody,
    WaitingBody,
    WorkView,
)
from services.dispatch.settings import DispatchSettings
from shared.auth import Principal, require_person
from shared.errors import ApiError, error_responses
from shared.events import utcnow
from shared.http import read_session, unit_of_work
from shared.outbox import UnitOfWork

# --------------------------------------------------------------------------- assignments


@router.get(
    "/assignments",
    response_model=list[AssignmentView],
    tags=["assignments"],
    summary="Assignments, newest first; or a view of an agent's work, soonest deadline first",
    description=(
        "`agent=me` is the signed-in person (403 person_required for a shared key). `view`:"
        " `new` (assigned, not accepted yet), `in_progress` (accepted), `waiting` (on the"
        " customer), `due_soon` (open, a deadline within `due_soon_minutes`, 240 by"
        " default), `breached` (open, past a deadline); the deadline that counts is the"
        " response deadline until accepted, then the resolution deadline. Each item has"
        " `respond_by`, `resolve_by`, `customer_replied_at` and `version`. `ticket` (a"
        " ticket's id) answers that ticket's assignment alone (a list of one, or empty)."
    ),
    responses=error_responses(401, 403, 422),
)
async def list_assignments(
    team: str | None = Query(default=None, examples=["tech_support"]),
    agent: str | None = Query(
        default=None,
        description="An agent's id, or `me`",
        examples=["me"],
        pattern=r"^(me|[0-9a-fA-F-]{32,36})$",
    ),
    state: AssignmentState | None = None,
    view: WorkView | None = Query(default=None, examples=["due_soon"]),
    ticket: uuid.UUID | None = Query(
        default=None,
        description="A ticket's id: its assignment only (one ticket has one assignment)",
        examples=["6f1c2a9e-0b7d-4c1e-9a55-3f2d8e7b1c40"],
    ),
    limit: int = PAGE_LIMIT,
    principal: Principal = READERS,
    session: AsyncSession = Depends(read_session),
    settings: DispatchSettings = Depends(settings_of),
) -> Sequence[Assignment]:
    agent_id: uuid.UUID | None = None
    if agent == "me":
        agent_id = require_person(principal).person_id
    elif agent is not None:
        try:
            agent_id = uuid.UUID(agent)
        except ValueError:
            raise ApiError(422, "validation_error", f"agent: not an id or me: {agent}") from None
    return await repository.list_assignments(
        session,
        team=team,
        agent=agent_id,
        state=state,
        limit=limit,
        view=view,
        ticket=ticket,
        now=utcnow(),
        due_soon=timedelta(minutes=settings.due_soon_minutes),
    )


@router.get(
    "/assignments/{assignment_id}",
    response_model=AssignmentView,
    tags=["assignments"],
    summary="One assignment",
    responses=error_responses(401, 403, 404),
    dependencies=[READERS],
)
async def get_assignment(
    assignment_id: str, session: AsyncSession = Depends(read_session)
) -> Assignment:
    return await found_by_id(session, "assignment", assignment_id, repository.get_assignment)


@agent_action(
    "accept",
    summary="Accept: the first response (assigned → accepted)",
    description="Stops the response clock.",
)
async def accept(
    assignment_id: uuid.UUID,
    body: ActionBody | None = None,
    agent_id: uuid.UUID = ACTING_AGENT,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Assignment:
    version = body.expected_version if body else None
    return await committed(
        uow, agent_work.accept(uow, assignment_id, agent_id, expected_version=version)
    )


@agent_action(
    "progress",
    summary="Add a progress note, internal or customer-visible, or ask a collaborator",
    description="Customer-visible notes count as the daily update.",
)
async def progress(
    assignment_id: uuid.UUID,
    body: ProgressBody,
    agent_id: uuid.UUID = ACTING_AGENT,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Assignment:
    noted = agent_work.note_progress(uow, assignment_id, agent_id, **body.model_dump())
    return await committed(uow, noted)


async def _wait_on_customer(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    body: WaitingBody | None,
    *,
    waiting: bool,
) -> Assignment:
    """Both ways of the customer clock (wait, resume), with or without a note."""
    fields = (body or WaitingBody()).model_dump()
    return await committed(
        uow,
        agent_work.wait_on_customer(uow, assignment_id, agent_id, waiting=waiting, **fields),
    )


@agent_action(
    "waiting_on_customer",
    summary="Wait on the customer: pauses the clock (accepted → waiting_on_customer)",
    description="Emits ticket.progress_noted with waiting_on_customer=true.",
)
async def waiting_on_customer(
    assignment_id: uuid.UUID,
    body: WaitingBody | None = None,
    agent_id: uuid.UUID = ACTING_AGENT,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Assignment:
    return await _wait_on_customer(uow, assignment_id, agent_id, body, waiting=True)


@agent_action(
    "resume",
    summary="Resume after waiting on the customer (waiting_on_customer → accepted)",
    description="Emits ticket.progress_noted with waiting_on_customer=false.",
)
async def resume(
    assignment_id: uuid.UUID,
    body: WaitingBody | None = None,
    agent_id: uuid.UUID = ACTING_AGENT,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Assignment:
    return await _wait_on_customer(uow, assignment_id, agent_id, body, waiting=False)


@agent_action(
    "transfer",
    summary="Transfer to a team (its free agent or queue) or to a named agent, with a reason",
    description=(
        "Frees the agent's capacity, which drains their team's queue at once. Also refused:"
        " 404 team_not_found / agent_not_found, 409 agent_unavailable / agent_at_capacity,"
        " 422 invalid_transfer."
    ),
)
async def transfer(
    assignment_id: uuid.UUID,
    body: TransferBody,
    agent_id: uuid.UUID = ACTING_AGENT,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Assignment:
    level = settings.min_skill_level_p0_vip
    moved = agent_work.transfer(uow, assignment_id, agent_id, **body.model_dump(), min_level=level)
    return await committed(uow, moved)


@agent_action("escalate", summary="Escalate to the team's supervisor (lands in their inbox)")
async def escalate(
    assignment_id: uuid.UUID,
    body: EscalateBody,
    agent_id: uuid.UUID = ACTING_AGENT,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Assignment:
    raised = agent_work.escalate(uow, assignment_id, agent_id, **body.model_dump())
    return await committed(uow, raised)


@agent_action(
    "resolve",
    summary="Resolve with a resolution code and a public reply (accepted → resolved)",
    description=(
        "Frees the agent's capacity, which drains the team's queue at once. Approved"
        " compensations are part of the resolution; 409 compensation_pending while one waits"
        " for the supervisor."
    ),
)
async def resolve(
    assignment_id: uuid.UUID,
    body: ResolveBody,
    agent_id: uuid.UUID = ACTING_AGENT,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Assignment:
    level = settings.min_skill_level_p0_vip
    done = agent_work.resolve(uow, assignment_id, agent_id, **body.model_dump(), min_level=level)
    return await committed(uow, done)


@agent_action(
    "visit",
    summary="Book an on-site visit: an appointment window within 48 h (seed 000)",
    description=(
        "For fault and after-sales tickets in work. Emits a customer-visible"
        " ticket.progress_noted with visit_from/visit_until. Also refused: 409"
        " visit_not_applicable, 422 visit_too_late / invalid_visit_window / visit_in_the_past."
    ),
)
async def book_visit(
    assignment_id: uuid.UUID,
    body: VisitBody | None = None,
    agent_id: uuid.UUID = ACTING_AGENT,
    uow: UnitOfWork = Depends(unit_of_work),
    settings: DispatchSettings = Depends(settings_of),
) -> Assignment:
    fields = (body or VisitBody()).model_dump()
    hours = settings.visit_within_hours
    booked = agent_work.book_visit(uow, assignment_id, agent_id, **fields, within_hours=hours)
    return await committed(uow, booked)


@router.get(
    "/queue",
    response_model=list[AssignmentView],
    tags=["assignments"],
    summary="Tickets waiting for an agent, in serving order (priority, then deadline)",
    responses=error_responses(401, 403, 422),
    dependencies=[READERS],
)
async def get_queue(
    team: str | None = Query(default=None, examples=["logistics"]),
    limit: int = PAGE_LIMIT,
    session: AsyncSession = Depends(read_session),
) -> Sequence[Assignment]:
    return await repository.queue(session, team, limit)
