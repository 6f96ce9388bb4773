"""The agent's screens: my work, the ticket page and its actions, search.

Every page is composed from the services' answers with the person's own token, so each
service's permissions decide what the person sees; a part a service refuses or cannot
give is shown as unavailable, not as an error page (only the ticket itself is needed).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.workspace import work
from services.workspace.clients import ServiceProblem
from services.workspace.console import clients_of, settings_of
from services.workspace.live import LiveHub
from services.workspace.pages import render
from services.workspace.session import SignedInPerson, sessions_of, signed_in

router = APIRouter(include_in_schema=False)
T = TypeVar("T")

# Codes dispatch takes for a resolution (any lower-case code is accepted; these are offered).
RESOLUTION_CODES = (
    "resolved",
    "explained",
    "password_reset",
    "refund_issued",
    "replaced",
    "repaired",
    "delivered",
    "duplicate",
    "no_response",
)


async def _part(call: Awaitable[T]) -> T | ServiceProblem:
    """A part of a page: its answer, or why it is missing."""
    try:
        return await call
    except ServiceProblem as problem:
        return problem


def _ok(value: Any) -> Any:
    return None if isinstance(value, ServiceProblem) else value


async def my_assignments(request: Request, person: SignedInPerson) -> list[dict[str, Any]]:
    """The person's open assignments (one call per open state, at once); "my work" sorts
    them into its views here, so one page load shows every view's count."""
    clients = clients_of(request)
    answers = await asyncio.gather(
        *(
            clients.get(
                "dispatch",
                "/v1/assignments",
                person.token,
                agent=str(person.id),
                state=state,
                limit=500,
            )
            for state in work.OPEN_STATES
        )
    )
    return [item for answer in answers for item in (answer or [])]


# --------------------------------------------------------------------------- my work


async def _my_work_in(
    template: str, request: Request, person: SignedInPerson, view: str
) -> Response:
    """The person's work in one view (an unknown view is "open"), live for its tickets."""
    view = view if view in work.VIEWS else "open"
    items = await my_assignments(request, person)
    buckets = work.bucket(items, datetime.now(UTC))
    hub: LiveHub = request.app.state.live
    hub.showing(person, (item.get("ticket_id") for item in items))
    return render(
        request,
        template,
        person,
        view=view,
        views=work.VIEWS,
        counts={name: len(entries) for name, entries in buckets.items()},
        items=buckets.get(view, buckets["open"]),
        deadline=work.running_deadline,
    )


@router.get("/", response_class=HTMLResponse)
async def my_work(
    request: Request, view: str = "open", person: SignedInPerson = Depends(signed_in)
) -> Response:
    return await _my_work_in("my_work.html", request, person, view)


@router.get("/work", response_class=HTMLResponse)
async def work_list(
    request: Request, view: str = "open", person: SignedInPerson = Depends(signed_in)
) -> Response:
    """The list and the view counts alone (htmx swaps them on a live signal)."""
    return await _my_work_in("work_list.html", request, person, view)


# --------------------------------------------------------------------------- search


@router.get("/search", response_class=HTMLResponse)
async def search(
    request: Request,
    q: str = Query(default="", max_length=200),
    person: SignedInPerson = Depends(signed_in),
) -> Response:
    q = q.strip()
    items: list[dict[str, Any]] = []
    problem: ServiceProblem | None = None
    if q:
        try:
            answer = await clients_of(request).get(
                "intake", "/v1/search", person.token, q=q[:100], limit=50
            )
            items = list((answer or {}).get("items", []))
        except ServiceProblem as refused:
            problem = refused
    return render(request, "search.html", person, search_query=q, items=items, problem=problem)


# --------------------------------------------------------------------------- the ticket


async def _assignment_for(
    request: Request, person: SignedInPerson, ticket: dict[str, Any]
) -> dict[str, Any] | None:
    """The ticket's assignment at dispatch, asked for by the ticket's id (one indexed row);
    a dispatch that ignores ``ticket=`` (answering other tickets' assignments) is searched
    as before: among the assignee's (as intake last heard), else the person's own, else
    the team's, newest first."""
    clients = clients_of(request)
    ticket_id = str(ticket["ticket_id"])
    answer = _ok(
        await _part(clients.get("dispatch", "/v1/assignments", person.token, ticket=ticket_id))
    )
    if isinstance(answer, list):
        found = [a for a in answer if str(a.get("ticket_id")) == ticket_id]
        if found or not answer:
            return found[0] if found else None
    assignee = (ticket.get("assignee") or {}).get("agent_id")
    lookups: list[dict[str, Any]] = [{"agent": str(assignee or person.id)}]
    if ticket.get("team"):
        lookups.append({"team": ticket["team"]})
    for lookup in lookups:
        answer = _ok(
            await _part(
                clients.get("dispatch", "/v1/assignments", person.token, limit=500, **lookup)
            )
        )
        found = [a for a in answer or [] if str(a.get("ticket_id")) == ticket_id]
        if found:
            return found[0]
    return None


async def ticket_parts(request: Request, person: SignedInPerson, ref: str) -> dict[str, Any]:
    """Everything the ticket page shows; the ticket itself is required (its refusal is the
    page's), every other part may be missing."""
    clients = clients_of(request)
    token = person.token
    if ref in (".", ".."):  # never a path segment of intake's URL
        raise ServiceProblem(404, "not_found", "No such ticket.", service="intake")
    ticket: dict[str, Any] = await clients.get(
        "intake", f"/v1/tickets/{quote(ref, safe='')}", token
    )
    ticket_id = str(ticket["ticket_id"])
    customer_id = ticket.get("customer_id")
    (
        conversation,
        activity,
        assignment,
        clocks,
        macros,
        customer,
        history,
    ) = await asyncio.gather(
        _part(clients.get("intake", f"/v1/tickets/{ticket_id}/messages", token)),
        _part(clients.get("dispatch", f"/v1/tickets/{ticket_id}/activity", token)),
        _part(_assignment_for(request, person, ticket)),
        _part(clients.get("followup", f"/v1/sla/{ticket_id}", token)),
        _part(clients.get("intake", f"/v1/tickets/{ticket_id}/macros", token)),
        _part(clients.get("intake", f"/v1/customers/{customer_id}", token))
        if customer_id
        else _none(),
        _part(clients.get("intake", f"/v1/customers/{customer_id}/tickets", token))
        if customer_id
        else _none(),
    )
    assignment = _ok(assignment)
    suggestions = list((assignment or {}).get("kb_suggestions") or [])
    if not suggestions:
        found = _ok(
            await _part(
                clients.get("triage", "/v1/kb/search", token, q=ticket.get("subject", ""), limit=3)
            )
        )
        suggestions = [
            {**hit.get("article", {}), "score": hit.get("score")} for hit in (found or [])
        ]
    messages = _ok(conversation)
    history_items = _ok(history)
    if isinstance(history_items, dict):
        history_items = history_items.get("items") or history_items.get("tickets")
    if history_items is None and _ok(customer):
        history_items = _ok(customer).get("tickets")
    hub: LiveHub = request.app.state.live
    hub.showing(person, [ticket_id])
    return {
        "ticket": ticket,
        "ticket_id": ticket_id,
        "thread": work.thread(
            messages.get("messages") if isinstance(messages, dict) else None, _ok(activity)
        ),
        "thread_problems": [p for p in (conversation, activity) if isinstance(p, ServiceProblem)],
        "assignment": assignment,
        "clocks": (_ok(clocks) or {}).get("clocks", []),
        "macros": _ok(macros) or [],
        "customer": _ok(customer),
        "history": [h for h in (history_items or []) if str(h.get("ticket_id")) != ticket_id],
        "suggestions": suggestions,
    }


async def _none() -> None:
    return None


async def _teams(request: Request, person: SignedInPerson) -> list[dict[str, Any]]:
    answer = _ok(await _part(clients_of(request).get("dispatch", "/v1/teams", person.token)))
    return list(answer or [])


async def _ticket_page(
    request: Request,
    person: SignedInPerson,
    ref: str,
    *,
    status_code: int = 200,
    flash: str | None = None,
    flash_level: str = "ok",
    failed: str | None = None,
    errors: dict[str, str] | None = None,
    draft: dict[str, str] | None = None,
    revealed: dict[str, Any] | None = None,
) -> Response:
    parts, teams = await asyncio.gather(ticket_parts(request, person, ref), _teams(request, person))
    return render(
        request,
        "ticket.html",
        person,
        status_code=status_code,
        flash=flash,
        flash_level=flash_level,
        failed=failed,
        errors=errors or {},
        draft=draft or {},
        revealed=revealed,
        teams=teams,
        resolution_codes=RESOLUTION_CODES,
        # After a form was sent the address is the action's: links lead back to the ticket.
        current_path=f"/tickets/{quote(ref, safe='')}",
        compensation_kinds=work.COMPENSATION_KINDS,
        ref=ref,
        **parts,
    )


@router.get("/tickets/{ref}", response_class=HTMLResponse)
async def ticket_page(
    request: Request, ref: str, done: str = "", person: SignedInPerson = Depends(signed_in)
) -> Response:
    t = None
    if done in work.ACTIONS or done in ("reveal", "answer"):
        t = f"done.{done}"
    return await _ticket_page(request, person, ref, flash=t)


@router.get("/tickets/{ref}/thread", response_class=HTMLResponse)
async def ticket_thread(
    request: Request, ref: str, person: SignedInPerson = Depends(signed_in)
) -> Response:
    """The thread and the assignment's state alone (htmx swaps them on a live signal)."""
    parts = await ticket_parts(request, person, ref)
    return render(request, "ticket_live.html", person, ref=ref, **parts)


@router.post("/tickets/{ref}/actions/{action}", response_class=HTMLResponse)
async def act(
    request: Request, ref: str, action: str, person: SignedInPerson = Depends(signed_in)
) -> Response:
    form = await sessions_of(request).form(request)
    if action not in work.ACTIONS:
        return await _ticket_page(
            request, person, ref, status_code=404, flash="error.not_found", flash_level="error"
        )
    assignment_id = form.get("assignment_id", "")
    try:
        uuid.UUID(assignment_id)
    except ValueError:
        return await _ticket_page(
            request, person, ref, status_code=422, flash="error.no_assignment", flash_level="error"
        )
    asked = work.action_request(action, assignment_id, form, settings_of(request).zone)
    if not asked.errors:
        try:
            await clients_of(request).post(asked.service, asked.path, person.token, asked.body)
        except ServiceProblem as problem:
            if problem.status == 409 and problem.code == "stale_assignment":
                return await _ticket_page(
                    request,
                    person,
                    ref,
                    status_code=409,
                    flash="error.stale_assignment",
                    flash_level="stale",
                    failed=action,
                    draft=form,
                )
            if problem.status in (401, 503) or problem.status >= 500:
                raise
            asked.errors = {name: f"!{message}" for name, message in problem.fields.items()} or {
                "form": f"!{problem.message}"
            }
            asked.errors.setdefault("form", f"error.{problem.code}")
            return await _ticket_page(
                request,
                person,
                ref,
                status_code=problem.status if problem.status < 500 else 502,
                failed=action,
                errors=asked.errors,
                draft=form,
                flash=f"!{problem.message}",
                flash_level="error",
            )
        return RedirectResponse(f"/tickets/{quote(ref, safe='')}?done={action}", status_code=303)
    return await _ticket_page(
        request,
        person,
        ref,
        status_code=422,
        failed=action,
        errors=asked.errors,
        draft=form,
        flash="error.check_fields",
        flash_level="error",
    )


@router.post("/tickets/{ref}/reveal", response_class=HTMLResponse)
async def reveal(
    request: Request, ref: str, person: SignedInPerson = Depends(signed_in)
) -> Response:
    """Show one raw contact, once, on this page only (intake audits who, when and why)."""
    form = await sessions_of(request).form(request)
    customer_id, contact_id = form.get("customer_id", ""), form.get("contact_id", "")
    reason = form.get("reason", "").strip()
    errors: dict[str, str] = {}
    if len(reason) < 2:
        errors["reason"] = "error.reason"
    elif len(reason) > 500:
        errors["reason"] = "error.too_long"
    if not errors:
        body = {"contact_id": contact_id, "reason": reason, "ticket_id": form.get("ticket_id")}
        try:
            answer = await clients_of(request).post(
                "intake",
                f"/v1/customers/{quote(customer_id, safe='')}/contacts/reveal",
                person.token,
                body,
            )
        except ServiceProblem as problem:
            if problem.status in (401, 503) or problem.status >= 500:
                raise
            errors = {"reason": f"!{problem.fields.get('reason') or problem.message}"}
        else:
            return await _ticket_page(request, person, ref, flash="done.reveal", revealed=answer)
    return await _ticket_page(
        request, person, ref, status_code=422, failed="reveal", errors=errors, draft=form
    )


@router.post("/tickets/{ref}/collaborations/{collaboration_id}/answer", response_class=HTMLResponse)
async def answer_collaboration(
    request: Request,
    ref: str,
    collaboration_id: uuid.UUID,
    person: SignedInPerson = Depends(signed_in),
) -> Response:
    """The asked colleague answers a collaborator request (dispatch decides who may)."""
    form = await sessions_of(request).form(request)
    text = form.get("text", "").strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "error.required"
    elif len(text) > 4000:
        errors["text"] = "error.too_long"
    if not errors:
        path = f"/v1/collaborations/{collaboration_id}/answer"
        try:
            await clients_of(request).post("dispatch", path, person.token, {"text": text})
        except ServiceProblem as problem:
            if problem.status in (401, 503) or problem.status >= 500:
                raise
            errors["text"] = f"!{problem.fields.get('text') or problem.message}"
        else:
            # Dispatch's ticket.collaboration_answered tells every workspace process's
            # pages of the ticket (and the asking agent's) through the live hub.
            return RedirectResponse(f"/tickets/{quote(ref, safe='')}?done=answer", status_code=303)
    return await _ticket_page(
        request,
        person,
        ref,
        status_code=422,
        failed=f"answer-{collaboration_id}",
        errors=errors,
        draft=form,
        flash="error.check_fields",
        flash_level="error",
    )
