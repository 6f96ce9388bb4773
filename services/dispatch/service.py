"""Dispatch's use cases; the caller commits.

Locking (SPEC §2, many replicas): every transaction that changes an agent's load
locks the agents it may touch first, in one statement and in id order
(:func:`repository.lock_agents`), and only then the assignment rows. Two replicas
therefore serialise on the agents of a team, never deadlock, and a replica that
waited sees the loads the other one committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.dispatch import domain, repository
from services.dispatch.models import Agent, Assignment, Compensation, SupervisorItem, Team
from shared.errors import ApiError, not_found
from shared.events import (
    AgentActionData,
    CompensationApproved,
    CompensationData,
    CompensationRejected,
    CompensationRequested,
    EscalatedData,
    KbSuggestion,
    ProgressNotedData,
    ResolvedData,
    SlaBreached,
    SlaWarning,
    TicketAccepted,
    TicketAssigned,
    TicketAssignedData,
    TicketEscalated,
    TicketProgressNoted,
    TicketQueued,
    TicketQueuedData,
    TicketReopened,
    TicketResolved,
    TicketRetriaged,
    TicketTransferred,
    TicketTriaged,
    TransferredData,
    WorkOrderData,
    WorkOrderIssued,
    utcnow,
)
from shared.events import Envelope as _Envelope
from shared.outbox import UnitOfWork

DEFAULT_MIN_LEVEL = 2
DEMO_SKILL_LEVEL = 3
# A window starting a little before the server's clock (the client's clock runs behind) is
# still now; one starting earlier than this is a mistake the customer would be told.
VISIT_CLOCK_SKEW = timedelta(minutes=5)


# --------------------------------------------------------------------------- the locked pool


@dataclass
class Pool:
    """The agents this transaction holds locks on, and every team."""

    agents: dict[uuid.UUID, Agent]
    teams: dict[str, Team]
    min_level: int = DEFAULT_MIN_LEVEL
    assigned: list[Assignment] = field(default_factory=list)

    def online(self, team_key: str) -> list[Agent]:
        return [a for a in self.agents.values() if a.team_key == team_key and a.status == "online"]

    def free_capacity(self, team_key: str) -> int:
        return sum(
            max(0, a.capacity + (a.chat_capacity or 0) - a.active_count)
            for a in self.online(team_key)
        )

    def pick(self, assignment: Assignment, exclude: uuid.UUID | None = None) -> Agent | None:
        team = self.teams.get(assignment.team_key)
        team_skills = team.skills if team else []
        need = domain.required_level(assignment.priority, assignment.customer_type, self.min_level)
        candidates = [
            a
            for a in self.online(assignment.team_key)
            if a.id != exclude
            and room_for(a, assignment)
            and domain.can_take(a.skill_levels, a.skills, assignment.skill, team_skills, need)
        ]
        return domain.pick_agent(candidates)


def room_for(agent: Agent, assignment: Assignment) -> bool:
    return domain.has_room(
        agent.capacity,
        agent.active_count,
        agent.chat_capacity,
        agent.chat_active_count or 0,
        domain.is_chat(assignment.channel),
    )


async def _pool(
    uow: UnitOfWork,
    teams: Iterable[str],
    agent_ids: Iterable[uuid.UUID | None] = (),
    min_level: int = DEFAULT_MIN_LEVEL,
) -> Pool:
    ids = [i for i in agent_ids if i is not None]
    agents = await repository.lock_agents(uow.session, teams, ids)
    return Pool(
        agents={a.id: a for a in agents},
        teams=await repository.teams_by_key(uow.session),
        min_level=min_level,
    )


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
    pool = await _pool(uow, (e.data.team for e in fresh), min_level=min_level)
    assignments = []
    for event in fresh:
        assignment = _new_assignment(event)
        assignments.append(assignment)
        chosen = pool.pick(assignment)
        if chosen is None:
            _queue(uow, assignment, event)
        else:
            _give_to(uow, pool, assignment, chosen, event, reason="triaged")
    repository.add(uow.session, *assignments)
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
    return Assignment(
        id=uuid.uuid4(),
        ticket_id=event.ticket_id,
        ticket_no=triaged.ticket_no,
        team_key=triaged.team,
        state=domain.QUEUED,
        priority=triaged.priority,
        category=triaged.category,
        customer_type=triaged.customer_type,
        subject=triaged.subject[:200],
        respond_by=triaged.deadlines.respond_by,
        resolve_by=triaged.deadlines.resolve_by,
        created_at=now,
        updated_at=now,
        channel=triaged.channel,
        masked_contact=(triaged.masked_contact or "")[:64] or None,
        skill=triaged.skill,
        keywords=list(triaged.keywords),
        kb_suggestions=[s.model_dump(mode="json") for s in triaged.kb_suggestions],
        escalated=False,
    )


def _queue(
    uow: UnitOfWork,
    assignment: Assignment,
    cause: _Envelope | None,
    reason: str = "no agent with spare capacity",
) -> None:
    assignment.state = domain.QUEUED
    assignment.agent_id = None
    assignment.accepted_at = None
    assignment.updated_at = utcnow()
    uow.emit(
        TicketQueued(
            ticket_id=assignment.ticket_id,
            data=TicketQueuedData(
                assignment_id=assignment.id,
                ticket_no=assignment.ticket_no,
                team=assignment.team_key,
                priority=assignment.priority,
                reason=reason,
            ),
        ),
        cause=cause,
    )


def _release(pool: Pool, assignment: Assignment) -> uuid.UUID | None:
    """Give the assignment's unit of capacity back to its agent; returns the agent id."""
    agent_id = assignment.agent_id
    if agent_id is not None and assignment.state in domain.HOLDS_CAPACITY:
        agent = pool.agents.get(agent_id)
        assert agent is not None, "the agent of an assignment is locked before it is released"
        agent.active_count = max(0, agent.active_count - 1)
        if domain.is_chat(assignment.channel):
            agent.chat_active_count = max(0, (agent.chat_active_count or 0) - 1)
    return agent_id


def _give_to(
    uow: UnitOfWork,
    pool: Pool,
    assignment: Assignment,
    agent: Agent,
    cause: _Envelope | None,
    *,
    reason: str,
) -> None:
    now = utcnow()
    agent.active_count += 1
    if domain.is_chat(assignment.channel):
        agent.chat_active_count = (agent.chat_active_count or 0) + 1
    agent.last_assigned_at = now
    assignment.agent_id = agent.id
    assignment.last_agent_id = agent.id
    assignment.state = domain.ASSIGNED
    assignment.assigned_at = now
    assignment.accepted_at = None
    assignment.updated_at = now
    pool.assigned.append(assignment)
    team = pool.teams.get(assignment.team_key)
    supervisor = team.supervisor if team else None
    report = domain.must_report_to_supervisor(assignment.priority)
    if report:
        _note_for_supervisor(
            uow,
            assignment,
            "report",
            f"{assignment.priority} ticket {assignment.ticket_no} assigned to {agent.name}"
            f" ({reason}): {assignment.subject}",
        )
    uow.emit(
        TicketAssigned(
            ticket_id=assignment.ticket_id,
            data=TicketAssignedData(
                assignment_id=assignment.id,
                ticket_no=assignment.ticket_no,
                team=assignment.team_key,
                agent_id=agent.id,
                agent_name=agent.name,
                priority=assignment.priority,
                category=assignment.category,
                supervisor_notified=report,
                assigned_at=now,
                supervisor=supervisor,
                reason=reason,
            ),
        ),
        cause=cause,
    )
    uow.emit(work_order(assignment, agent, supervisor, report, reason), cause=cause)


def work_order(
    assignment: Assignment, agent: Agent, supervisor: str | None, reported: bool, reason: str
) -> WorkOrderIssued:
    """The work order a team reads from ``sopdesk.assignments.<team>``."""
    return WorkOrderIssued(
        ticket_id=assignment.ticket_id,
        data=WorkOrderData(
            assignment_id=assignment.id,
            ticket_no=assignment.ticket_no,
            team=assignment.team_key,
            agent_id=agent.id,
            agent_name=agent.name,
            subject=assignment.subject,
            category=assignment.category,
            priority=assignment.priority,
            customer_type=assignment.customer_type,
            respond_by=assignment.respond_by,
            resolve_by=assignment.resolve_by,
            links={
                "assignment": f"/v1/assignments/{assignment.id}",
                "accept": f"/v1/assignments/{assignment.id}/accept",
            },
            channel=assignment.channel,
            masked_contact=assignment.masked_contact,
            keywords=list(assignment.keywords or []),
            kb_suggestions=[
                KbSuggestion.model_validate(s) for s in (assignment.kb_suggestions or [])
            ],
            supervisor=supervisor,
            supervisor_notified=reported,
            escalated=assignment.escalated,
            reason=reason,
        ),
    )


async def drain(
    uow: UnitOfWork,
    pool: Pool,
    team_keys: Iterable[str],
    cause: _Envelope | None = None,
    *,
    skip: frozenset[uuid.UUID] = frozenset(),
) -> list[Assignment]:
    """Serve the queues of these teams while their (locked) online agents have capacity.

    The queue is served in order (priority, then response deadline); a ticket no
    free agent may take (skill level) is skipped for the next one, and so are the
    ``skip`` ones (a ticket just transferred away must not bounce straight back).
    """
    drained: list[Assignment] = []
    for key in sorted(set(team_keys)):
        free = pool.free_capacity(key)
        if free <= 0:
            continue
        for queued in await repository.lock_queued(uow.session, key, free + 50):
            if free <= 0:
                break
            if queued.state != domain.QUEUED or queued.id in skip:
                continue
            agent = pool.pick(queued)
            if agent is None:
                continue
            _give_to(uow, pool, queued, agent, cause, reason="drained")
            drained.append(queued)
            free -= 1
    return drained


def _note_for_supervisor(uow: UnitOfWork, assignment: Assignment, kind: str, summary: str) -> None:
    repository.add(
        uow.session,
        SupervisorItem(
            id=uuid.uuid4(),
            team_key=assignment.team_key,
            kind=kind,
            ticket_id=assignment.ticket_id,
            ticket_no=assignment.ticket_no,
            assignment_id=assignment.id,
            priority=assignment.priority,
            summary=summary[:2000],
            created_at=utcnow(),
        ),
    )


# --------------------------------------------------------------------------- agent actions


@dataclass
class Acting:
    assignment: Assignment
    agent: Agent
    pool: Pool


async def _act(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    action: str,
    *,
    more_teams: Iterable[str] = (),
    more_agents: Iterable[uuid.UUID] = (),
    min_level: int = DEFAULT_MIN_LEVEL,
) -> Acting:
    """Lock what an action touches and check the agent may do it in this state."""
    session = uow.session
    seen = await repository.get_assignment(session, assignment_id)
    if seen is None:
        raise not_found("assignment", assignment_id)
    team_key, holder = seen.team_key, seen.agent_id
    pool = await _pool(
        uow, [team_key, *more_teams], [agent_id, holder, *more_agents], min_level=min_level
    )
    assignment = await repository.lock_assignment(session, assignment_id)
    assert assignment is not None
    if assignment.team_key != team_key or assignment.agent_id != holder:
        raise ApiError(409, "concurrent_change", "The assignment changed meanwhile; try again.")
    agent = pool.agents.get(agent_id)
    if agent is None:
        raise ApiError(403, "unknown_agent", f"No agent with id {agent_id} (X-Agent-Id).")
    _check_holder(assignment, agent_id, action)
    return Acting(assignment, agent, pool)


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
    return {"assignment_id": acting.assignment.id, "agent_id": acting.agent.id, "at": utcnow()}


async def accept(uow: UnitOfWork, assignment_id: uuid.UUID, agent_id: uuid.UUID) -> Assignment:
    """The agent's first response."""
    acting = await _act(uow, assignment_id, agent_id, "accept")
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
) -> Assignment:
    acting = await _act(uow, assignment_id, agent_id, "progress")
    a = acting.assignment
    data = ProgressNotedData(
        **_data(acting), note=note, customer_visible=customer_visible, collaborator=collaborator
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
) -> Assignment:
    """Pause (``waiting``) or resume the clock while the customer owes an answer."""
    acting = await _act(
        uow, assignment_id, agent_id, "waiting_on_customer" if waiting else "resume"
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
    uow: UnitOfWork, assignment_id: uuid.UUID, agent_id: uuid.UUID, *, reason: str
) -> Assignment:
    acting = await _act(uow, assignment_id, agent_id, "escalate")
    a = acting.assignment
    team = acting.pool.teams.get(a.team_key)
    data = EscalatedData(
        **_data(acting), reason=reason, supervisor=team.supervisor if team else None
    )
    a.escalated, a.updated_at = True, data.at
    _note_for_supervisor(
        uow, a, "escalation", f"{acting.agent.name} escalated {a.ticket_no}: {reason}"
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
) -> Assignment:
    """Resolve with a code and a public reply; the agent's capacity goes to the queue at once."""
    acting = await _act(uow, assignment_id, agent_id, "resolve", min_level=min_level)
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
    _release(acting.pool, a)
    a.state, a.resolved_at, a.updated_at = domain.RESOLVED, data.at, data.at
    a.resolution_code, a.public_reply = resolution_code, public_reply
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
) -> Assignment:
    """Move the ticket to another team (its queue or a free agent) or to a named agent."""
    session = uow.session
    # Whose and in what state first (checked again under the locks), then the target.
    seen = await repository.get_assignment(session, assignment_id)
    if seen is None:
        raise not_found("assignment", assignment_id)
    if await repository.get_agent(session, agent_id) is None:
        raise ApiError(403, "unknown_agent", f"No agent with id {agent_id} (X-Agent-Id).")
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
    if await repository.get_team(session, to_team) is None:
        raise ApiError(404, "team_not_found", f"No team with key {to_team}.")
    acting = await _act(
        uow,
        assignment_id,
        agent_id,
        "transfer",
        more_teams=[to_team],
        more_agents=[to_agent_id] if to_agent_id else [],
        min_level=min_level,
    )
    a, pool = acting.assignment, acting.pool
    if to_agent_id == agent_id:
        raise ApiError(409, "invalid_transfer", "The ticket is already yours.")
    chosen: Agent | None = None
    if to_agent_id is not None:
        chosen = pool.agents[to_agent_id]
        if chosen.status != "online":
            raise ApiError(409, "agent_unavailable", f"Agent {chosen.name} is {chosen.status}.")
        if not room_for(chosen, a):
            raise ApiError(
                409,
                "agent_at_capacity",
                f"Agent {chosen.name} already has {chosen.active_count} of {chosen.capacity}.",
            )
    from_team = a.team_key
    data = TransferredData(**_data(acting), reason=reason, to_team=to_team, to_agent_id=to_agent_id)
    _release(pool, a)
    uow.emit(TicketTransferred(ticket_id=a.ticket_id, data=data))
    a.team_key = to_team
    a.state = domain.QUEUED
    a.agent_id = None
    if chosen is None:
        chosen = pool.pick(a, exclude=agent_id)
    if chosen is None:
        _queue(uow, a, None, reason=f"transferred: {reason}")
    else:
        _give_to(uow, pool, a, chosen, None, reason="transferred")
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
) -> Assignment:
    """Book an on-site visit: an appointment window ending within ``within_hours`` (48 h)."""
    acting = await _act(uow, assignment_id, agent_id, "visit")
    a = acting.assignment
    if a.category not in domain.VISIT_CATEGORIES:
        raise ApiError(
            409,
            "visit_not_applicable",
            f"A {a.category} ticket gets no on-site visit; only {sorted(domain.VISIT_CATEGORIES)}.",
        )
    now = utcnow()
    latest = now + timedelta(hours=within_hours)
    start = window_start or now
    end = window_end or latest
    if end <= start:
        raise ApiError(422, "invalid_visit_window", "The window must end after it starts.")
    if start < now - VISIT_CLOCK_SKEW:
        raise ApiError(422, "visit_in_the_past", "The visit window must not start in the past.")
    if end > latest:
        raise ApiError(
            422,
            "visit_too_late",
            f"The visit must happen within {within_hours} h, by {latest.isoformat()}.",
        )
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


# --------------------------------------------------------------------------- compensation


async def request_compensation(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    kind: str,
    amount: float,
    reason: str | None,
    thresholds: dict[str, float],
) -> Compensation:
    acting = await _act(uow, assignment_id, agent_id, "compensate")
    a = acting.assignment
    now = utcnow()
    needs_approval = amount > thresholds.get(kind, 0.0)
    comp = Compensation(
        id=uuid.uuid4(),
        assignment_id=a.id,
        ticket_id=a.ticket_id,
        team_key=a.team_key,
        agent_id=agent_id,
        kind=kind,
        amount=amount,
        reason=reason,
        state="pending" if needs_approval else "approved",
        decided_by=None if needs_approval else "policy",
        created_at=now,
        decided_at=None if needs_approval else now,
    )
    repository.add(uow.session, comp)
    uow.emit(
        CompensationRequested(
            ticket_id=a.ticket_id, data=_compensation_data(comp, needs_approval=needs_approval)
        )
    )
    if not needs_approval:
        uow.emit(CompensationApproved(ticket_id=a.ticket_id, data=_compensation_data(comp)))
    return comp


def _compensation_data(comp: Compensation, **extra: Any) -> CompensationData:
    return CompensationData(
        compensation_id=comp.id,
        kind=comp.kind,
        amount=comp.amount,
        reason=comp.decision_reason or comp.reason,
        assignment_id=comp.assignment_id,
        team=comp.team_key,
        state=comp.state,
        decided_by=comp.decided_by,
        **extra,
    )


async def decide_compensation(
    uow: UnitOfWork,
    compensation_id: uuid.UUID,
    *,
    approve: bool,
    supervisor: str | None,
    reason: str | None,
) -> Compensation:
    """Approve or reject a pending compensation; ``supervisor`` None means an admin."""
    comp = await repository.lock_compensation(uow.session, compensation_id)
    if comp is None:
        raise not_found("compensation", compensation_id)
    team = await repository.get_team(uow.session, comp.team_key)
    check_supervisor(team, supervisor)
    if comp.state != "pending":
        raise ApiError(
            409,
            "invalid_state",
            f"Compensation {compensation_id} is {comp.state}; only pending ones can be decided.",
            details={"state": comp.state},
        )
    comp.state = "approved" if approve else "rejected"
    comp.decided_by = supervisor or (team.supervisor if team else "admin")
    comp.decision_reason = reason
    comp.decided_at = utcnow()
    event_cls = CompensationApproved if approve else CompensationRejected
    uow.emit(event_cls(ticket_id=comp.ticket_id, data=_compensation_data(comp)))
    return comp


def check_supervisor(team: Team | None, supervisor: str | None) -> None:
    """A supervisor acts on their own team only (``supervisor`` None: admin, any team)."""
    if supervisor is None or team is None:
        return
    if team.supervisor != supervisor:
        raise ApiError(
            403,
            "not_team_supervisor",
            f"Team {team.key} is supervised by {team.supervisor}, not {supervisor}.",
        )


# --------------------------------------------------------------------------- teams and agents


async def create_team(
    uow: UnitOfWork, *, key: str, name: str, supervisor: str, skills: list[str]
) -> Team:
    if await repository.get_team(uow.session, key) is not None:
        raise ApiError(409, "team_exists", f"A team with key {key} exists.")
    team = Team(key=key, name=name, supervisor=supervisor, skills=skills)
    repository.add(uow.session, team)
    return team


async def update_team(
    uow: UnitOfWork, key: str, changes: dict[str, Any], *, supervisor: str | None
) -> Team:
    team = await repository.get_team(uow.session, key)
    if team is None:
        raise ApiError(404, "team_not_found", f"No team with key {key}.")
    check_supervisor(team, supervisor)
    for name, value in changes.items():
        setattr(team, name, value)
    return team


async def delete_team(uow: UnitOfWork, key: str) -> None:
    team = await repository.get_team(uow.session, key)
    if team is None:
        raise ApiError(404, "team_not_found", f"No team with key {key}.")
    if await repository.count_agents(uow.session, key) or await repository.count_open_assignments(
        uow.session, key
    ):
        raise ApiError(409, "team_in_use", f"Team {key} still has agents or open tickets.")
    await uow.session.delete(team)


def _levels(skills: dict[str, int]) -> tuple[list[str], dict[str, Any]]:
    return sorted(skills), dict(skills)


async def create_agent(
    uow: UnitOfWork,
    *,
    name: str,
    team_key: str,
    skills: dict[str, int],
    capacity: int,
    status: str,
    supervisor: str | None,
    chat_capacity: int | None = None,
    min_level: int = DEFAULT_MIN_LEVEL,
) -> Agent:
    session = uow.session
    team = await repository.get_team(session, team_key)
    if team is None:
        raise ApiError(404, "team_not_found", f"No team with key {team_key}.")
    check_supervisor(team, supervisor)
    if await repository.agent_by_name(session, name) is not None:
        raise ApiError(409, "agent_exists", f"An agent named {name} exists.")
    pool = await _pool(uow, [team_key], min_level=min_level)
    names, levels = _levels(skills)
    agent = Agent(
        id=uuid.uuid4(),
        name=name,
        team_key=team_key,
        skills=names,
        skill_levels=levels,
        capacity=capacity,
        chat_capacity=chat_capacity,
        status=status,
        active_count=0,
        chat_active_count=0,
    )
    repository.add(session, agent)
    await session.flush()
    pool.agents[agent.id] = agent
    await drain(uow, pool, [team_key])
    return agent


async def update_agent(
    uow: UnitOfWork,
    agent_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    supervisor: str | None,
    min_level: int = DEFAULT_MIN_LEVEL,
) -> Agent:
    """Change skills, capacity, status or team; the queue drains when capacity frees,
    and going offline re-dispatches the agent's unaccepted assignments."""
    session = uow.session
    seen = await repository.get_agent(session, agent_id)
    if seen is None:
        raise not_found("agent", agent_id)
    old_team = seen.team_key
    new_team = changes.get("team_key") or old_team
    teams = await repository.teams_by_key(session)
    check_supervisor(teams.get(old_team), supervisor)
    if new_team != old_team:
        if new_team not in teams:
            raise ApiError(404, "team_not_found", f"No team with key {new_team}.")
        check_supervisor(teams[new_team], supervisor)
    pool = await _pool(uow, {old_team, new_team}, [agent_id], min_level=min_level)
    agent = pool.agents[agent_id]
    if agent.team_key != old_team:
        raise ApiError(409, "concurrent_change", "The agent changed meanwhile; try again.")
    if new_team != old_team and agent.active_count > 0:
        raise ApiError(
            409, "agent_busy", f"Agent {agent.name} holds {agent.active_count} ticket(s)."
        )
    capacity = changes.get("capacity", agent.capacity)
    chat_capacity = changes.get("chat_capacity", agent.chat_capacity)
    if changes.get("chat_capacity") == 0:  # 0 in a PATCH clears the chat limit
        chat_capacity = changes["chat_capacity"] = None
    chats = agent.chat_active_count or 0
    others = agent.active_count - chats if chat_capacity is not None else agent.active_count
    if capacity < others or (chat_capacity is not None and chat_capacity < chats):
        raise ApiError(
            409,
            "capacity_below_load",
            f"Agent {agent.name} holds {agent.active_count} ticket(s) ({chats} chats);"
            f" capacity {capacity} / chat capacity {chat_capacity} is too low.",
        )
    renamed = "name" in changes and changes["name"] != agent.name
    if renamed and await repository.agent_by_name(session, changes["name"]) is not None:
        raise ApiError(409, "agent_exists", f"An agent named {changes['name']} exists.")
    if "skills" in changes:
        agent.skills, agent.skill_levels = _levels(changes.pop("skills"))
    for name, value in changes.items():
        setattr(agent, name, value)
    if agent.status == "offline":
        for moved in await repository.lock_unaccepted_of(session, agent.id):
            _release(pool, moved)
            moved.agent_id = None
            moved.state = domain.QUEUED
            chosen = pool.pick(moved, exclude=agent.id)
            if chosen is None:
                _queue(uow, moved, None, reason=f"agent {agent.name} went offline")
            else:
                _give_to(uow, pool, moved, chosen, None, reason="redispatched")
    await drain(uow, pool, {old_team, new_team})
    return agent


async def add_demo_agents(uow: UnitOfWork, capacity: int) -> int:
    """Create the demo agents that are missing; returns how many were added."""
    existing = await repository.agent_names(uow.session)
    added = 0
    for name, team_key in domain.DEMO_AGENTS:
        if name in existing:
            continue
        team = await repository.get_team(uow.session, team_key)
        skills = list(team.skills) if team else []
        repository.add(
            uow.session,
            Agent(
                id=uuid.uuid4(),
                name=name,
                team_key=team_key,
                skills=skills,
                skill_levels={skill: DEMO_SKILL_LEVEL for skill in skills},
                capacity=capacity,
                status="online",
                active_count=0,
                chat_active_count=0,
            ),
        )
        added += 1
    return added


# --------------------------------------------------------------------------- reactions


async def note_sla_events(uow: UnitOfWork, events: Sequence[SlaWarning | SlaBreached]) -> None:
    """SLA warnings and breaches from follow-up land in the team supervisor's inbox; the
    daily update's reminder (a warning on clock ``update``) goes to the agent instead,
    on the assignment (``update_due_at``)."""
    ids = [e.ticket_id for e in events if e.ticket_id is not None]
    by_ticket = {a.ticket_id: a for a in await repository.assignments_by_ticket(uow.session, ids)}
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
        repository.add(
            uow.session,
            SupervisorItem(
                id=uuid.uuid4(),
                team_key=team,
                kind=kind,
                ticket_id=event.ticket_id,
                ticket_no=assignment.ticket_no if assignment else None,
                assignment_id=assignment.id if assignment else None,
                priority=(assignment.priority if assignment else None) or event.data.priority,
                summary=f"{event.data.clock} deadline {verb} {event.data.due_at.isoformat()}",
                created_at=utcnow(),
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
    pool = await _pool(uow, [team_key], [holder, last], min_level=min_level)
    (a,) = await repository.lock_assignments_by_ticket(uow.session, [event.ticket_id])
    if a.team_key != team_key or a.agent_id != holder:
        raise RuntimeError("assignment changed while reopening; retried by the consumer")
    team = pool.teams.get(a.team_key)
    reason = event.data.reason or "customer not satisfied"
    a.escalated = True
    _note_for_supervisor(uow, a, "escalation", f"{a.ticket_no} reopened: {reason}")
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
        and previous.status == "online"
        and previous.team_key == a.team_key
        and room_for(previous, a)
    ):
        _give_to(uow, pool, a, previous, event, reason="reopened")
    else:
        _queue(uow, a, event, reason="reopened; last agent unavailable")
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
    pool = await _pool(uow, {team_key, data.team}, [holder], min_level=min_level)
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
    _release(pool, a)
    a.team_key, a.agent_id, a.state = data.team, None, domain.QUEUED
    chosen = pool.pick(a)
    if chosen is None:
        _queue(uow, a, event, reason=f"re-triaged: {reason}")
    else:
        _give_to(uow, pool, a, chosen, event, reason="retriaged")
    await drain(uow, pool, {team_key}, event)
    return a
