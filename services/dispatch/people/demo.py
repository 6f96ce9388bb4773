"""Demo people for a local run: an account per demo agent, a supervisor per team, an admin
and a viewer, all with the one demo password that `sopdesk up` prints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatch.people import repository, service
from services.dispatch.people.passwords import hash_password
from shared.auth import Principal

SEEDER = Principal(role="admin", key_id="up", name="sopdesk up")


def _short(team_name: str) -> str:
    return team_name.split()[0] if team_name.split() else team_name


@dataclass(frozen=True)
class DemoPerson:
    login: str
    display_name: str
    roles: tuple[str, ...]
    teams: tuple[str, ...] = ()
    supervises: tuple[str, ...] = ()


async def add_demo_people(session: AsyncSession, password: str, now: datetime) -> list[str]:
    """Create the demo accounts that are missing; returns their logins."""
    taken = await repository.logins(session)
    teams = await repository.team_keys(session)
    wanted: list[DemoPerson] = []
    for agent in await repository.list_agents(session):
        team = teams.get(agent.team_key)
        number = agent.name.rsplit("-", 1)[-1]
        label = _short(team.name) if team else agent.team_key
        wanted.append(DemoPerson(agent.name, f"{label}{number}号", ("agent",), (agent.team_key,)))
    for team in teams.values():
        name = f"{_short(team.name)}主管"
        wanted.append(DemoPerson(team.supervisor, name, ("supervisor",), (), (team.key,)))
    wanted.append(DemoPerson("admin", "系统管理员", ("admin",)))
    wanted.append(DemoPerson("viewer", "报表查看", ("viewer",)))
    # A supervisor of several teams is one account supervising all of them.
    merged: dict[str, DemoPerson] = {}
    for w in wanted:
        if w.login in merged:
            known = merged[w.login]
            w = DemoPerson(
                w.login,
                known.display_name,
                known.roles,
                known.teams,
                tuple(sorted({*known.supervises, *w.supervises})),
            )
        merged[w.login] = w
    missing = [w for w in merged.values() if w.login not in taken]
    if not missing:
        return []
    # One hash for every demo account: they share the printed password anyway, and
    # hashing two dozen times would slow every local start.
    password_hash = await hash_password(password)
    for spec in missing:
        await service.create_person(
            session,
            login=spec.login,
            display_name=spec.display_name,
            roles=spec.roles,
            teams=spec.teams,
            supervises=spec.supervises,
            temporary_password=None,
            agent_capacity=5,
            by=SEEDER,
            now=now,
            must_change_password=False,
            password_hash=password_hash,
        )
    return [spec.login for spec in missing]
