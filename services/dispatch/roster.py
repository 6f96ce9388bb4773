"""Team and agent admin, and the demo agents; the caller commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import domain, repository
from services.dispatch.models import Agent, Team
from services.dispatch.routing import DEFAULT_MIN_LEVEL, drain, give_to, lock_pool, queue, release
from services.dispatch.shifts import repository as shift_repository
from services.dispatch.shifts.announcements import announce_on_shift
from services.dispatch.team_announcements import announce
from shared.errors import ApiError, not_found
from shared.events import TeamCreated, TeamDeleted, TeamUpdated, utcnow
from shared.outbox import UnitOfWork

DEMO_SKILL_LEVEL = 3


def check_supervisor(team: Team | None, supervisor: frozenset[str] | None) -> None:
    """A supervisor acts for the teams their account supervises only (``supervisor``: those
    teams; None: an admin, any team)."""
    if supervisor is None or team is None:
        return
    if team.key not in supervisor:
        raise ApiError(403, "not_team_supervisor", f"You do not supervise team {team.key}.")


async def check_undecided(
    session: AsyncSession,
    team_key: str,
    supervisor: frozenset[str] | None,
    *,
    what: str,
    state: str,
    undecided: str,
) -> None:
    """A supervisor decides on something of a team (a compensation, an inbox item, an
    extension request) only for a team they supervise, and once: 409 ``invalid_state``
    when it is no longer ``undecided``."""
    check_supervisor(await repository.get_team(session, team_key), supervisor)
    if state != undecided:
        raise ApiError(
            409,
            "invalid_state",
            f"{what} is {state} already; only {undecided} ones can be decided.",
            details={"state": state},
        )


def team_not_found(key: str) -> ApiError:
    return ApiError(404, "team_not_found", f"No team with key {key}.")


async def existing_team(session: AsyncSession, key: str) -> Team:
    """The team with this key, or 404 ``team_not_found``."""
    team = await repository.get_team(session, key)
    if team is None:
        raise team_not_found(key)
    return team


# --------------------------------------------------------------------------- teams and agents


async def create_team(
    uow: UnitOfWork,
    *,
    key: str,
    name: str,
    supervisor: str,
    skills: list[str],
    name_en: str | None = None,
) -> Team:
    """A new team, announced to the other services in the same transaction."""
    if await repository.get_team(uow.session, key) is not None:
        raise ApiError(409, "team_exists", f"A team with key {key} exists.")
    now = utcnow()
    team = Team(
        key=key, name=name, name_en=name_en, supervisor=supervisor, skills=skills, updated_at=now
    )
    repository.add(uow.session, team)
    announce(uow, TeamCreated, team, now)
    return team


async def update_team(
    uow: UnitOfWork, key: str, changes: dict[str, Any], *, supervisor: frozenset[str] | None
) -> Team:
    team = await existing_team(uow.session, key)
    check_supervisor(team, supervisor)
    if "supervisor" in changes and supervisor is not None:
        # Who supervises a team is an account matter (admins, /v1/people).
        raise ApiError(403, "admin_only", "Only an admin changes a team's supervisor.")
    for name, value in changes.items():
        setattr(team, name, value)
    announce(uow, TeamUpdated, team, utcnow())
    return team


async def delete_team(uow: UnitOfWork, key: str) -> None:
    team = await existing_team(uow.session, key)
    if await repository.count_agents(uow.session, key) or await repository.count_open_assignments(
        uow.session, key
    ):
        raise ApiError(409, "team_in_use", f"Team {key} still has agents or open tickets.")
    announce(uow, TeamDeleted, team, utcnow())
    await shift_repository.delete_roster(uow.session, key)  # its history stays, for audit
    await uow.session.delete(team)
    await announce_on_shift(uow, key, utcnow())  # nobody is on its shifts any more


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
    supervisor: frozenset[str] | None,
    chat_capacity: int | None = None,
    min_level: int = DEFAULT_MIN_LEVEL,
) -> Agent:
    session = uow.session
    check_supervisor(await existing_team(session, team_key), supervisor)
    if await repository.agent_by_name(session, name) is not None:
        raise ApiError(409, "agent_exists", f"An agent named {name} exists.")
    pool = await lock_pool(uow, [team_key], min_level=min_level)
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
    await announce_on_shift(uow, team_key, utcnow())
    return agent


async def update_agent(
    uow: UnitOfWork,
    agent_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    supervisor: frozenset[str] | None,
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
            raise team_not_found(new_team)
        check_supervisor(teams[new_team], supervisor)
    pool = await lock_pool(uow, {old_team, new_team}, [agent_id], min_level=min_level)
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
    if not domain.capacity_holds_load(capacity, chat_capacity, agent.active_count, chats):
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
            release(pool, moved)
            moved.agent_id = None
            moved.state = domain.QUEUED
            chosen = pool.pick(moved, exclude=agent.id)
            if chosen is None:
                queue(uow, moved, None, reason=f"agent {agent.name} went offline")
            else:
                give_to(uow, pool, moved, chosen, None, reason="redispatched")
    await drain(uow, pool, {old_team, new_team})
    if new_team != old_team or renamed:
        now = utcnow()
        for team_key in sorted({old_team, new_team}):
            # An agent leaving a team is on none of its shifts; a renamed one is named anew.
            await announce_on_shift(uow, team_key, now)
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
