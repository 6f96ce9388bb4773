"""The supervisor's team inbox: handle or dismiss an item with a note, approve or reject
compensation, grant or refuse more time."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.workspace import console_words  # noqa: F401  (the screens' words)
from services.workspace.clients import ServiceProblem
from services.workspace.console import (
    NO_FEEDBACK,
    Feedback,
    Words,
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
    settings_of,
    stale,
    supervisor,
    word_inbox_item,
    words_of,
)
from services.workspace.pages import local_time, render
from services.workspace.session import SignedInPerson
from services.workspace.supervisor import NOTE_LIMIT, teams_of

router = APIRouter(prefix="/supervisor", include_in_schema=False)

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
    feedback: Feedback = NO_FEEDBACK,
    *,
    state: str = "open",
    team: str | None = None,
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
    t = words_of(request)
    zone = settings_of(request).zone

    def item_line(item: dict[str, Any]) -> str:
        return word_inbox_item(item, t, lambda value: local_time(value, zone))

    return render(
        request,
        "supervisor/inbox.html",
        person,
        current_path="/supervisor",
        teams=teams,
        team=params["team"] or "",
        state=state,
        states=INBOX_STATES,
        sections=_sections(inbox),
        approvals=inbox.get("pending_approvals", []) if state == "open" else [],
        item_line=item_line,
        **feedback.shown(),
    )


@router.get("", response_class=HTMLResponse)
async def inbox(
    request: Request,
    state: str = "open",
    team: str | None = None,
    done: str | None = None,
    person: SignedInPerson = Depends(supervisor),
) -> Response:
    return await _inbox_page(request, person, done_feedback(request, done), state=state, team=team)


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
            if problem.status == 409:
                return await _inbox_page(
                    request, person, stale(problem_text(t, problem)), team=team
                )
            errors = of_form(key, problem_fields(t, problem, set(body)))
        else:
            return back_to("/supervisor", done=done, team=team or "")
    return await _inbox_page(request, person, refused(errors, of_form(key, form)), team=team)


def note_errors(
    t: Words, form: dict[str, str], key: str, field: str = "note", *, needed: bool
) -> dict[str, str]:
    """What is wrong with the note (or reason) of a decision on item ``key``, next to the
    item's field: too long, or missing where the action needs one."""
    errors: dict[str, str] = {}
    if needed:
        required(t, form, errors, field)
    at_most(t, form, errors, **{field: NOTE_LIMIT})
    return {f"{key}.{name}": text for name, text in errors.items()}


async def _decide(
    request: Request,
    person: SignedInPerson,
    item_id: uuid.UUID,
    action: str,
    *,
    path: str,
    done: dict[str, str],
    needed_for: tuple[str, ...],
    field: str = "note",
) -> Response:
    """One decision on an inbox item (``{path}/{action}`` on dispatch, ``done``: the actions
    and how each is told) carrying a note or reason of at most ``NOTE_LIMIT`` characters,
    required for the actions in ``needed_for``."""
    if action not in done:
        raise ServiceProblem(404, "not_found", "No such action.", "workspace")
    form = await read_form(request)
    key = str(item_id)
    errors = note_errors(words_of(request), form, key, field, needed=action in needed_for)
    return await _inbox_action(
        request,
        person,
        key=key,
        path=f"{path}/{action}",
        body={field: form.get(field) or None},
        form=form,
        errors=errors,
        done=done[action],
    )


@router.post("/inbox/{item_id}/{action}", response_class=HTMLResponse)
async def close_item(
    request: Request, item_id: uuid.UUID, action: str, person: SignedInPerson = Depends(supervisor)
) -> Response:
    return await _decide(
        request,
        person,
        item_id,
        action,
        path=f"/v1/supervisor/inbox/{item_id}",
        done={"handle": "item_handled", "dismiss": "item_dismissed"},
        needed_for=("handle", "dismiss"),
    )


@router.post("/compensations/{compensation_id}/{action}", response_class=HTMLResponse)
async def decide_compensation(
    request: Request,
    compensation_id: uuid.UUID,
    action: str,
    person: SignedInPerson = Depends(supervisor),
) -> Response:
    return await _decide(
        request,
        person,
        compensation_id,
        action,
        path=f"/v1/compensations/{compensation_id}",
        done={"approve": "compensation_approved", "reject": "compensation_rejected"},
        needed_for=("reject",),
        field="reason",
    )


@router.post("/extension-requests/{request_id}/{action}", response_class=HTMLResponse)
async def decide_extension(
    request: Request,
    request_id: uuid.UUID,
    action: str,
    person: SignedInPerson = Depends(supervisor),
) -> Response:
    return await _decide(
        request,
        person,
        request_id,
        action,
        path=f"/v1/extension-requests/{request_id}",
        done={"grant": "extension_granted", "refuse": "extension_refused"},
        needed_for=("refuse",),
    )
