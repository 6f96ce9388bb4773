"""Agent actions on an assignment (accept, progress, wait, escalate, resolve, transfer,
visit); the caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.dispatch import domain, repository
from services.dispatch.models import Agent, Assignment, Collaboration
from services.dispatch.people.models import name_of
from services.dispatch.roster import existing_team
from services.dispatch.routing import (
    DEFAULT_MIN_LEVEL,
    Pool,
    check_can_take,
    drain,
    give_to,
    lock_seen,
    note_for_supervisor,
    queue,
    release,
)
from shared.errors import ApiError, not_found
from shared.events import (
    AgentActionData,
    EscalatedData,
    ProgressNotedData,
    ResolvedData,
    TicketAccepted,
    TicketEscalated,
    TicketProgressNoted,
    TicketResolved,
    TicketTransferred,
    TransferredData,
    utcnow,
)
from shared.observability import mask_contact
from shared.outbox import UnitOfWork

# --------------------------------------------------------------------------- agent actions


@dataclass
class Acting:
    assignment: Assignment
    agent: Agent
    pool: Pool


async def lock_for_action(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    action: str,
    *,
    more_teams: Iterable[str] = (),
    more_agents: Iterable[uuid.UUID] = (),
    min_level: int = DEFAULT_MIN_LEVEL,
    expected_version: int | None = None,
) -> Acting:
    """Lock what an action touches and check the agent may do it in this state (and, with
    ``expected_version``, that the assignment did not change since the agent saw it)."""
    session = uow.session
    seen = await repository.get_assignment(session, assignment_id)
    if seen is None:
        raise not_found("assignment", assignment_id)
    pool, assignment = await lock_seen(
        uow, seen, teams=more_teams, agents=[agent_id, *more_agents], min_level=min_level
    )
    agent = pool.agents.get(agent_id)
    if agent is None:
        raise ApiError(403, "unknown_agent", f"No agent with id {agent_id}.")
    check_version(assignment, expected_version)
    _check_holder(assignment, agent_id, action)
    # The agent acts on the ticket: they have seen the customer's reply.
    assignment.customer_replied_at = None
    return Acting(assignment, agent, pool)


def check_version(assignment: Assignment, expected_version: int | None) -> None:
    """A page acting on what it saw: refused when the assignment changed since (which is
    also how a repeated action is not applied twice)."""
    if expected_version is not None and expected_version != assignment.version:
        raise ApiError(
            409,
            "stale_assignment",
            f"Assignment {assignment.id} changed meanwhile (version {assignment.version},"
            f" not {expected_version}); reload it and try again.",
            details={"version": assignment.version, "state": assignment.state},
        )


def _check_holder(assignment: Assignment, agent_id: uuid.UUID, action: str) -> None:
    if assignment.agent_id != agent_id:
        raise ApiError(
            403,
            "not_your_assignment",
            f"Assignment {assignment.id} is {assignment.state} and not held by agent {agent_id}.",
            details={"state": assignment.state},
        )
    refusal = domain.action_refusal(action, assignment.state)
    if refusal is not None:
        raise ApiError(409, "invalid_state", refusal, details={"state": assignment.state})


def _data(acting: Acting) -> dict[str, Any]:
    # The acting agent is the signed-in person (one id): the audit names them.
    return {
        "assignment_id": acting.assignment.id,
        "agent_id": acting.agent.id,
        "at": utcnow(),
        "actor": f"person:{acting.agent.id}",
        "actor_name": name_of(acting.agent),
    }


async def accept(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    expected_version: int | None = None,
) -> Assignment:
    """The agent's first response."""
    acting = await lock_for_action(
        uow, assignment_id, agent_id, "accept", expected_version=expected_version
    )
    a = acting.assignment
    data = AgentActionData(**_data(acting))
    a.state, a.accepted_at, a.updated_at = domain.ACCEPTED, data.at, data.at
    uow.emit(TicketAccepted(ticket_id=a.ticket_id, data=data))
    return a


async def note_progress(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    note: str,
    customer_visible: bool,
    collaborator: str | None = None,
    expected_version: int | None = None,
) -> Assignment:
    acting = await lock_for_action(
        uow, assignment_id, agent_id, "progress", expected_version=expected_version
    )
    a = acting.assignment
    extra: dict[str, Any] = {}
    if collaborator:
        # The request waits for the colleague's answer (POST /collaborations/{id}/answer).
        asked = Collaboration(
            id=uuid.uuid4(),
            ticket_id=a.ticket_id,
            assignment_id=a.id,
            asked_by=agent_id,
            collaborator=collaborator,
            question=mask_contact(note),
            created_at=utcnow(),
        )
        repository.add(uow.session, asked)
        extra["collaboration_id"] = str(asked.id)
    data = ProgressNotedData(
        **_data(acting),
        note=note,
        customer_visible=customer_visible,
        collaborator=collaborator,
        **extra,
    )
    _progress_noted(uow, a, data)
    return a


def _progress_noted(uow: UnitOfWork, a: Assignment, data: ProgressNotedData) -> None:
    """Emit a progress note; a customer-visible one is the day's update, so the agent's
    reminder is done."""
    a.updated_at = data.at
    if data.customer_visible:
        a.update_due_at = None
    uow.emit(TicketProgressNoted(ticket_id=a.ticket_id, data=data))


async def wait_on_customer(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    waiting: bool,
    note: str | None = None,
    customer_visible: bool = False,
    expected_version: int | None = None,
) -> Assignment:
    """Pause (``waiting``) or resume the clock while the customer owes an answer."""
    acting = await lock_for_action(
        uow,
        assignment_id,
        agent_id,
        "waiting_on_customer" if waiting else "resume",
        expected_version=expected_version,
    )
    a = acting.assignment
    default = "等待客户回复 waiting on the customer" if waiting else "客户已回复 resumed"
    data = ProgressNotedData(
        **_data(acting),
        note=note or default,
        customer_visible=customer_visible,
        waiting_on_customer=waiting,
    )
    a.state = domain.WAITING if waiting else domain.ACCEPTED
    _progress_noted(uow, a, data)
    return a


async def escalate(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    reason: str,
    expected_version: int | None = None,
) -> Assignment:
    acting = await lock_for_action(
        uow, assignment_id, agent_id, "escalate", expected_version=expected_version
    )
    a = acting.assignment
    team = acting.pool.teams.get(a.team_key)
    data = EscalatedData(
        **_data(acting), reason=reason, supervisor=team.supervisor if team else None
    )
    a.escalated, a.updated_at = True, data.at
    note_for_supervisor(
        uow,
        a,
        "escalation",
        f"{name_of(acting.agent)} escalated {a.ticket_no}: {reason}",
        agent=acting.agent,
        text=reason,
    )
    uow.emit(TicketEscalated(ticket_id=a.ticket_id, data=data))
    return a


async def resolve(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    resolution_code: str,
    public_reply: str,
    min_level: int = DEFAULT_MIN_LEVEL,
    expected_version: int | None = None,
) -> Assignment:
    """Resolve with a code and a public reply; the agent's capacity goes to the queue at once."""
    acting = await lock_for_action(
        uow,
        assignment_id,
        agent_id,
        "resolve",
        min_level=min_level,
        expected_version=expected_version,
    )
    a = acting.assignment
    comps = await repository.compensations(uow.session, assignment_id=a.id, limit=1000)
    if any(c.state == "pending" for c in comps):
        raise ApiError(
            409,
            "compensation_pending",
            "A compensation of this assignment waits for the supervisor; resolve after it is"
            " approved or rejected.",
        )
    data = ResolvedData(
        **_data(acting),
        resolution_code=resolution_code,
        public_reply=public_reply,
        compensations=[
            {"compensation_id": str(c.id), "kind": c.kind, "amount": c.amount}
            for c in comps
            if c.state == "approved"
        ],
    )
    release(acting.pool, a)
    a.state, a.resolved_at, a.updated_at = domain.RESOLVED, data.at, data.at
    # Stored as the thread shows it: contacts masked (issue 16); the customer gets the
    # reply through intake, which has the contacts.
    a.resolution_code, a.public_reply = resolution_code, mask_contact(public_reply)
    a.update_due_at = None
    uow.emit(TicketResolved(ticket_id=a.ticket_id, data=data))
    await drain(uow, acting.pool, [a.team_key])
    return a


async def transfer(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    reason: str,
    to_team: str | None = None,
    to_agent_id: uuid.UUID | None = None,
    min_level: int = DEFAULT_MIN_LEVEL,
    expected_version: int | None = None,
) -> Assignment:
    """Move the ticket to another team (its queue or a free agent) or to a named agent."""
    session = uow.session
    # Whose and in what state first (checked again under the locks), then the target.
    seen = await repository.get_assignment(session, assignment_id)
    if seen is None:
        raise not_found("assignment", assignment_id)
    if await repository.get_agent(session, agent_id) is None:
        raise ApiError(403, "unknown_agent", f"No agent with id {agent_id}.")
    check_version(seen, expected_version)
    _check_holder(seen, agent_id, "transfer")
    if to_agent_id is not None:
        target = await repository.get_agent(session, to_agent_id)
        if target is None:
            raise not_found("agent", to_agent_id)
        if to_team is not None and to_team != target.team_key:
            raise ApiError(
                422,
                "invalid_transfer",
                f"Agent {to_agent_id} is in team {target.team_key}, not {to_team}.",
            )
        to_team = target.team_key
    if to_team is None:
        raise ApiError(422, "invalid_transfer", "Name a team (to_team) or an agent (to_agent_id).")
    await existing_team(session, to_team)
    acting = await lock_for_action(
        uow,
        assignment_id,
        agent_id,
        "transfer",
        more_teams=[to_team],
        more_agents=[to_agent_id] if to_agent_id else [],
        min_level=min_level,
        expected_version=expected_version,
    )
    a, pool = acting.assignment, acting.pool
    if to_agent_id == agent_id:
        raise ApiError(409, "invalid_transfer", "The ticket is already yours.")
    chosen: Agent | None = None
    if to_agent_id is not None:
        chosen = pool.agents[to_agent_id]
        check_can_take(pool, chosen, a)
    from_team = a.team_key
    data = TransferredData(**_data(acting), reason=reason, to_team=to_team, to_agent_id=to_agent_id)
    release(pool, a)
    uow.emit(TicketTransferred(ticket_id=a.ticket_id, data=data))
    a.team_key = to_team
    a.state = domain.QUEUED
    a.agent_id = None
    if chosen is None:
        chosen = pool.pick(a, exclude=agent_id)
    if chosen is None:
        queue(uow, a, None, reason=f"transferred: {reason}")
    else:
        give_to(uow, pool, a, chosen, None, reason="transferred")
    await drain(uow, pool, {from_team, to_team}, skip=frozenset({a.id}))
    return a


async def book_visit(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    window_start: datetime | None,
    window_end: datetime | None,
    note: str | None,
    within_hours: int,
    expected_version: int | None = None,
) -> Assignment:
    """Book an on-site visit: an appointment window ending within ``within_hours`` (48 h)."""
    acting = await lock_for_action(
        uow, assignment_id, agent_id, "visit", expected_version=expected_version
    )
    a = acting.assignment
    if a.category not in domain.VISIT_CATEGORIES:
        raise ApiError(
            409,
            "visit_not_applicable",
            f"A {a.category} ticket gets no on-site visit; only {sorted(domain.VISIT_CATEGORIES)}.",
        )
    try:
        start, end = domain.visit_window(utcnow(), window_start, window_end, within_hours)
    except domain.InvalidVisit as exc:
        raise ApiError(422, exc.code, str(exc)) from exc
    a.visit_from, a.visit_until = start, end
    # Intake words the window for the customer in local time; the note only adds to it.
    data = ProgressNotedData(
        **_data(acting),
        note=note or "",
        customer_visible=True,
        visit_from=start,
        visit_until=end,
    )
    _progress_noted(uow, a, data)
    return a
