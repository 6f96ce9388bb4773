"""Dispatch's use cases; the caller commits."""

from __future__ import annotations

import uuid

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


async def dispatch_ticket(uow: UnitOfWork, event: TicketTriaged) -> Assignment | None:
    """Assign a triaged ticket to an agent of its team, or queue it for the team."""
    assert event.ticket_id is not None
    if await repository.get_assignment_by_ticket(uow.session, event.ticket_id) is not None:
        return None  # never assign a ticket twice
    triaged = event.data
    now = utcnow()
    assignment = Assignment(
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
        created_at=now,
    )
    repository.add(uow.session, assignment)
    agent = await repository.claim_available_agent(uow.session, triaged.team)
    if agent is None:
        uow.emit(
            TicketQueued(
                ticket_id=event.ticket_id,
                data=TicketQueuedData(
                    assignment_id=assignment.id,
                    ticket_no=triaged.ticket_no,
                    team=triaged.team,
                    priority=triaged.priority,
                ),
            )
        )
        return assignment
    _give_to(uow, assignment, agent, event)
    return assignment


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
        )
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
        )
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
