"""Setting a team's roster (versioned, with its actor) and applying shift changes: an
agent going off shift hands over open work by the team's setting, and the queue drains
to whoever is on shift. The caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch import domain as dispatch_domain
from services.dispatch import repository as dispatch_repository
from services.dispatch.routing import DEFAULT_MIN_LEVEL, drain, give_to, lock_pool, queue, release
from services.dispatch.shifts import repository
from services.dispatch.shifts.announcements import announce_on_shift
from services.dispatch.shifts.domain import EVERY_DAY, default_holidays
from services.dispatch.shifts.loading import rosters_at
from services.dispatch.shifts.models import ShiftExceptionChange, ShiftRoster, ShiftRosterChange
from shared.errors import ApiError
from shared.outbox import UnitOfWork

# What each handover setting moves off an agent who went off shift.
MOVES: dict[str, frozenset[str]] = {
    "keep": frozenset(),
    "queue": frozenset({dispatch_domain.ASSIGNED}),
    "reassign": frozenset({dispatch_domain.ASSIGNED, dispatch_domain.ACCEPTED}),
}


def _body(row: ShiftRoster) -> dict[str, Any]:
    return {
        "timezone": row.timezone,
        "handover": row.handover,
        "calendar": row.calendar,
        "shifts": row.shifts,
    }


async def on_shift_now(session: AsyncSession, at: datetime) -> dict[str, set[uuid.UUID]]:
    """Team -> the agents on shift at ``at``, for the teams with a roster."""
    return {key: set(r.on_shift(at)) for key, r in (await rosters_at(session, at)).items()}


@dataclass
class ShiftChange:
    """What one application of a team's shifts did."""

    handed_over: list[uuid.UUID] = field(default_factory=list)  # assignments moved
    drained: list[uuid.UUID] = field(default_factory=list)  # queued ones assigned
    announced: bool = False  # who is on shift changed: team.on_shift_changed emitted


async def set_roster(
    uow: UnitOfWork,
    team_key: str,
    *,
    timezone: str,
    handover: str,
    shifts: list[dict[str, Any]],
    actor: str,
    actor_name: str,
    at: datetime,
    expected_version: int | None = None,
    min_level: int = DEFAULT_MIN_LEVEL,
    calendar: str = "china",
) -> ShiftRoster:
    """Replace the team's roster (a new version) and apply it at once."""
    session = uow.session
    members = {a.id for a in await repository.agents_of(session, team_key)}
    for shift in shifts:
        strangers = [a for a in shift["agent_ids"] if uuid.UUID(str(a)) not in members]
        if strangers:
            raise ApiError(
                422,
                "agent_not_in_team",
                f"Shift {shift['name']}: agent(s) {', '.join(map(str, strangers))}"
                f" are not agents of team {team_key}.",
            )
    version = await repository.last_version(session, ShiftRosterChange, team_key)
    if expected_version is not None and expected_version != version:
        raise ApiError(
            409,
            "roster_version_conflict",
            f"The roster of {team_key} is at version {version}, not {expected_version}.",
        )
    row = await repository.get_roster(session, team_key)
    stored = [
        {
            **s,
            "agent_ids": [str(a) for a in s["agent_ids"]],
            "holidays": s.get("holidays") or default_holidays(s.get("days", EVERY_DAY)),
        }
        for s in shifts
    ]
    if row is None:
        row = ShiftRoster(team_key=team_key)
        repository.add(session, row)
    row.timezone, row.handover, row.shifts, row.calendar = timezone, handover, stored, calendar
    row.version, row.updated_by, row.updated_by_name, row.updated_at = (
        version + 1,
        actor,
        actor_name,
        at,
    )
    await record_change(
        uow,
        ShiftRosterChange,
        team_key,
        version + 1,
        roster=_body(row),
        actor=actor,
        actor_name=actor_name,
        at=at,
        min_level=min_level,
    )
    return row


async def remove_roster(
    uow: UnitOfWork,
    team_key: str,
    *,
    actor: str,
    actor_name: str,
    at: datetime,
    min_level: int = DEFAULT_MIN_LEVEL,
) -> None:
    """The team works without shifts again (every online agent takes work)."""
    session = uow.session
    if await repository.get_roster(session, team_key) is None:
        raise ApiError(404, "shift_roster_not_found", f"Team {team_key} has no shift roster.")
    version = await repository.last_version(session, ShiftRosterChange, team_key)
    await repository.delete_roster(session, team_key)
    await record_change(
        uow,
        ShiftRosterChange,
        team_key,
        version + 1,
        roster=None,
        actor=actor,
        actor_name=actor_name,
        at=at,
        min_level=min_level,
    )


async def record_change(
    uow: UnitOfWork,
    change: type[ShiftRosterChange | ShiftExceptionChange],
    team_key: str,
    version: int,
    *,
    actor: str,
    actor_name: str,
    at: datetime,
    min_level: int,
    **what: Any,
) -> None:
    """Write a change to the team's shifts in its history and apply it at once: who is on
    shift now may differ."""
    repository.add(
        uow.session,
        change(
            id=uuid.uuid4(),
            team_key=team_key,
            version=version,
            actor=actor,
            actor_name=actor_name,
            at=at,
            **what,
        ),
    )
    await uow.session.flush()
    await apply_shift_changes(uow, team_key, at, min_level=min_level)


async def _off_shift_holders(uow: UnitOfWork, team_key: str, at: datetime) -> list[uuid.UUID]:
    """Agents of the team who hold work the team's handover moves but are off shift."""
    roster = (await rosters_at(uow.session, at, team_key)).get(team_key)
    if roster is None or not MOVES[roster.handover]:
        return []
    on_shift = roster.on_shift(at)
    return [
        a.id
        for a in await repository.agents_of(uow.session, team_key)
        if a.id not in on_shift and a.active_count > 0
    ]


async def apply_shift_changes(
    uow: UnitOfWork, team_key: str, at: datetime, *, min_level: int = DEFAULT_MIN_LEVEL
) -> ShiftChange:
    """Hand over the open work of agents off shift at ``at`` (by the team's setting), then
    serve the queue with the agents on shift. Safe on several replicas: it locks the
    team's agents first (routing's order), so a second replica waits and finds it done.
    Announces who is on shift when that changed."""
    holders = await _off_shift_holders(uow, team_key, at)
    pool = await lock_pool(uow, [team_key], holders, min_level=min_level, at=at)
    change = ShiftChange()
    roster = pool.rosters.get(team_key)
    for agent_id in holders:
        agent = pool.agents[agent_id]
        if roster is None or pool.is_on_shift(agent):
            continue  # the roster changed while this transaction waited for the locks
        for moved in await repository.lock_work_of(uow.session, agent_id, MOVES[roster.handover]):
            release(pool, moved)
            moved.agent_id = None
            moved.state = dispatch_domain.QUEUED
            chosen = pool.pick(moved, exclude=agent_id)
            if chosen is None:
                queue(uow, moved, None, reason=f"agent {agent.name} went off shift")
            else:
                give_to(uow, pool, moved, chosen, None, reason="shift handover")
            change.handed_over.append(moved.id)
    change.drained = [a.id for a in await drain(uow, pool, [team_key])]
    change.announced = await announce_on_shift(uow, team_key, at)
    return change


async def needs_attention(uow: UnitOfWork, team_key: str, at: datetime) -> bool:
    """Without locks: is there a queue to serve or work to hand over (most ticks: no)?"""
    if await repository.queued_count(uow.session, team_key):
        return True
    return bool(await _off_shift_holders(uow, team_key, at))


async def run_shift_changes(
    units: Callable[[], UnitOfWork], at: datetime, *, min_level: int = DEFAULT_MIN_LEVEL
) -> int:
    """Every team with a roster, one transaction each: returns assignments moved. A team
    with nothing to move still has who is on shift announced if that changed (a shift
    began or ended with no work to hand over, a new day, a renamed agent)."""
    async with units() as uow:
        teams = sorted(await repository.rosters(uow.session))
    moved = 0
    for team_key in teams:
        async with units() as uow:
            if await needs_attention(uow, team_key, at):
                change = await apply_shift_changes(uow, team_key, at, min_level=min_level)
            elif await announce_on_shift(uow, team_key, at):
                change = ShiftChange(announced=True)
            else:
                continue
            await uow.commit()
        moved += len(change.handed_over) + len(change.drained)
    return moved


# --------------------------------------------------------------------------- demo shifts

# `sopdesk up`: the front line works 24×7 in three shifts (seed 004, 轮班制), its night shift
# alternating between its two demo agents; every other team in two 12-hour shifts. So the
# demo assigns at any hour, on shift only.
_FRONTLINE = (
    ("早班", "08:00", "16:00", range(7), (1,)),
    ("中班", "16:00", "24:00", range(7), (2,)),
    ("夜班", "00:00", "08:00", (0, 2, 4, 6), (1,)),
    ("夜班", "00:00", "08:00", (1, 3, 5), (2,)),
)
_TWO_SHIFTS = (
    ("白班", "08:00", "20:00", range(7), (1,)),
    ("夜班", "20:00", "08:00", range(7), (2,)),
)
DEMO_ACTOR = ("key:sopdesk up", "sopdesk up")


async def add_demo_shifts(uow: UnitOfWork, at: datetime) -> int:
    """Give every default team without a roster its demo shifts; returns how many."""
    existing = await repository.rosters(uow.session)
    agents = {a.name: a.id for a in await dispatch_repository.list_agents(uow.session)}
    added = 0
    for team_key in dispatch_domain.DEFAULT_TEAM_KEYS:
        if team_key in existing:
            continue
        patterns = _FRONTLINE if team_key == "frontline" else _TWO_SHIFTS
        shifts = []
        for name, start, end, days, numbers in patterns:
            ids = [agents.get(f"{team_key}-agent-{n}") for n in numbers]
            shifts.append(
                {
                    "name": name,
                    "start": start,
                    "end": end,
                    "days": list(days),
                    # 24×7: the demo works on public holidays too.
                    "holidays": "work",
                    "agent_ids": [str(i) for i in ids if i is not None],
                }
            )
        await set_roster(
            uow,
            team_key,
            timezone="Asia/Shanghai",
            handover="queue",
            shifts=shifts,
            actor=DEMO_ACTOR[0],
            actor_name=DEMO_ACTOR[1],
            at=at,
        )
        added += 1
    return added
