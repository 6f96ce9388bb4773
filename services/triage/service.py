"""Triage's use cases; the caller commits."""

from __future__ import annotations

from services.triage import domain, repository
from services.triage.models import TriageDecision
from services.triage.settings import TriageSettings
from shared.events import Deadlines, TicketReceived, TicketTriaged, TicketTriagedData, utcnow
from shared.outbox import UnitOfWork


async def triage_ticket(
    uow: UnitOfWork, event: TicketReceived, settings: TriageSettings
) -> TriageDecision | None:
    assert event.ticket_id is not None
    if await repository.get_decision(uow.session, event.ticket_id) is not None:
        return None  # already decided; re-triage is an explicit supervisor action
    received = event.data
    result = domain.classify(received.subject, received.description, received.customer_type)
    due = domain.deadlines(result.priority, received.received_at, settings.sla_preset)
    decision = TriageDecision(
        ticket_id=event.ticket_id,
        ticket_no=received.ticket_no,
        category=result.category,
        scene=result.scene,
        priority=result.priority,
        team=result.team,
        keywords=result.keywords,
        explanation=result.explanation,
        sla_policy=due.policy,
        calendar=due.calendar,
        received_at=received.received_at,
        respond_by=due.respond_by,
        resolve_by=due.resolve_by,
        created_at=utcnow(),
    )
    repository.add(uow.session, decision)
    uow.emit(
        TicketTriaged(
            ticket_id=event.ticket_id,
            data=TicketTriagedData(
                ticket_no=received.ticket_no,
                channel=received.channel,
                customer_type=received.customer_type,
                subject=received.subject,
                category=result.category,
                scene=result.scene,
                priority=result.priority,
                team=result.team,
                keywords=result.keywords,
                explanation=result.explanation,
                deadlines=Deadlines(
                    policy=due.policy,
                    calendar=due.calendar,
                    respond_by=due.respond_by,
                    resolve_by=due.resolve_by,
                ),
            ),
        )
    )
    return decision
