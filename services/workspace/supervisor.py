"""The supervisor's console: what its screens share (the menu entries, the teams a person
supervises, the agents of those teams, the parts of a page another service may not have).

The screens are capability modules registered in ``app.ROUTERS``: ``supervisor_inbox``
(the team inbox: handle or dismiss with a note, approve or reject compensation, grant or
refuse more time), ``supervisor_team`` (the queue and open tickets, the agents' status,
load and today's figures) and ``supervisor_ticket`` (one ticket's supervision page:
reassign, take over, re-triage).

A supervisor sees and acts on the teams they supervise only (an admin on every team); the
services enforce it again on every call, with the person's own token. Actions on an
assignment send the version the page showed (``expected_version``): a page drawn before the
ticket changed is told so and nothing is applied.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request

from services.workspace.clients import ServiceProblem
from services.workspace.console import clients_of
from services.workspace.pages import NavEntry, add_nav
from services.workspace.session import SignedInPerson

add_nav(NavEntry("nav.supervisor_inbox", "/supervisor", ("supervisor",), shortcut="i"))
add_nav(NavEntry("nav.supervisor_queue", "/supervisor/queue", ("supervisor",), shortcut="q"))
add_nav(NavEntry("nav.supervisor_agents", "/supervisor/agents", ("supervisor",), shortcut="a"))

NOTE_LIMIT = 1000

# --------------------------------------------------------------------------- teams


async def teams_of(request: Request, person: SignedInPerson) -> list[dict[str, Any]]:
    """The teams this person supervises (an admin: every team), as dispatch has them."""
    teams: list[dict[str, Any]] = await clients_of(request).get(
        "dispatch", "/v1/teams", person.token
    )
    if "admin" in person.roles:
        return teams
    return [team for team in teams if team["key"] in person.supervises]


async def teams_shown(
    request: Request, person: SignedInPerson, wanted: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The teams this person supervises, and the keys of the one asked for (of every one
    when none, or a team not theirs, is asked for)."""
    teams = await teams_of(request, person)
    keys = [team["key"] for team in teams]
    return teams, [wanted] if wanted is not None and wanted in keys else keys


async def team_agents(
    request: Request, person: SignedInPerson, keys: list[str]
) -> list[dict[str, Any]]:
    """The agents of these teams, as dispatch has them."""
    clients = clients_of(request)
    found = await asyncio.gather(
        *(clients.get("dispatch", "/v1/agents", person.token, team=key) for key in keys)
    )
    return [agent for rows in found for agent in rows]


async def agent_names(request: Request, person: SignedInPerson, keys: list[str]) -> dict[str, str]:
    return {
        agent["id"]: agent.get("display_name") or agent["name"]
        for agent in await team_agents(request, person, keys)
    }


async def optional(call: Any) -> Any:
    """A part of the page another service may not have (yet): None when it is missing."""
    try:
        return await call
    except ServiceProblem as problem:
        if problem.status in (404, 405) or problem.status >= 500:
            return None
        raise
