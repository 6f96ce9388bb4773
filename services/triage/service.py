"""Triage's use cases; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence

from services.triage import domain, repository
from services.triage.models import TriageDecision
from services.triage.settings import TriageSettings
from shared.events import Deadlines, TicketReceived, TicketTriaged, TicketTriagedData, utcnow
from shared.outbox import UnitOfWork


async def triage_tickets(
    uow: UnitOfWork, events: Sequence[TicketReceived], settings: TriageSettings
) -> list[TriageDecision]:
    """Classify new tickets and set their deadlines; tickets already decided are skipped.

    Re-triage is an explicit supervisor action, never a side effect of a redelivery.
    """
    decided = await repository.decided_ticket_ids(
        uow.session, [e.ticket_id for e in events if e.ticket_id]
    )
    decisions: list[TriageDecision] = []
    for event in events:
        if event.ticket_id is None or event.ticket_id in decided:
            continue
        decided.add(event.ticket_id)
        decision = _decide(event, settings)
        decisions.append(decision)
        uow.emit(_triaged_event(event, decision), cause=event)
    repository.add(uow.session, *decisions)
    return decisions


async def triage_ticket(
    uow: UnitOfWork, event: TicketReceived, settings: TriageSettings
) -> TriageDecision | None:
    decisions = await triage_tickets(uow, [event], settings)
    return decisions[0] if decisions else None


def _decide(event: TicketReceived, settings: TriageSettings) -> TriageDecision:
    assert event.ticket_id is not None
    received = event.data
    result = domain.classify(received.subject, received.description, received.customer_type)
    due = domain.deadlines(result.priority, received.received_at, settings.sla_preset)
    return TriageDecision(
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


def _triaged_event(event: TicketReceived, decision: TriageDecision) -> TicketTriaged:
    received = event.data
    return TicketTriaged(
        ticket_id=decision.ticket_id,
        data=TicketTriagedData(
            ticket_no=received.ticket_no,
            channel=received.channel,
            customer_type=received.customer_type,
            subject=received.subject,
            category=decision.category,
            scene=decision.scene,
            priority=decision.priority,
            team=decision.team,
            keywords=decision.keywords,
            explanation=decision.explanation,
            deadlines=Deadlines(
                policy=decision.sla_policy,
                calendar=decision.calendar,
                respond_by=decision.respond_by,
                resolve_by=decision.resolve_by,
            ),
        ),
    )
