"""The supervisor's console: the team inbox (handle or dismiss with a note, approve or reject
compensation, grant or refuse more time), the queue and open tickets, one ticket's
supervision page (reassign, take over, re-triage) and the agents' status, load and today's
figures.

A supervisor sees and acts on the teams they supervise only (an admin on every team); the
services enforce it again on every call, with the person's own token. Actions on an
assignment send the version the page showed (``expected_version``): a page drawn before the
ticket changed is told so and nothing is applied.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.workspace import console_words  # noqa: F401  (the screens' words)
from services.workspace.clients import ServiceProblem
from services.workspace.console import (
    Words,
    at_most,
    back_to,
    clients_of,
    done_flash,
    problem_fields,
    problem_text,
    read_form,
    required,
    settings_of,
    supervisor,
    today_local,
    words_of,
)
from services.workspace.pages import NavEntry, add_nav, language_of, render
from services.workspace.session import SignedInPerson
from shared.vocabulary import CATEGORIES, PRIORITIES, SCENES, Language

router = APIRouter(prefix="/supervisor", include_in_schema=False)

add_nav(NavEntry("nav.supervisor_inbox", "/supervisor", ("supervisor",), shortcut="i"))
add_nav(NavEntry("nav.supervisor_queue", "/supervisor/queue", ("supervisor",), shortcut="q"))
add_nav(NavEntry("nav.supervisor_agents", "/supervisor/agents", ("supervisor",), shortcut="a"))

INBOX_STATES = ("open", "handled", "dismissed")
# The inbox's sections in the order a supervisor works them; any other list the inbox
# answers with is shown after these, under its own name.
INBOX_SECTIONS = (
    "extension_requests",
    "escalations",
    "reopened",
    "sla_breaches",
    "sla_warnings",
    "reports",
    "unsatisfied_surveys",
    "surveys",
)
OPEN_STATES = ("assigned", "accepted", "waiting_on_customer")
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


def _chosen(teams: list[dict[str, Any]], wanted: str | None) -> list[str]:
    keys = [team["key"] for team in teams]
    return [wanted] if wanted is not None and wanted in keys else keys


# --------------------------------------------------------------------------- inbox


def _sections(inbox: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    lists = {
        key: value
        for key, value in inbox.items()
        if isinstance(value, list) and key not in ("teams", "pending_approvals")
    }
    ordered = [key for key in INBOX_SECTIONS if key in lists]
    ordered += sorted(key for key in lists if key not in INBOX_SECTIONS)
    return [(key, lists[key]) for key in ordered]


async def _inbox_page(
    request: Request,
    person: SignedInPerson,
    *,
    state: str = "open",
    team: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    flash: str | None = None,
    flash_level: str = "ok",
    status_code: int = 200,
) -> Response:
    clients = clients_of(request)
    teams = await teams_of(request, person)
    state = state if state in INBOX_STATES else "open"
    params: dict[str, Any] = {
        "state": state,
        "team": team if team in {t["key"] for t in teams} else None,
    }
    inbox: dict[str, Any] = await clients.get(
        "dispatch", "/v1/supervisor/inbox", person.token, **params
    )
    extensions: dict[str, dict[str, Any]] = {}
    if state == "open" and inbox.get("extension_requests"):
        pending = await _optional(
            clients.get(
                "dispatch",
                "/v1/extension-requests",
                person.token,
                team=params["team"],
                state="pending",
                limit=500,
            )
        )
        extensions = {e["id"]: e for e in pending or []}
    return render(
        request,
        "supervisor/inbox.html",
        person,
        current_path="/supervisor",
        status_code=status_code,
        teams=teams,
        team=params["team"] or "",
        state=state,
        states=INBOX_STATES,
        sections=_sections(inbox),
        approvals=inbox.get("pending_approvals", []) if state == "open" else [],
        extensions=extensions,
        errors=errors or {},
        values=values or {},
        flash=flash,
        flash_level=flash_level,
    )


@router.get("", response_class=HTMLResponse)
async def inbox(
    request: Request,
    state: str = "open",
    team: str | None = None,
    done: str | None = None,
    person: SignedInPerson = Depends(supervisor),
) -> Response:
    return await _inbox_page(
        request, person, state=state, team=team, flash=done_flash(words_of(request), done)
    )


async def _inbox_action(
    request: Request,
    person: SignedInPerson,
    *,
    key: str,
    path: str,
    body: dict[str, Any],
    form: dict[str, str],
    errors: dict[str, str],
    done: str,
) -> Response:
    """One inbox action (a POST to dispatch); field errors next to the item's field, a
    refusal (already handled, decided meanwhile) told on the page."""
    t = words_of(request)
    team = form.get("team") or None
    if not errors:
        try:
            await clients_of(request).post("dispatch", path, person.token, body)
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = {
                f"{key}.{name}": text
                for name, text in problem_fields(t, problem, set(body)).items()
            }
            if problem.status == 409:
                return await _inbox_page(
                    request,
                    person,
                    team=team,
                    flash=problem_text(t, problem),
                    flash_level="stale",
                    status_code=409,
                )
        else:
            return back_to("/supervisor", done=done, team=team or "")
    values = {f"{key}.{name}": value for name, value in form.items()}
    return await _inbox_page(
        request, person, team=team, errors=errors, values=values, status_code=422
    )


def _note(t: Words, form: dict[str, str], key: str, field: str = "note") -> dict[str, str]:
    errors: dict[str, str] = {}
    required(t, form, errors, field)
    at_most(t, form, errors, **{field: NOTE_LIMIT})
    return {f"{key}.{name}": text for name, text in errors.items()}


@router.post("/inbox/{item_id}/{action}", response_class=HTMLResponse)
async def close_item(
    request: Request, item_id: uuid.UUID, action: str, person: SignedInPerson = Depends(supervisor)
) -> Response:
    if action not in ("handle", "dismiss"):
        raise ServiceProblem(404, "not_found", "No such action.", "workspace")
    form = await read_form(request)
    key = str(item_id)
    return await _inbox_action(
        request,
        person,
        key=key,
        path=f"/v1/supervisor/inbox/{item_id}/{action}",
        body={"note": form.get("note", "")},
        form=form,
        errors=_note(words_of(request), form, key),
        done={"handle": "item_handled", "dismiss": "item_dismissed"}[action],
    )


@router.post("/compensations/{compensation_id}/{action}", response_class=HTMLResponse)
async def decide_compensation(
    request: Request,
    compensation_id: uuid.UUID,
    action: str,
    person: SignedInPerson = Depends(supervisor),
) -> Response:
    if action not in ("approve", "reject"):
        raise ServiceProblem(404, "not_found", "No such action.", "workspace")
    form = await read_form(request)
    key = str(compensation_id)
    t = words_of(request)
    errors: dict[str, str] = {}
    if action == "reject":
        errors = _note(t, form, key, "reason")
    elif len(form.get("reason", "")) > NOTE_LIMIT:
        errors = {f"{key}.reason": t("error.too_long", limit=NOTE_LIMIT)}
    body = {"reason": form.get("reason") or None}
    return await _inbox_action(
        request,
        person,
        key=key,
        path=f"/v1/compensations/{compensation_id}/{action}",
        body=body,
        form=form,
        errors=errors,
        done={"approve": "compensation_approved", "reject": "compensation_rejected"}[action],
    )


@router.post("/extension-requests/{request_id}/{action}", response_class=HTMLResponse)
async def decide_extension(
    request: Request,
    request_id: uuid.UUID,
    action: str,
    person: SignedInPerson = Depends(supervisor),
) -> Response:
    if action not in ("grant", "refuse"):
        raise ServiceProblem(404, "not_found", "No such action.", "workspace")
    form = await read_form(request)
    key = str(request_id)
    t = words_of(request)
    errors = _note(t, form, key) if action == "refuse" else {}
    if len(form.get("note", "")) > NOTE_LIMIT:
        errors[f"{key}.note"] = t("error.too_long", limit=NOTE_LIMIT)
    return await _inbox_action(
        request,
        person,
        key=key,
        path=f"/v1/extension-requests/{request_id}/{action}",
        body={"note": form.get("note") or None},
        form=form,
        errors=errors,
        done="extension_granted" if action == "grant" else "extension_refused",
    )


# --------------------------------------------------------------------------- queue


@router.get("/queue", response_class=HTMLResponse)
async def queue(
    request: Request, team: str | None = None, person: SignedInPerson = Depends(supervisor)
) -> Response:
    clients = clients_of(request)
    teams = await teams_of(request, person)
    keys = _chosen(teams, team)

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
    agents = await _agent_names(request, person, keys)
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


async def _agents(
    request: Request, person: SignedInPerson, keys: list[str]
) -> list[dict[str, Any]]:
    clients = clients_of(request)
    found = await asyncio.gather(
        *(clients.get("dispatch", "/v1/agents", person.token, team=key) for key in keys)
    )
    return [agent for rows in found for agent in rows]


async def _agent_names(request: Request, person: SignedInPerson, keys: list[str]) -> dict[str, str]:
    return {
        agent["id"]: agent.get("display_name") or agent["name"]
        for agent in await _agents(request, person, keys)
    }


# --------------------------------------------------------------------------- agents


@router.get("/agents", response_class=HTMLResponse)
async def agents(
    request: Request, team: str | None = None, person: SignedInPerson = Depends(supervisor)
) -> Response:
    clients = clients_of(request)
    teams = await teams_of(request, person)
    keys = _chosen(teams, team)
    today = today_local(settings_of(request))
    rows = await _agents(request, person, keys)

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
        *(_optional(clients.get("dispatch", f"/v1/teams/{k}/on-shift", person.token)) for k in keys)
    )
    on_shift: dict[str, dict[str, Any]] = {}
    for view in shifts:
        if view and view.get("has_roster"):
            for working in view.get("agents", []):
                on_shift[working["id"]] = {
                    **working,
                    "takes_work": working["id"] in view["takes_work"],
                }
    rostered = {view["team_key"] for view in shifts if view and view.get("has_roster")}
    by_agent = {g["key"]: g["figures"] for g in groups}
    for agent in rows:
        # Analytics names an agent as people read it: the account's display name.
        shown = agent.get("display_name") or agent["name"]
        agent["today"] = by_agent.get(f"{agent['team_key']}/{shown}")
        # A team with shifts: who works now (None: the team has no roster).
        agent["shift"] = on_shift.get(agent["id"]) if agent["team_key"] in rostered else None
        agent["rostered"] = agent["team_key"] in rostered
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


# --------------------------------------------------------------------------- one ticket


async def _optional(call: Any) -> Any:
    """A part of the page another service may not have (yet): None when it is missing."""
    try:
        return await call
    except ServiceProblem as problem:
        if problem.status in (404, 405) or problem.status >= 500:
            return None
        raise


async def _assignment_page(
    request: Request,
    person: SignedInPerson,
    assignment_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    flash: str | None = None,
    flash_level: str = "ok",
    status_code: int = 200,
) -> Response:
    clients = clients_of(request)
    token = person.token
    assignment: dict[str, Any] = await clients.get(
        "dispatch", f"/v1/assignments/{assignment_id}", token
    )
    teams = await teams_of(request, person)
    if assignment["team_key"] not in {team["key"] for team in teams}:
        raise ServiceProblem(403, "not_team_supervisor", "Not a team you supervise.", "dispatch")
    ticket_id = assignment["ticket_id"]
    team_agents, clocks, decision, activity, all_teams = await asyncio.gather(
        clients.get("dispatch", "/v1/agents", token, team=assignment["team_key"]),
        _optional(clients.get("followup", f"/v1/sla/{ticket_id}", token)),
        _optional(clients.get("triage", f"/v1/decisions/{ticket_id}", token)),
        _optional(clients.get("dispatch", f"/v1/tickets/{ticket_id}/activity", token)),
        clients.get("dispatch", "/v1/teams", token),
    )
    language: Language = "en" if language_of(request) == "en" else "zh"
    return render(
        request,
        "supervisor/assignment.html",
        person,
        current_path=f"/supervisor/assignments/{assignment_id}",
        status_code=status_code,
        a=assignment,
        agents=team_agents,
        agent_names={a["id"]: a.get("display_name") or a["name"] for a in team_agents},
        clocks=(clocks or {}).get("clocks", []),
        decision=decision,
        activity=(activity if isinstance(activity, list) else (activity or {}).get("items", []))[
            -20:
        ],
        all_teams=all_teams,
        team_names={item["key"]: item["name"] for item in all_teams},
        categories=CATEGORIES.labels(language),
        priorities=[(key, key) for key in PRIORITIES.keys],
        scenes=SCENES.labels(language),
        errors=errors or {},
        values=values or {},
        flash=flash,
        flash_level=flash_level,
    )


@router.get("/assignments/{assignment_id}", response_class=HTMLResponse)
async def assignment_page(
    request: Request,
    assignment_id: uuid.UUID,
    done: str | None = None,
    person: SignedInPerson = Depends(supervisor),
) -> Response:
    return await _assignment_page(
        request, person, assignment_id, flash=done_flash(words_of(request), done)
    )


async def _act(
    request: Request,
    person: SignedInPerson,
    assignment_id: uuid.UUID,
    *,
    service: str,
    path: str,
    body: dict[str, Any],
    form: dict[str, str],
    errors: dict[str, str],
    prefix: str,
    done: str,
) -> Response:
    t = words_of(request)
    if not errors:
        try:
            await clients_of(request).post(service, path, person.token, body)
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            if problem.status == 409:
                # Stale page or a state that no longer allows it: the current ticket, told.
                return await _assignment_page(
                    request,
                    person,
                    assignment_id,
                    flash=problem_text(t, problem),
                    flash_level="stale",
                    status_code=409,
                )
            errors = problem_fields(t, problem, set(body))
        else:
            return back_to(f"/supervisor/assignments/{assignment_id}", done=done)
    return await _assignment_page(
        request,
        person,
        assignment_id,
        status_code=422,
        errors={f"{prefix}.{k}": v for k, v in errors.items()},
        values={f"{prefix}.{k}": v for k, v in form.items()},
    )


def _version(form: dict[str, str]) -> int | None:
    raw = form.get("expected_version", "")
    return int(raw) if raw.isdigit() else None


@router.post("/assignments/{assignment_id}/reassign", response_class=HTMLResponse)
async def reassign(
    request: Request, assignment_id: uuid.UUID, person: SignedInPerson = Depends(supervisor)
) -> Response:
    t = words_of(request)
    form = await read_form(request)
    errors: dict[str, str] = {}
    required(t, form, errors, "agent_id", "reason")
    at_most(t, form, errors, reason=NOTE_LIMIT)
    body = {
        "agent_id": form.get("agent_id"),
        "reason": form.get("reason"),
        "expected_version": _version(form),
    }
    return await _act(
        request,
        person,
        assignment_id,
        service="dispatch",
        path=f"/v1/assignments/{assignment_id}/reassign",
        body=body,
        form=form,
        errors=errors,
        prefix="reassign",
        done="reassigned",
    )


@router.post("/assignments/{assignment_id}/take-over", response_class=HTMLResponse)
async def take_over(
    request: Request, assignment_id: uuid.UUID, person: SignedInPerson = Depends(supervisor)
) -> Response:
    t = words_of(request)
    form = await read_form(request)
    errors: dict[str, str] = {}
    required(t, form, errors, "reason")
    at_most(t, form, errors, reason=NOTE_LIMIT)
    body = {"reason": form.get("reason"), "expected_version": _version(form)}
    return await _act(
        request,
        person,
        assignment_id,
        service="dispatch",
        path=f"/v1/assignments/{assignment_id}/take-over",
        body=body,
        form=form,
        errors=errors,
        prefix="take_over",
        done="taken_over",
    )


@router.post("/assignments/{assignment_id}/retriage", response_class=HTMLResponse)
async def retriage(
    request: Request, assignment_id: uuid.UUID, person: SignedInPerson = Depends(supervisor)
) -> Response:
    t = words_of(request)
    form = await read_form(request)
    errors: dict[str, str] = {}
    required(t, form, errors, "reason", "ticket_id")
    at_most(t, form, errors, reason=500)
    changes = {k: form.get(k) or None for k in ("category", "priority", "team", "scene")}
    if not errors and not any(changes.values()):
        errors["category"] = t("error.retriage_nothing")
    body = {"reason": form.get("reason"), **changes}
    return await _act(
        request,
        person,
        assignment_id,
        service="triage",
        path=f"/v1/tickets/{form.get('ticket_id')}/retriage",
        body=body,
        form=form,
        errors=errors,
        prefix="retriage",
        done="retriaged",
    )
