"""What a supervisor does to a ticket of their team (issue 13 §4): reassign it, take it
over, handle or dismiss an inbox item, grant or refuse an agent's request for more time.
The caller commits.

Permissions: a supervisor acts on the teams their account supervises (an admin on any);
the actor (``person:<id>``, display name) is recorded on every change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from services.dispatch import activity, domain, repository
from services.dispatch.agent_work import check_version, lock_for_action
from services.dispatch.models import Agent, Assignment, ExtensionRequest, SupervisorItem
from services.dispatch.people.models import name_of
from services.dispatch.roster import check_supervisor, check_undecided
from services.dispatch.routing import (
    DEFAULT_MIN_LEVEL,
    check_can_take,
    drain,
    give_to,
    lock_seen,
    note_for_supervisor,
    release,
)
from shared.auth import Principal, require_person
from shared.errors import ApiError, not_found
from shared.events import DeadlineExtendedData, TicketAssigned, TicketDeadlineExtended, utcnow
from shared.observability import mask_contact
from shared.outbox import UnitOfWork


@dataclass(frozen=True)
class Supervisor:
    """Who decides: their actor id and name, and the teams they supervise (None: admin)."""

    actor: str
    name: str
    teams: frozenset[str] | None

    @classmethod
    def of(cls, principal: Principal) -> Supervisor:
        teams = None if principal.is_admin else require_person(principal).supervises
        return cls(principal.actor, principal.actor_name, teams)

    @property
    def as_actor(self) -> tuple[str, str]:
        return self.actor, self.name


async def _supervised_assignment(
    uow: UnitOfWork, assignment_id: uuid.UUID, by: Supervisor
) -> Assignment:
    seen = await repository.get_assignment(uow.session, assignment_id)
    if seen is None:
        raise not_found("assignment", assignment_id)
    check_supervisor(await repository.get_team(uow.session, seen.team_key), by.teams)
    if seen.state == domain.RESOLVED:
        raise ApiError(
            409,
            "invalid_state",
            f"Assignment {assignment_id} is resolved; reopen it first.",
            details={"state": seen.state},
        )
    return seen


async def _check_target(uow: UnitOfWork, target: Agent, team_key: str) -> None:
    if target.team_key != team_key:
        raise ApiError(
            422,
            "agent_not_in_team",
            f"Agent {name_of(target)} is in team {target.team_key}, not {team_key}.",
        )
    person = await repository.person_of(uow.session, target.id)
    if person is not None and person.disabled_at is not None:
        raise ApiError(409, "agent_disabled", f"The account of {name_of(target)} is disabled.")


async def _move(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    target_id: uuid.UUID,
    by: Supervisor,
    *,
    kind: str,
    reason: str,
    expected_version: int | None,
    min_level: int,
    check_capacity: bool,
) -> Assignment:
    """Give an open (or queued) ticket to ``target_id`` under the locks routing takes: the
    agents first (the holder, the target, the team's online agents for the drain), then the
    assignment. The previous holder's capacity goes back to the queue at once."""
    seen = await _supervised_assignment(uow, assignment_id, by)
    pool, a = await lock_seen(uow, seen, agents=[target_id], min_level=min_level)
    if a.state == domain.RESOLVED:
        raise ApiError(409, "concurrent_change", "The assignment changed meanwhile; try again.")
    check_version(a, expected_version)
    target = pool.agents.get(target_id)
    if target is None:
        raise not_found("agent", target_id)
    await _check_target(uow, target, a.team_key)
    if a.agent_id == target_id:
        raise ApiError(409, "already_assigned", f"The ticket is already with {name_of(target)}.")
    if check_capacity:
        check_can_take(pool, target, a)
    previous = a.agent_id
    release(pool, a)
    give_to(uow, pool, a, target, None, reason=kind)
    # routing's ticket.assigned names no actor; this move has one (written at commit).
    for event in uow.emitted:
        if isinstance(event, TicketAssigned) and event.data.assignment_id == a.id:
            event.data.actor, event.data.actor_name = by.actor, by.name
            event.data.note = mask_contact(reason)
    activity.record(
        uow,
        ticket_id=a.ticket_id,
        assignment_id=a.id,
        kind=kind,
        actor=by.as_actor,
        text=reason,
        data={
            "from_agent_id": str(previous) if previous else None,
            "to_agent_id": str(target.id),
            "to_agent_name": name_of(target),
        },
    )
    await drain(uow, pool, [a.team_key], skip=frozenset({a.id}))
    return a


async def reassign(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    by: Supervisor,
    *,
    agent_id: uuid.UUID,
    reason: str,
    expected_version: int | None = None,
    min_level: int = DEFAULT_MIN_LEVEL,
) -> Assignment:
    """To another agent of the team: online, enabled, with room (as routing requires)."""
    return await _move(
        uow,
        assignment_id,
        agent_id,
        by,
        kind="reassigned",
        reason=reason,
        expected_version=expected_version,
        min_level=min_level,
        check_capacity=True,
    )


async def take_over(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    principal: Principal,
    *,
    reason: str,
    expected_version: int | None = None,
    min_level: int = DEFAULT_MIN_LEVEL,
) -> Assignment:
    """The supervisor becomes the assignee. A supervisor without an agent of their own gets
    one in the team, away (routing never hands them tickets by itself); no capacity limit
    holds them back (they chose to take it)."""
    by = Supervisor.of(principal)
    person = require_person(principal)
    seen = await _supervised_assignment(uow, assignment_id, by)
    own = await repository.get_agent(uow.session, person.person_id)
    if own is None:
        team = await repository.get_team(uow.session, seen.team_key)
        skills = list(team.skills) if team else []
        uow.session.add(
            Agent(
                id=person.person_id,
                name=person.login,
                team_key=seen.team_key,
                skills=skills,
                skill_levels=dict.fromkeys(skills, domain.MAX_SKILL_LEVEL),
                capacity=1,
                status="away",
                active_count=0,
                chat_active_count=0,
            )
        )
        await uow.session.flush()
    elif own.team_key != seen.team_key:
        raise ApiError(
            409,
            "agent_not_in_team",
            f"Your agent is in team {own.team_key}; the ticket is of {seen.team_key}.",
        )
    return await _move(
        uow,
        assignment_id,
        person.person_id,
        by,
        kind="taken_over",
        reason=reason,
        expected_version=expected_version,
        min_level=min_level,
        check_capacity=False,
    )


# --------------------------------------------------------------------------- the inbox


async def close_item(
    uow: UnitOfWork, item_id: uuid.UUID, by: Supervisor, *, state: str, note: str | None
) -> SupervisorItem:
    """Handle or dismiss an open inbox item, with a note; once."""
    item = await repository.lock_supervisor_item(uow.session, item_id)
    if item is None:
        raise not_found("inbox_item", item_id)
    await check_undecided(
        uow.session,
        item.team_key,
        by.teams,
        what=f"Inbox item {item_id} (by {item.closed_by_name})",
        state=item.state,
        undecided="open",
    )
    if item.kind == "extension_request" and item.ref_id is not None:
        pending = await repository.get_extension_request(uow.session, item.ref_id)
        if pending is not None and pending.state == "pending" and state == "handled":
            raise ApiError(
                409,
                "extension_pending",
                "Grant or refuse the extension request (POST /v1/extension-requests/{id}/grant"
                " or /refuse); dismiss it only to drop it from the inbox.",
            )
    _close(item, by, state, note)
    return item


def _close(item: SupervisorItem, by: Supervisor, state: str, note: str | None) -> None:
    item.state = state
    item.closed_by, item.closed_by_name = by.actor, by.name[:100]
    item.closed_at = utcnow()
    item.note = mask_contact(note) if note else None


# --------------------------------------------------------------------------- more time


async def request_extension(
    uow: UnitOfWork,
    assignment_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    extra_minutes: int,
    reason: str,
    expected_version: int | None = None,
) -> ExtensionRequest:
    """The agent holding the ticket asks for more time (seed 002: 提前4小时上报客服主管,
    说明原因并申请延期); one pending request per ticket; the supervisor's inbox shows it."""
    acting = await lock_for_action(
        uow, assignment_id, agent_id, "extend", expected_version=expected_version
    )
    a = acting.assignment
    if await repository.pending_extension(uow.session, a.id) is not None:
        raise ApiError(
            409, "extension_pending", "An extension request of this ticket waits already."
        )
    now = utcnow()
    asked = ExtensionRequest(
        id=uuid.uuid4(),
        assignment_id=a.id,
        ticket_id=a.ticket_id,
        team_key=a.team_key,
        agent_id=agent_id,
        extra_minutes=extra_minutes,
        reason=mask_contact(reason),
        state="pending",
        created_at=now,
        resolve_by_before=a.resolve_by,
    )
    repository.add(uow.session, asked)
    a.updated_at = now
    item = note_for_supervisor(
        uow,
        a,
        "extension_request",
        f"{name_of(acting.agent)} asks for {extra_minutes} more minutes on"
        f" {a.ticket_no} (due {a.resolve_by.isoformat()}): {reason}",
        agent=acting.agent,
        text=reason,
        data={"extra_minutes": extra_minutes, "due_at": a.resolve_by.isoformat()},
        ref_id=asked.id,
    )
    item.created_at = now
    activity.record(
        uow,
        ticket_id=a.ticket_id,
        assignment_id=a.id,
        kind="extension_requested",
        actor=(f"person:{agent_id}", name_of(acting.agent)),
        text=reason,
        data={"extension_request_id": str(asked.id), "extra_minutes": extra_minutes},
        at=now,
    )
    return asked


async def decide_extension(
    uow: UnitOfWork,
    request_id: uuid.UUID,
    by: Supervisor,
    *,
    grant: bool,
    note: str | None,
) -> ExtensionRequest:
    """Grant (the resolution deadline moves: ``ticket.deadline_extended``, so follow-up moves
    the breach clock and intake tells the customer) or refuse; the inbox item is handled."""
    asked = await repository.lock_extension_request(uow.session, request_id)
    if asked is None:
        raise not_found("extension_request", request_id)
    await check_undecided(
        uow.session,
        asked.team_key,
        by.teams,
        what=f"Extension request {request_id}",
        state=asked.state,
        undecided="pending",
    )
    a = await repository.lock_assignment(uow.session, asked.assignment_id)
    assert a is not None
    if grant and a.state == domain.RESOLVED:
        raise ApiError(
            409, "invalid_state", "The ticket is resolved; no deadline to move.", details={}
        )
    now = utcnow()
    asked.state = "granted" if grant else "refused"
    asked.decided_by, asked.decided_by_name = by.actor, by.name[:100]
    asked.decided_at = now
    asked.decision_note = mask_contact(note) if note else None
    for item in await repository.items_about(uow.session, asked.id):
        if item.state == "open":
            _close(item, by, "handled", note or asked.state)
    if grant:
        before = a.resolve_by
        a.resolve_by = before + timedelta(minutes=asked.extra_minutes)
        a.updated_at = now
        asked.resolve_by_after = a.resolve_by
        uow.emit(
            TicketDeadlineExtended(
                ticket_id=a.ticket_id,
                data=DeadlineExtendedData(
                    assignment_id=a.id,
                    agent_id=asked.agent_id,
                    at=now,
                    actor=by.actor,
                    actor_name=by.name,
                    extension_request_id=asked.id,
                    extra_minutes=asked.extra_minutes,
                    previous_resolve_by=before,
                    resolve_by=a.resolve_by,
                    reason=asked.reason,
                    note=note,
                ),
            )
        )
    else:
        activity.record(
            uow,
            ticket_id=a.ticket_id,
            assignment_id=a.id,
            kind="extension_refused",
            actor=by.as_actor,
            text=note,
            data={"extension_request_id": str(asked.id), "extra_minutes": asked.extra_minutes},
            at=now,
        )
    return asked
