"""Dispatch's use cases; the caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.dispatch import domain, repository
from services.dispatch.models import Agent, Assignment
from shared.events import (
    TicketAssigned,
    TicketAssignedData,
    TicketQueued,
    TicketQueuedData,
    TicketTriaged,
    WorkOrderData,
    WorkOrderIssued,
    utcnow,
)
from shared.outbox import UnitOfWork


async def dispatch_tickets(uow: UnitOfWork, events: Sequence[TicketTriaged]) -> list[Assignment]:
    """Assign triaged tickets to agents of their teams, or queue them; never a ticket twice."""
    ids = [e.ticket_id for e in events if e.ticket_id is not None]
    seen = await repository.assigned_ticket_ids(uow.session, ids)
    fresh = []
    for event in events:
        if event.ticket_id is not None and event.ticket_id not in seen:
            seen.add(event.ticket_id)
            fresh.append(event)
    if not fresh:
        return []
    agents = await repository.lock_online_agents(uow.session, (e.data.team for e in fresh))
    by_team: dict[str, list[Agent]] = {}
    for online in agents:
        by_team.setdefault(online.team_key, []).append(online)
    assignments = []
    for event in fresh:
        assignment = _new_assignment(event)
        assignments.append(assignment)
        chosen = domain.pick_agent(by_team.get(event.data.team, ()))
        if chosen is None:
            _queue(uow, assignment, event)
        else:
            _give_to(uow, assignment, chosen, event)
    repository.add(uow.session, *assignments)
    return assignments


async def dispatch_ticket(uow: UnitOfWork, event: TicketTriaged) -> Assignment | None:
    assignments = await dispatch_tickets(uow, [event])
    return assignments[0] if assignments else None


def _new_assignment(event: TicketTriaged) -> Assignment:
    assert event.ticket_id is not None
    triaged = event.data
    return Assignment(
        id=uuid.uuid4(),
        ticket_id=event.ticket_id,
        ticket_no=triaged.ticket_no,
        team_key=triaged.team,
        state="queued",
        priority=triaged.priority,
        category=triaged.category,
        customer_type=triaged.customer_type,
        subject=triaged.subject,
        respond_by=triaged.deadlines.respond_by,
        resolve_by=triaged.deadlines.resolve_by,
        created_at=utcnow(),
    )


def _queue(uow: UnitOfWork, assignment: Assignment, event: TicketTriaged) -> None:
    uow.emit(
        TicketQueued(
            ticket_id=assignment.ticket_id,
            data=TicketQueuedData(
                assignment_id=assignment.id,
                ticket_no=assignment.ticket_no,
                team=assignment.team_key,
                priority=event.data.priority,
            ),
        ),
        cause=event,
    )


def _give_to(uow: UnitOfWork, assignment: Assignment, agent: Agent, event: TicketTriaged) -> None:
    now = utcnow()
    agent.active_count += 1
    agent.last_assigned_at = now
    assignment.agent_id = agent.id
    assignment.state = "assigned"
    assignment.assigned_at = now
    triaged = event.data
    uow.emit(
        TicketAssigned(
            ticket_id=assignment.ticket_id,
            data=TicketAssignedData(
                assignment_id=assignment.id,
                ticket_no=assignment.ticket_no,
                team=assignment.team_key,
                agent_id=agent.id,
                agent_name=agent.name,
                priority=triaged.priority,
                category=triaged.category,
                supervisor_notified=domain.must_report_to_supervisor(triaged.priority),
                assigned_at=now,
            ),
        ),
        cause=event,
    )
    uow.emit(
        WorkOrderIssued(
            ticket_id=assignment.ticket_id,
            data=WorkOrderData(
                assignment_id=assignment.id,
                ticket_no=assignment.ticket_no,
                team=assignment.team_key,
                agent_id=agent.id,
                agent_name=agent.name,
                subject=triaged.subject,
                category=triaged.category,
                priority=triaged.priority,
                customer_type=triaged.customer_type,
                respond_by=triaged.deadlines.respond_by,
                resolve_by=triaged.deadlines.resolve_by,
                links={"assignment": f"/v1/assignments/{assignment.id}"},
            ),
        ),
        cause=event,
    )


async def add_demo_agents(uow: UnitOfWork, capacity: int) -> int:
    """Create the demo agents that are missing; returns how many were added."""
    existing = await repository.agent_names(uow.session)
    added = 0
    for name, team_key in domain.DEMO_AGENTS:
        if name in existing:
            continue
        team = await repository.get_team(uow.session, team_key)
        repository.add(
            uow.session,
            Agent(
                id=uuid.uuid4(),
                name=name,
                team_key=team_key,
                skills=list(team.skills) if team else [],
                capacity=capacity,
                status="online",
                active_count=0,
            ),
        )
        added += 1
    return added
