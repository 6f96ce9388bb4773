"""The supervisor's view of their teams: the queue and open tickets, the agents' status,
shift, leave today, load and today's figures."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.workspace import console_words  # noqa: F401  (the screens' words)
from services.workspace.clients import ServiceProblem
from services.workspace.console import clients_of, settings_of, supervisor, today_local
from services.workspace.pages import render
from services.workspace.session import SignedInPerson
from services.workspace.supervisor import agent_names, optional, team_agents, teams_shown

router = APIRouter(prefix="/supervisor", include_in_schema=False)

OPEN_STATES = ("assigned", "accepted", "waiting_on_customer")

# --------------------------------------------------------------------------- queue


@router.get("/queue", response_class=HTMLResponse)
async def queue(
    request: Request, team: str | None = None, person: SignedInPerson = Depends(supervisor)
) -> Response:
    clients = clients_of(request)
    teams, keys = await teams_shown(request, person, team)

    async def of_team(key: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        waiting = await clients.get("dispatch", "/v1/queue", person.token, team=key, limit=200)
        open_ = await asyncio.gather(
            *(
                clients.get(
                    "dispatch", "/v1/assignments", person.token, team=key, state=s, limit=200
                )
                for s in OPEN_STATES
            )
        )
        return waiting, [a for rows in open_ for a in rows]

    found = await asyncio.gather(*(of_team(key) for key in keys))
    waiting = [a for rows, _ in found for a in rows]
    working = sorted((a for _, rows in found for a in rows), key=lambda a: a["resolve_by"])
    agents = await agent_names(request, person, keys)
    return render(
        request,
        "supervisor/queue.html",
        person,
        teams=teams,
        team=team or "",
        waiting=waiting,
        working=working,
        agents=agents,
        team_names={item["key"]: item["name"] for item in teams},
    )


# --------------------------------------------------------------------------- agents


def with_shifts(agents: list[dict[str, Any]], views: list[dict[str, Any]]) -> None:
    """Each agent's shift from their team's on-shift view (dispatch's
    ``/v1/teams/{key}/on-shift``): ``rostered`` (the team has shifts), ``shift`` (the one
    they work now, None when off shift) and ``leave`` (their leave touching today)."""
    on_shift: dict[str, dict[str, Any]] = {}
    leave: dict[str, dict[str, Any]] = {}
    for view in views:
        if not view.get("has_roster"):
            continue
        for working in view.get("agents", []):
            on_shift[working["id"]] = {**working, "takes_work": working["id"] in view["takes_work"]}
        for exception in view.get("exceptions_today", []):
            if exception.get("kind") == "leave":
                leave[exception["agent_id"]] = exception
    rostered = {view["team_key"] for view in views if view.get("has_roster")}
    for agent in agents:
        agent["rostered"] = agent["team_key"] in rostered
        agent["shift"] = on_shift.get(agent["id"]) if agent["rostered"] else None
        agent["leave"] = leave.get(agent["id"]) if agent["rostered"] else None


@router.get("/agents", response_class=HTMLResponse)
async def agents(
    request: Request, team: str | None = None, person: SignedInPerson = Depends(supervisor)
) -> Response:
    teams, keys = await teams_shown(request, person, team)
    today = today_local(settings_of(request))
    rows = await team_agents(request, person, keys)
    clients = clients_of(request)

    async def figures(key: str) -> list[dict[str, Any]]:
        try:
            summary = await clients.get(
                "analytics",
                "/v1/metrics/summary",
                person.token,
                group_by="agent",
                team=key,
                since=today,
                until=today,
            )
        except ServiceProblem as problem:
            if problem.status >= 500:
                return []  # the figures are a help, the roster is the page
            raise
        return list(summary.get("groups", []))

    groups = [g for found in await asyncio.gather(*(figures(k) for k in keys)) for g in found]
    shifts = await asyncio.gather(
        *(optional(clients.get("dispatch", f"/v1/teams/{k}/on-shift", person.token)) for k in keys)
    )
    with_shifts(rows, [view for view in shifts if view])
    by_agent = {g["key"]: g["figures"] for g in groups}
    for agent in rows:
        # Analytics names an agent as people read it: the account's display name.
        shown = agent.get("display_name") or agent["name"]
        agent["today"] = by_agent.get(f"{agent['team_key']}/{shown}")
    rows.sort(key=lambda a: (a["team_key"], a["status"] != "online", a["name"]))
    return render(
        request,
        "supervisor/agents.html",
        person,
        teams=teams,
        team=team or "",
        agents=rows,
        today=today,
        team_names={item["key"]: item["name"] for item in teams},
    )
