"""The admin's screens for people, teams and agents (skills and capacity).

Each change is one call to dispatch's people and roster APIs with the admin's own token
(dispatch records who changed what: a person's history is shown on their page). A team's
form carries the ``updated_at`` it was drawn from; if the team changed meanwhile the admin
is told and shown the current one instead of overwriting it.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.workspace import console_words  # noqa: F401  (the screens' words)
from services.workspace.clients import ServiceProblem
from services.workspace.console import (
    NO_FEEDBACK,
    Feedback,
    admin,
    at_most,
    back_to,
    changed_meanwhile,
    clients_of,
    done_feedback,
    of_form,
    parse_levels,
    problem_fields,
    read_form_lists,
    refused,
    required,
    show_levels,
    split_list,
    words_of,
)
from services.workspace.pages import NavEntry, add_nav, render
from services.workspace.session import SignedInPerson

router = APIRouter(prefix="/admin", include_in_schema=False)

add_nav(NavEntry("nav.admin", "/admin", ("admin",), shortcut="m"))

ROLES = ("agent", "supervisor", "admin", "viewer")
AGENT_STATUSES = ("online", "away", "offline")
LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
TEAM_KEY = re.compile(r"[a-z][a-z0-9_]{1,31}")


@router.get("", response_class=HTMLResponse)
async def index(request: Request, person: SignedInPerson = Depends(admin)) -> Response:
    notices: list[dict[str, Any]] = []
    try:
        notices = await clients_of(request).get("triage", "/v1/admin/notices", person.token)
    except ServiceProblem as problem:
        if problem.status < 500:
            raise
    return render(request, "admin/index.html", person, notices=notices)


# --------------------------------------------------------------------------- people


async def _people_page(
    request: Request,
    person: SignedInPerson,
    feedback: Feedback = NO_FEEDBACK,
    *,
    created: dict[str, Any] | None = None,
) -> Response:
    clients = clients_of(request)
    people, teams = await asyncio.gather(
        clients.get("dispatch", "/v1/people", person.token, limit=1000),
        clients.get("dispatch", "/v1/teams", person.token),
    )
    return render(
        request,
        "admin/people.html",
        person,
        current_path="/admin/people",
        people=people,
        teams=teams,
        roles=ROLES,
        created=created,
        **feedback.shown(),
    )


@router.get("/people", response_class=HTMLResponse)
async def people(
    request: Request, done: str | None = None, person: SignedInPerson = Depends(admin)
) -> Response:
    return await _people_page(request, person, done_feedback(request, done))


def _person_fields(
    request: Request, form: dict[str, str], multi: dict[str, list[str]], errors: dict[str, str]
) -> dict[str, Any]:
    t = words_of(request)
    roles = [r for r in multi.get("roles", []) if r in ROLES]
    if not roles:
        errors["roles"] = t("error.roles_required")
    teams, supervises = split_list(form.get("teams")), split_list(form.get("supervises"))
    for name, keys in (("teams", teams), ("supervises", supervises)):
        if any(not TEAM_KEY.fullmatch(key) for key in keys):
            errors[name] = t("error.team_keys")
    if "agent" in roles and len(teams) != 1:
        errors.setdefault("teams", t("error.agent_needs_one_team"))
    if "supervisor" in roles and not supervises:
        errors.setdefault("supervises", t("error.supervisor_needs_teams"))
    return {"roles": roles, "teams": teams, "supervises": supervises}


@router.post("/people", response_class=HTMLResponse)
async def create_person(request: Request, person: SignedInPerson = Depends(admin)) -> Response:
    t = words_of(request)
    form, multi = await read_form_lists(request)
    errors: dict[str, str] = {}
    required(t, form, errors, "login", "display_name")
    at_most(t, form, errors, display_name=100)
    if form.get("login") and not LOGIN.fullmatch(form["login"]):
        errors["login"] = t("error.login_pattern")
    password = form.get("temporary_password", "")
    if password and len(password) < 10:
        errors["temporary_password"] = t("error.password_short")
    capacity = form.get("agent_capacity") or "5"
    if not capacity.isdigit() or not 1 <= int(capacity) <= 50:
        errors["agent_capacity"] = t("error.number_range", low=1, high=50)
    body = {
        "login": form.get("login"),
        "display_name": form.get("display_name"),
        **_person_fields(request, form, multi, errors),
        "temporary_password": password or None,
        "agent_capacity": int(capacity) if capacity.isdigit() else 5,
    }
    values = {**form, "roles": multi.get("roles", [])}
    if not errors:
        try:
            created = await clients_of(request).post("dispatch", "/v1/people", person.token, body)
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = problem_fields(t, problem, set(body))
        else:
            # The temporary password is shown this once (dispatch keeps only its hash).
            return await _people_page(request, person, Feedback(status_code=201), created=created)
    return await _people_page(request, person, refused(errors, values))


async def _person_page(
    request: Request,
    person: SignedInPerson,
    person_id: uuid.UUID,
    feedback: Feedback = NO_FEEDBACK,
    *,
    password: str | None = None,
) -> Response:
    clients = clients_of(request)
    found, changes = await asyncio.gather(
        clients.get("dispatch", f"/v1/people/{person_id}", person.token),
        clients.get("dispatch", f"/v1/people/{person_id}/changes", person.token),
    )
    return render(
        request,
        "admin/person.html",
        person,
        current_path=f"/admin/people/{person_id}",
        p=found,
        changes=changes,
        roles=ROLES,
        password=password,
        **feedback.shown(),
    )


@router.get("/people/{person_id}", response_class=HTMLResponse)
async def person_page(
    request: Request,
    person_id: uuid.UUID,
    done: str | None = None,
    person: SignedInPerson = Depends(admin),
) -> Response:
    return await _person_page(request, person, person_id, done_feedback(request, done))


@router.post("/people/{person_id}", response_class=HTMLResponse)
async def update_person(
    request: Request, person_id: uuid.UUID, person: SignedInPerson = Depends(admin)
) -> Response:
    t = words_of(request)
    form, multi = await read_form_lists(request)
    errors: dict[str, str] = {}
    required(t, form, errors, "display_name")
    at_most(t, form, errors, display_name=100)
    body = {
        "display_name": form.get("display_name"),
        **_person_fields(request, form, multi, errors),
    }
    if not errors:
        try:
            await clients_of(request).call(
                "dispatch", "PATCH", f"/v1/people/{person_id}", token=person.token, json=body
            )
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = problem_fields(t, problem, set(body))
        else:
            return back_to(f"/admin/people/{person_id}", done="saved")
    values = {**form, "roles": multi.get("roles", [])}
    return await _person_page(request, person, person_id, refused(errors, values))


@router.post("/people/{person_id}/{action}", response_class=HTMLResponse)
async def person_action(
    request: Request, person_id: uuid.UUID, action: str, person: SignedInPerson = Depends(admin)
) -> Response:
    if action not in ("disable", "enable", "reset-password"):
        raise ServiceProblem(404, "not_found", "No such action.", "workspace")
    await read_form_lists(request)
    t = words_of(request)
    try:
        answer = await clients_of(request).post(
            "dispatch", f"/v1/people/{person_id}/{action}", person.token, {}
        )
    except ServiceProblem as problem:
        if problem.status >= 500:
            raise
        errors = problem_fields(t, problem, set())
        return await _person_page(
            request, person, person_id, Feedback(errors=errors, status_code=409)
        )
    if action == "reset-password":
        return await _person_page(request, person, person_id, password=answer["temporary_password"])
    return back_to(f"/admin/people/{person_id}", done=action.replace("-", "_") + "d")


# --------------------------------------------------------------------------- teams


async def _teams_page(
    request: Request, person: SignedInPerson, feedback: Feedback = NO_FEEDBACK
) -> Response:
    teams = await clients_of(request).get("dispatch", "/v1/teams", person.token)
    return render(
        request,
        "admin/teams.html",
        person,
        current_path="/admin/teams",
        teams=teams,
        **feedback.shown(),
    )


@router.get("/teams", response_class=HTMLResponse)
async def teams(
    request: Request, done: str | None = None, person: SignedInPerson = Depends(admin)
) -> Response:
    return await _teams_page(request, person, done_feedback(request, done))


def _team_body(
    request: Request, form: dict[str, str], errors: dict[str, str], prefix: str
) -> dict[str, Any]:
    t = words_of(request)
    local: dict[str, str] = {}
    required(t, form, local, "name", "supervisor")
    at_most(t, form, local, name=100, name_en=100, supervisor=100)
    skills = split_list(form.get("skills"))
    if any(not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", s) for s in skills):
        local["skills"] = t("error.skill_keys")
    errors.update(of_form(prefix, local))
    return {
        "name": form.get("name"),
        "name_en": form.get("name_en") or None,
        "supervisor": form.get("supervisor"),
        "skills": skills,
    }


@router.post("/teams", response_class=HTMLResponse)
async def create_team(request: Request, person: SignedInPerson = Depends(admin)) -> Response:
    t = words_of(request)
    form, _ = await read_form_lists(request)
    errors: dict[str, str] = {}
    body = {"key": form.get("key"), **_team_body(request, form, errors, "new")}
    if not TEAM_KEY.fullmatch(form.get("key", "")):
        errors["new.key"] = t("error.team_key_pattern")
    if not errors:
        try:
            await clients_of(request).post("dispatch", "/v1/teams", person.token, body)
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = of_form("new", problem_fields(t, problem, set(body)))
        else:
            return back_to("/admin/teams", done="team_created")
    return await _teams_page(request, person, refused(errors, of_form("new", form)))


@router.post("/teams/{key}", response_class=HTMLResponse)
async def update_team(
    request: Request, key: str, person: SignedInPerson = Depends(admin)
) -> Response:
    t = words_of(request)
    form, _ = await read_form_lists(request)
    errors: dict[str, str] = {}
    body = _team_body(request, form, errors, key)
    clients = clients_of(request)
    if not errors:
        current = await clients.get("dispatch", f"/v1/teams/{key}", person.token)
        if str(current.get("updated_at") or "") != form.get("updated_at", ""):
            return await _teams_page(request, person, changed_meanwhile(request))
        try:
            await clients.call(
                "dispatch", "PATCH", f"/v1/teams/{key}", token=person.token, json=body
            )
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = of_form(key, problem_fields(t, problem, set(body)))
        else:
            return back_to("/admin/teams", done="saved")
    return await _teams_page(request, person, refused(errors, of_form(key, form)))


# --------------------------------------------------------------------------- agents


async def _agents_page(
    request: Request,
    person: SignedInPerson,
    feedback: Feedback = NO_FEEDBACK,
    *,
    team: str | None = None,
) -> Response:
    clients = clients_of(request)
    agents, teams = await asyncio.gather(
        clients.get("dispatch", "/v1/agents", person.token, team=team or None),
        clients.get("dispatch", "/v1/teams", person.token),
    )
    agents.sort(key=lambda a: (a["team_key"], a["name"]))
    return render(
        request,
        "admin/agents.html",
        person,
        current_path="/admin/agents",
        agents=agents,
        teams=teams,
        team=team or "",
        statuses=AGENT_STATUSES,
        show_levels=show_levels,
        **feedback.shown(),
    )


@router.get("/agents", response_class=HTMLResponse)
async def agents(
    request: Request,
    team: str | None = None,
    done: str | None = None,
    person: SignedInPerson = Depends(admin),
) -> Response:
    return await _agents_page(request, person, done_feedback(request, done), team=team)


@router.post("/agents/{agent_id}", response_class=HTMLResponse)
async def update_agent(
    request: Request, agent_id: uuid.UUID, person: SignedInPerson = Depends(admin)
) -> Response:
    t = words_of(request)
    form, _ = await read_form_lists(request)
    key = str(agent_id)
    errors: dict[str, str] = {}
    body: dict[str, Any] = {}
    try:
        body["skills"] = parse_levels(form.get("skills", ""))
        if any(not 1 <= level <= 5 for level in body["skills"].values()):
            raise ValueError("level")
    except ValueError:
        errors[f"{key}.skills"] = t("error.skill_levels")
    for name, low, high in (("capacity", 1, 100), ("chat_capacity", 0, 100)):
        raw = form.get(name, "")
        if name == "chat_capacity" and raw == "":
            continue
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[f"{key}.{name}"] = t("error.number_range", low=low, high=high)
        else:
            body[name] = int(raw)
    if form.get("status") in AGENT_STATUSES:
        body["status"] = form["status"]
    if not errors:
        try:
            await clients_of(request).call(
                "dispatch", "PATCH", f"/v1/agents/{agent_id}", token=person.token, json=body
            )
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            errors = of_form(key, problem_fields(t, problem, set(body)))
        else:
            return back_to("/admin/agents", done="saved", team=form.get("team_filter", ""))
    return await _agents_page(
        request, person, refused(errors, of_form(key, form)), team=form.get("team_filter") or None
    )
