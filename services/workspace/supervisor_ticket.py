"""One ticket's supervision page: reassign, take over, re-triage.

Actions send the version the page showed (``expected_version``): a page drawn before the
ticket changed is told so and nothing is applied."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.workspace import console_words  # noqa: F401  (the screens' words)
from services.workspace.clients import ServiceProblem
from services.workspace.console import (
    NO_FEEDBACK,
    Feedback,
    at_most,
    back_to,
    clients_of,
    done_feedback,
    of_form,
    problem_fields,
    problem_text,
    read_form,
    refused,
    required,
    stale,
    supervisor,
    words_of,
)
from services.workspace.pages import language_of, render
from services.workspace.session import SignedInPerson
from services.workspace.supervisor import NOTE_LIMIT, optional, teams_of
from shared.vocabulary import CATEGORIES, PRIORITIES, SCENES, Language

router = APIRouter(prefix="/supervisor", include_in_schema=False)


async def _assignment_page(
    request: Request,
    person: SignedInPerson,
    assignment_id: uuid.UUID,
    feedback: Feedback = NO_FEEDBACK,
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
        optional(clients.get("followup", f"/v1/sla/{ticket_id}", token)),
        optional(clients.get("triage", f"/v1/decisions/{ticket_id}", token)),
        optional(clients.get("dispatch", f"/v1/tickets/{ticket_id}/activity", token)),
        clients.get("dispatch", "/v1/teams", token),
    )
    language: Language = "en" if language_of(request) == "en" else "zh"
    return render(
        request,
        "supervisor/assignment.html",
        person,
        current_path=f"/supervisor/assignments/{assignment_id}",
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
        **feedback.shown(),
    )


@router.get("/assignments/{assignment_id}", response_class=HTMLResponse)
async def assignment_page(
    request: Request,
    assignment_id: uuid.UUID,
    done: str | None = None,
    person: SignedInPerson = Depends(supervisor),
) -> Response:
    return await _assignment_page(request, person, assignment_id, done_feedback(request, done))


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
                told = stale(problem_text(t, problem))
                return await _assignment_page(request, person, assignment_id, told)
            errors = problem_fields(t, problem, set(body))
        else:
            return back_to(f"/supervisor/assignments/{assignment_id}", done=done)
    shown = refused(of_form(prefix, errors), of_form(prefix, form))
    return await _assignment_page(request, person, assignment_id, shown)


def _version(form: dict[str, str]) -> int | None:
    raw = form.get("expected_version", "")
    return int(raw) if raw.isdigit() else None


async def _dispatch_action(
    request: Request,
    person: SignedInPerson,
    assignment_id: uuid.UUID,
    *,
    action: str,
    fields: tuple[str, ...],
    prefix: str,
    done: str,
) -> Response:
    """An action on the assignment in dispatch (``fields`` and a reason, all required), sent
    with the version the page showed."""
    t = words_of(request)
    form = await read_form(request)
    errors: dict[str, str] = {}
    required(t, form, errors, *fields, "reason")
    at_most(t, form, errors, reason=NOTE_LIMIT)
    body = {
        **{name: form.get(name) for name in fields},
        "reason": form.get("reason"),
        "expected_version": _version(form),
    }
    return await _act(
        request,
        person,
        assignment_id,
        service="dispatch",
        path=f"/v1/assignments/{assignment_id}/{action}",
        body=body,
        form=form,
        errors=errors,
        prefix=prefix,
        done=done,
    )


@router.post("/assignments/{assignment_id}/reassign", response_class=HTMLResponse)
async def reassign(
    request: Request, assignment_id: uuid.UUID, person: SignedInPerson = Depends(supervisor)
) -> Response:
    return await _dispatch_action(
        request,
        person,
        assignment_id,
        action="reassign",
        fields=("agent_id",),
        prefix="reassign",
        done="reassigned",
    )


@router.post("/assignments/{assignment_id}/take-over", response_class=HTMLResponse)
async def take_over(
    request: Request, assignment_id: uuid.UUID, person: SignedInPerson = Depends(supervisor)
) -> Response:
    return await _dispatch_action(
        request,
        person,
        assignment_id,
        action="take-over",
        fields=(),
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
