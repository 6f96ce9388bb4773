"""What dispatch does when another service speaks: a triaged, re-triaged or reopened
ticket, an SLA warning or breach. The caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.dispatch import activity, domain, repository
from services.dispatch.models import Assignment, SupervisorItem
from services.dispatch.routing import (
    DEFAULT_MIN_LEVEL,
    drain,
    give_to,
    lock_pool,
    note_for_supervisor,
    queue,
    release,
    room_for,
)
from shared.database import unsessioned
from shared.events import (
    EscalatedData,
    SlaBreached,
    SlaWarning,
    SurveyAnswered,
    TicketEscalated,
    TicketReopened,
    TicketRetriaged,
    TicketTransferred,
    TicketTriaged,
    TransferredData,
    utcnow,
)
from shared.outbox import UnitOfWork

# --------------------------------------------------------------------------- assignment


async def dispatch_tickets(
    uow: UnitOfWork,
    events: Sequence[TicketTriaged | TicketRetriaged],
    *,
    min_level: int = DEFAULT_MIN_LEVEL,
) -> list[Assignment]:
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
    pool = await lock_pool(uow, (e.data.team for e in fresh), min_level=min_level)
    assignments = []
    for event in fresh:
        assignment = _new_assignment(event)
        assignments.append(assignment)
        chosen = pool.pick(assignment)
        if chosen is None:
            queue(uow, assignment, event)
        else:
            give_to(uow, pool, assignment, chosen, event, reason="triaged")
    await repository.insert_assignments(uow.session, assignments)
    return assignments


async def dispatch_ticket(
    uow: UnitOfWork, event: TicketTriaged, *, min_level: int = DEFAULT_MIN_LEVEL
) -> Assignment | None:
    assignments = await dispatch_tickets(uow, [event], min_level=min_level)
    return assignments[0] if assignments else None


def _new_assignment(event: TicketTriaged | TicketRetriaged) -> Assignment:
    assert event.ticket_id is not None
    triaged = event.data
    now = utcnow()
    # Written by ``insert_assignments`` (Core), never through the session: built without
    # the ORM's constructor.
    return unsessioned(
        Assignment,
        {
            "id": uuid.uuid4(),
            "ticket_id": event.ticket_id,
            "ticket_no": triaged.ticket_no,
            "team_key": triaged.team,
            "state": domain.QUEUED,
            "priority": triaged.priority,
            "category": triaged.category,
            "customer_type": triaged.customer_type,
            "subject": triaged.subject[:200],
            "respond_by": triaged.deadlines.respond_by,
            "resolve_by": triaged.deadlines.resolve_by,
            "created_at": now,
            "updated_at": now,
            "channel": triaged.channel,
            "masked_contact": (triaged.masked_contact or "")[:64] or None,
            "skill": triaged.skill,
            "keywords": list(triaged.keywords),
            "kb_suggestions": [s.model_dump(mode="json") for s in triaged.kb_suggestions],
            "escalated": False,
            # Every column with a default set here: the row is written from these values.
            "version": 1,
        },
    )


# --------------------------------------------------------------------------- reactions


async def note_sla_events(uow: UnitOfWork, events: Sequence[SlaWarning | SlaBreached]) -> None:
    """SLA warnings and breaches from follow-up land in the team supervisor's inbox; the
    daily update's reminder (a warning on clock ``update``) goes to the agent instead,
    on the assignment (``update_due_at``)."""
    ids = [e.ticket_id for e in events if e.ticket_id is not None]
    by_ticket = {a.ticket_id: a for a in await repository.assignments_by_ticket(uow.session, ids)}
    agents = await repository.agents_by_id(
        uow.session, [a.agent_id for a in by_ticket.values() if a.agent_id is not None]
    )
    for event in events:
        assignment = by_ticket.get(event.ticket_id) if event.ticket_id else None
        if event.data.clock == "update" and assignment is not None:
            if assignment.state != domain.RESOLVED:
                assignment.update_due_at = event.data.due_at
            if event.type == "sla.warning":
                continue
        team = (assignment.team_key if assignment else None) or event.data.team
        if team is None:
            continue
        kind = "sla_warning" if event.type == "sla.warning" else "sla_breached"
        verb = "due" if kind == "sla_warning" else "breached at"
        summary = f"{event.data.clock} deadline {verb} {event.data.due_at.isoformat()}"
        facts = {"clock": event.data.clock, "due_at": event.data.due_at.isoformat()}
        if assignment is not None:
            holder = agents.get(assignment.agent_id) if assignment.agent_id else None
            item = note_for_supervisor(uow, assignment, kind, summary, agent=holder, data=facts)
            item.team_key = team
            item.priority = assignment.priority or event.data.priority
            continue
        repository.add(
            uow.session,
            SupervisorItem(
                id=uuid.uuid4(),
                team_key=team,
                kind=kind,
                ticket_id=event.ticket_id,
                priority=event.data.priority,
                summary=summary,
                created_at=utcnow(),
                data=facts,
            ),
        )


async def reopen(
    uow: UnitOfWork, event: TicketReopened, *, min_level: int = DEFAULT_MIN_LEVEL
) -> Assignment | None:
    """Back to the last agent if available, else the queue; escalated to the supervisor."""
    if event.ticket_id is None:
        return None
    seen = await repository.get_assignment_by_ticket(uow.session, event.ticket_id)
    if seen is None:
        return None
    team_key, holder, last = seen.team_key, seen.agent_id, seen.last_agent_id
    pool = await lock_pool(uow, [team_key], [holder, last], min_level=min_level)
    (a,) = await repository.lock_assignments_by_ticket(uow.session, [event.ticket_id])
    if a.team_key != team_key or a.agent_id != holder:
        raise RuntimeError("assignment changed while reopening; retried by the consumer")
    team = pool.teams.get(a.team_key)
    reason = event.data.reason or "customer not satisfied"
    a.escalated = True
    # Reopens come from the customer (a reply, a survey): their words are in the thread.
    a.customer_replied_at = event.occurred_at
    # The agent the ticket was with (or last with, when resolved) is the one concerned.
    concerned_id = holder or last
    concerned = pool.agents.get(concerned_id) if concerned_id else None
    note_for_supervisor(
        uow,
        a,
        "reopened",
        f"{a.ticket_no} reopened: {reason}",
        agent=concerned,
        text=event.data.reason,
        data={"score": event.data.score} if event.data.score is not None else {},
    )
    activity.record(
        uow,
        ticket_id=a.ticket_id,
        assignment_id=a.id,
        kind="reopened",
        actor=("system:followup", "系统 system"),
        text=reason,
        data={"state_before": a.state, "score": event.data.score},
        # When dispatch took it back (the reopen is stamped with the customer's message
        # time, which the reply's own line already has).
        event_id=event.event_id,
    )
    uow.emit(
        TicketEscalated(
            ticket_id=a.ticket_id,
            data=EscalatedData(
                assignment_id=a.id,
                agent_id=a.agent_id,
                reason=f"reopened: {reason}",
                supervisor=team.supervisor if team else None,
            ),
        ),
        cause=event,
    )
    if a.state != domain.RESOLVED:
        return a  # still open: the escalation is all a reopen changes
    a.resolved_at = a.resolution_code = a.public_reply = None
    a.agent_id = None
    a.state = domain.QUEUED
    previous = pool.agents.get(last) if last else None
    if (
        previous is not None
        and pool.is_on_shift(previous)
        and domain.takes_back_reopened(
            previous.status, previous.team_key, a.team_key, room_for(previous, a)
        )
    ):
        give_to(uow, pool, a, previous, event, reason="reopened")
    else:
        queue(uow, a, event, reason="reopened; last agent unavailable")
        await drain(uow, pool, [a.team_key], event)
    return a


async def retriage(
    uow: UnitOfWork, event: TicketRetriaged, *, min_level: int = DEFAULT_MIN_LEVEL
) -> Assignment | None:
    """Take a corrected triage decision; a new team re-routes the ticket."""
    if event.ticket_id is None:
        return None
    seen = await repository.get_assignment_by_ticket(uow.session, event.ticket_id)
    if seen is None:
        created = await dispatch_tickets(uow, [event], min_level=min_level)
        return created[0] if created else None
    data = event.data
    team_key, holder = seen.team_key, seen.agent_id
    pool = await lock_pool(uow, {team_key, data.team}, [holder], min_level=min_level)
    (a,) = await repository.lock_assignments_by_ticket(uow.session, [event.ticket_id])
    if a.team_key != team_key or a.agent_id != holder:
        raise RuntimeError("assignment changed while re-triaging; retried by the consumer")
    a.priority, a.category, a.skill = data.priority, data.category, data.skill
    a.respond_by, a.resolve_by = data.deadlines.respond_by, data.deadlines.resolve_by
    a.keywords = list(data.keywords)
    a.kb_suggestions = [s.model_dump(mode="json") for s in data.kb_suggestions]
    a.updated_at = utcnow()
    if data.team == a.team_key or a.state == domain.RESOLVED:
        return a
    reason = data.retriage_reason or "re-triaged"
    uow.emit(
        TicketTransferred(
            ticket_id=a.ticket_id,
            data=TransferredData(
                assignment_id=a.id, agent_id=a.agent_id, reason=reason, to_team=data.team
            ),
        ),
        cause=event,
    )
    release(pool, a)
    a.team_key, a.agent_id, a.state = data.team, None, domain.QUEUED
    chosen = pool.pick(a)
    if chosen is None:
        queue(uow, a, event, reason=f"re-triaged: {reason}")
    else:
        give_to(uow, pool, a, chosen, event, reason="retriaged")
    await drain(uow, pool, {team_key}, event)
    return a


# Follow-up's rule (services/followup/surveys.py): score ≤ 2 or "not resolved" is unsatisfied.
UNSATISFIED_SCORE = 2


async def note_unsatisfied_surveys(uow: UnitOfWork, events: Sequence[SurveyAnswered]) -> None:
    """An unsatisfied survey lands in the supervisor's inbox with the customer's comment
    (and in the ticket's activity); follow-up reopens the ticket itself."""
    unhappy = [
        e
        for e in events
        if e.ticket_id is not None and (e.data.score <= UNSATISFIED_SCORE or not e.data.resolved)
    ]
    ids = [e.ticket_id for e in unhappy if e.ticket_id is not None]
    by_ticket = {a.ticket_id: a for a in await repository.assignments_by_ticket(uow.session, ids)}
    # The survey judges the agent who resolved it (still holding it, or the last one).
    agents = await repository.agents_by_id(
        uow.session,
        [x for a in by_ticket.values() for x in (a.agent_id or a.last_agent_id,) if x is not None],
    )
    for event in unhappy:
        a = by_ticket.get(event.ticket_id) if event.ticket_id else None
        if a is None:
            continue
        comment = event.data.comment or ""
        verdict = "resolved" if event.data.resolved else "not resolved"
        judged = a.agent_id or a.last_agent_id
        note_for_supervisor(
            uow,
            a,
            "unsatisfied_survey",
            f"{a.ticket_no}: CSAT {event.data.score}/5, {verdict}: {comment}".rstrip(": "),
            agent=agents.get(judged) if judged else None,
            text=comment or None,
            data={"score": event.data.score, "resolved": event.data.resolved},
            ref_id=event.data.survey_id,
        )
        activity.record(
            uow,
            ticket_id=a.ticket_id,
            assignment_id=a.id,
            kind="survey_answered",
            actor=("customer", activity.CUSTOMER_NAME),
            text=comment or None,
            data={"score": event.data.score, "resolved": event.data.resolved},
            at=event.occurred_at,
            event_id=event.event_id,
        )
