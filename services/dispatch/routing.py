"""Routing: the locked pool of agents, capacity, the queue and handing a ticket to an agent;
the caller commits.

Locking (SPEC §2, many replicas): every transaction that changes an agent's load
locks the agents it may touch first, in one statement and in id order
(:func:`repository.lock_agents`), and only then the assignment rows. Two replicas
therefore serialise on the agents of a team, never deadlock, and a replica that
waited sees the loads the other one committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.dispatch import domain, repository
from services.dispatch.models import Agent, Assignment, SupervisorItem, Team
from services.dispatch.people.models import name_of
from services.dispatch.shifts.domain import Roster
from services.dispatch.shifts.loading import rosters_at
from shared.errors import ApiError
from shared.events import Envelope as _Envelope
from shared.events import (
    KbSuggestion,
    TicketAssigned,
    TicketAssignedData,
    TicketQueued,
    TicketQueuedData,
    WorkOrderData,
    WorkOrderIssued,
    utcnow,
)
from shared.observability import mask_contact
from shared.outbox import UnitOfWork

DEFAULT_MIN_LEVEL = 2


# --------------------------------------------------------------------------- the locked pool


@dataclass
class Pool:
    """The agents this transaction holds locks on, every team, and the teams' shift
    rosters as of ``at`` (a team without a roster: its online agents are on shift)."""

    agents: dict[uuid.UUID, Agent]
    teams: dict[str, Team]
    min_level: int = DEFAULT_MIN_LEVEL
    assigned: list[Assignment] = field(default_factory=list)
    rosters: dict[str, Roster] = field(default_factory=dict)
    on_shift: dict[str, frozenset[uuid.UUID]] = field(default_factory=dict)

    def is_on_shift(self, agent: Agent) -> bool:
        working = self.on_shift.get(agent.team_key)
        return working is None or agent.id in working

    def online(self, team_key: str) -> list[Agent]:
        """The agents who may take work now: online and on shift."""
        return [
            a
            for a in self.agents.values()
            if a.team_key == team_key and a.status == "online" and self.is_on_shift(a)
        ]

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


def check_can_take(pool: Pool, agent: Agent, assignment: Assignment) -> None:
    """An agent named for a ticket (a transfer, a reassignment) must be online, on shift and
    have room for it; 409 ``agent_unavailable`` / ``agent_off_shift`` / ``agent_at_capacity``."""
    if agent.status != "online":
        raise ApiError(409, "agent_unavailable", f"Agent {agent.name} is {agent.status}.")
    if not pool.is_on_shift(agent):
        raise ApiError(409, "agent_off_shift", f"Agent {agent.name} is off shift (team roster).")
    if not room_for(agent, assignment):
        raise ApiError(
            409,
            "agent_at_capacity",
            f"Agent {agent.name} already has {agent.active_count} of {agent.capacity}.",
        )


async def lock_pool(
    uow: UnitOfWork,
    teams: Iterable[str],
    agent_ids: Iterable[uuid.UUID | None] = (),
    min_level: int = DEFAULT_MIN_LEVEL,
    at: datetime | None = None,
) -> Pool:
    """Lock the agents, then read the rosters: a roster changed by a transaction this one
    waited for is seen as committed (``at``: the moment shifts are read for, now)."""
    ids = [i for i in agent_ids if i is not None]
    agents = await repository.lock_agents(uow.session, teams, ids)
    at = at or utcnow()
    rosters = await rosters_at(uow.session, at)
    return Pool(
        agents={a.id: a for a in agents},
        teams=await repository.teams_by_key(uow.session),
        min_level=min_level,
        rosters=rosters,
        on_shift={key: frozenset(r.on_shift(at)) for key, r in rosters.items()},
    )


async def lock_seen(
    uow: UnitOfWork,
    seen: Assignment,
    *,
    teams: Iterable[str] = (),
    agents: Iterable[uuid.UUID | None] = (),
    min_level: int = DEFAULT_MIN_LEVEL,
) -> tuple[Pool, Assignment]:
    """Lock the pool (the agents first, as routing always does: the assignment's team and
    holder, ``teams`` and ``agents``), then the assignment ``seen`` unlocked; 409
    ``concurrent_change`` when it moved to another team or holder meanwhile."""
    team_key, holder = seen.team_key, seen.agent_id
    pool = await lock_pool(uow, [team_key, *teams], [holder, *agents], min_level=min_level)
    assignment = await repository.lock_assignment(uow.session, seen.id)
    assert assignment is not None
    if assignment.team_key != team_key or assignment.agent_id != holder:
        raise ApiError(409, "concurrent_change", "The assignment changed meanwhile; try again.")
    return pool, assignment


def queue(
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


def release(pool: Pool, assignment: Assignment) -> uuid.UUID | None:
    """Give the assignment's unit of capacity back to its agent; returns the agent id."""
    agent_id = assignment.agent_id
    if agent_id is not None and assignment.state in domain.HOLDS_CAPACITY:
        agent = pool.agents.get(agent_id)
        assert agent is not None, "the agent of an assignment is locked before it is released"
        agent.active_count = max(0, agent.active_count - 1)
        if domain.is_chat(assignment.channel):
            agent.chat_active_count = max(0, (agent.chat_active_count or 0) - 1)
    return agent_id


def give_to(
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
        note_for_supervisor(
            uow,
            assignment,
            "report",
            f"{assignment.priority} ticket {assignment.ticket_no} assigned to {name_of(agent)}"
            f" ({reason}): {assignment.subject}",
            agent=agent,
            data={"cause": reason},
        )
    uow.emit(
        TicketAssigned(
            ticket_id=assignment.ticket_id,
            data=TicketAssignedData(
                assignment_id=assignment.id,
                ticket_no=assignment.ticket_no,
                team=assignment.team_key,
                agent_id=agent.id,
                agent_name=name_of(agent),
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
            agent_name=name_of(agent),
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
            give_to(uow, pool, queued, agent, cause, reason="drained")
            drained.append(queued)
            free -= 1
    return drained


def note_for_supervisor(
    uow: UnitOfWork,
    assignment: Assignment,
    kind: str,
    summary: str,
    *,
    agent: Agent | None = None,
    text: str | None = None,
    data: dict[str, Any] | None = None,
    ref_id: uuid.UUID | None = None,
) -> SupervisorItem:
    """An inbox item about the assignment: ``summary`` is the English line API clients
    read; the fields (agent by display name, subject, ``text``: the person's words, and
    kind-specific ``data``) are what the workspace words in its reader's language."""
    item = SupervisorItem(
        id=uuid.uuid4(),
        team_key=assignment.team_key,
        kind=kind,
        ticket_id=assignment.ticket_id,
        ticket_no=assignment.ticket_no,
        assignment_id=assignment.id,
        priority=assignment.priority,
        summary=mask_contact(summary)[:2000],
        created_at=utcnow(),
        agent_id=agent.id if agent is not None else None,
        agent_name=name_of(agent)[:100] if agent is not None else None,
        subject=mask_contact(assignment.subject)[:200] if assignment.subject else None,
        text=mask_contact(text)[:2000] if text else None,
        data=data or {},
        ref_id=ref_id,
    )
    repository.add(uow.session, item)
    return item
