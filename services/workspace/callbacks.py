"""Callbacks (回访, seed 003 回访确认): the person's team's open and overdue callback tasks,
soonest due first, and the form that records a call's outcome.

Follow-up owns the callbacks (``GET /v1/callbacks``, ``POST /v1/callbacks/{id}/complete``);
intake gives each its ticket number and subject. The person's own token makes every call,
so follow-up decides (and records) who completed it; a callback completed or cancelled
meanwhile (the ticket reopened) is told on the page and nothing is applied twice.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

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
    required,
    settings_of,
    stale,
    words_of,
)
from services.workspace.i18n import add_words
from services.workspace.pages import NavEntry, add_nav, language_of, render
from services.workspace.session import SignedInPerson, signed_in

router = APIRouter(prefix="/callbacks", include_in_schema=False)

add_nav(NavEntry("nav.callbacks", "/callbacks", ("agent", "supervisor", "viewer"), shortcut="c"))

VIEWS = ("open", "overdue", "completed")
TEXT_LIMIT = 2000  # follow-up's limit on outcome and verification
FIELDS = ("outcome", "score", "call_started_at", "call_ended_at", "verification")
TICKET_LOOKUPS = 8  # intake calls in flight at once for one page

add_words(
    {
        "nav.callbacks": {"zh-CN": "回访", "en": "Callbacks"},
        "shortcuts.callbacks": {"zh-CN": "回访", "en": "Callbacks"},
        "callbacks.title": {"zh-CN": "回访任务", "en": "Callbacks"},
        "callbacks.views": {"zh-CN": "回访视图", "en": "Callback views"},
        "callbacks.view.open": {"zh-CN": "待回访", "en": "Open"},
        "callbacks.view.overdue": {"zh-CN": "已逾期", "en": "Overdue"},
        "callbacks.view.completed": {"zh-CN": "已完成", "en": "Completed"},
        "callbacks.empty": {"zh-CN": "没有回访任务。", "en": "No callbacks."},
        "callbacks.no_team": {
            "zh-CN": "您不属于任何团队，没有回访任务。",
            "en": "You belong to no team, so no callbacks are yours.",
        },
        "callbacks.due": {"zh-CN": "应回访时间", "en": "Due"},
        "callbacks.overdue": {"zh-CN": "已逾期", "en": "Overdue"},
        "callbacks.owner": {"zh-CN": "负责团队", "en": "Team"},
        "callbacks.kind.after_sales_callback": {"zh-CN": "售后回访", "en": "After-sales callback"},
        "callbacks.kind.fault_callback": {"zh-CN": "故障回访", "en": "Fault callback"},
        "callbacks.kind.satisfaction_callback": {
            "zh-CN": "投诉满意度回访",
            "en": "Complaint satisfaction callback",
        },
        "callbacks.kind.suggestion_feedback": {"zh-CN": "建议反馈", "en": "Suggestion feedback"},
        "callbacks.complete": {"zh-CN": "记录回访结果", "en": "Record the outcome"},
        "callbacks.submit": {"zh-CN": "完成回访", "en": "Complete the callback"},
        "callbacks.outcome": {"zh-CN": "回访结果", "en": "Outcome"},
        "callbacks.outcome_hint": {
            "zh-CN": "客户是否确认问题已解决、是否满意、有无其他需求",
            "en": "Did the customer confirm it is solved, are they satisfied, anything else?",
        },
        "callbacks.score": {"zh-CN": "满意度（1–5）", "en": "Satisfaction (1–5)"},
        "callbacks.no_score": {"zh-CN": "未评分", "en": "No score"},
        "callbacks.call_started_at": {"zh-CN": "通话开始", "en": "Call started"},
        "callbacks.call_ended_at": {"zh-CN": "通话结束", "en": "Call ended"},
        "callbacks.verification": {"zh-CN": "问题核实过程", "en": "How it was verified"},
        "callbacks.completed_by": {
            "zh-CN": "{who} 于 {at} 完成回访",
            "en": "Completed by {who} at {at}",
        },
        "callbacks.times_in": {"zh-CN": "时间为 {zone} 当地时间", "en": "Times in {zone}"},
        "callbacks.ended_before_start": {
            "zh-CN": "通话结束时间早于开始时间。",
            "en": "The call ends before it starts.",
        },
        "callbacks.bad_time": {"zh-CN": "时间格式不正确。", "en": "Not a valid time."},
        "callbacks.bad_score": {"zh-CN": "请选择 1–5 分。", "en": "Choose 1 to 5."},
        "done.callback_completed": {"zh-CN": "回访已完成。", "en": "Callback completed."},
        "error.callback_already_completed": {
            "zh-CN": "此回访已完成，无需重复记录。",
            "en": "This callback was already completed; nothing was recorded twice.",
        },
        "error.callback_cancelled": {
            "zh-CN": "工单已重新打开，此回访已取消。",
            "en": "The ticket was reopened; this callback was cancelled.",
        },
        "error.callback_not_found": {"zh-CN": "找不到此回访任务。", "en": "No such callback."},
        "error.not_your_team": {
            "zh-CN": "此回访属于其他团队。",
            "en": "This callback belongs to another team.",
        },
    }
)


def _teams(person: SignedInPerson) -> list[str] | None:
    """The owner teams whose callbacks the person sees; None: every team (an admin, or a
    viewer with no team of their own)."""
    teams = sorted(person.teams | person.supervises)
    if "admin" in person.roles or (not teams and person.has_role("viewer")):
        return None
    return teams


def may_complete(person: SignedInPerson, callback: dict[str, Any]) -> bool:
    """Follow-up's rule, to show the form only where it will be taken."""
    if "admin" in person.roles:
        return True
    if not person.has_role("agent", "supervisor"):
        return False
    return callback.get("owner") in (person.teams | person.supervises)


async def _callbacks(
    request: Request, person: SignedInPerson, view: str, team: str | None
) -> list[dict[str, Any]]:
    clients = clients_of(request)
    teams = _teams(person)
    owners: list[str | None] = [team] if team and (teams is None or team in teams) else []
    if not owners:
        owners = list(teams) if teams is not None else [None]
    answers = await asyncio.gather(
        *(
            clients.get(
                "followup", "/v1/callbacks", person.token, owner=owner, state=view, limit=200
            )
            for owner in owners
        )
    )
    items = [item for answer in answers for item in (answer or {}).get("items", [])]
    if view == "completed":
        items.sort(key=lambda c: str(c.get("completed_at") or ""), reverse=True)
    else:
        items.sort(key=lambda c: str(c.get("due_at") or ""))
    return items


async def _tickets(
    request: Request, person: SignedInPerson, ticket_ids: set[str]
) -> dict[str, dict[str, Any]]:
    """Each callback's ticket (number, subject) at intake; a ticket intake refuses is
    shown by its id alone."""
    clients = clients_of(request)
    gate = asyncio.Semaphore(TICKET_LOOKUPS)

    async def one(ticket_id: str) -> tuple[str, dict[str, Any] | None]:
        async with gate:
            try:
                ticket = await clients.get("intake", f"/v1/tickets/{ticket_id}", person.token)
            except ServiceProblem:
                return ticket_id, None
        return ticket_id, ticket

    found = await asyncio.gather(*(one(ticket_id) for ticket_id in sorted(ticket_ids)))
    return {ticket_id: ticket for ticket_id, ticket in found if ticket}


async def _team_names(request: Request, person: SignedInPerson) -> dict[str, str]:
    """Each team's display name in the page's language; a team dispatch does not list (or
    dispatch down) is shown by its key."""
    try:
        teams = await clients_of(request).get("dispatch", "/v1/teams", person.token)
    except ServiceProblem:
        return {}
    english = language_of(request) == "en"
    return {
        t["key"]: (t.get("name_en") if english and t.get("name_en") else t.get("name") or t["key"])
        for t in teams or []
    }


async def _page(
    request: Request,
    person: SignedInPerson,
    feedback: Feedback = NO_FEEDBACK,
    *,
    view: str = "open",
    team: str | None = None,
    opened: str | None = None,
) -> Response:
    view = view if view in VIEWS else "open"
    teams = _teams(person)
    team = team if team and (teams is None or team in teams) else None
    no_team = teams is not None and not teams
    items = [] if no_team else await _callbacks(request, person, view, team)
    tickets, names = await asyncio.gather(
        _tickets(request, person, {str(c["ticket_id"]) for c in items}),
        _team_names(request, person),
    )
    return render(
        request,
        "callbacks.html",
        person,
        current_path="/callbacks",
        view=view,
        views=VIEWS,
        team=team or "",
        team_choices=[{"key": key, "name": names.get(key, key)} for key in teams or []],
        team_names=names,
        no_team=no_team,
        callbacks=items,
        tickets=tickets,
        may_complete=lambda callback: may_complete(person, callback),
        opened=opened,
        **feedback.shown(),
    )


@router.get("", response_class=HTMLResponse)
async def callbacks_page(
    request: Request,
    view: str = "open",
    team: str | None = None,
    done: str | None = None,
    person: SignedInPerson = Depends(signed_in),
) -> Response:
    return await _page(request, person, done_feedback(request, done), view=view, team=team)


def _instant(zone: ZoneInfo, text: str) -> str | None:
    """A ``datetime-local`` field (the display zone's wall time) as UTC ISO 8601."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).isoformat()


def completion_body(
    zone: ZoneInfo, t: Words, form: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as follow-up's ``CallbackCompletion``, and what is wrong with it by field."""
    errors: dict[str, str] = {}
    required(t, form, errors, "outcome")
    at_most(t, form, errors, outcome=TEXT_LIMIT, verification=TEXT_LIMIT)
    body: dict[str, Any] = {
        "outcome": form.get("outcome", ""),
        "verification": form.get("verification") or None,
    }
    score = form.get("score", "")
    if score:
        if score.isdigit() and 1 <= int(score) <= 5:
            body["score"] = int(score)
        else:
            errors["score"] = t("callbacks.bad_score")
    for name in ("call_started_at", "call_ended_at"):
        try:
            body[name] = _instant(zone, form.get(name, ""))
        except ValueError:
            errors[name] = t("callbacks.bad_time")
    start, end = body.get("call_started_at"), body.get("call_ended_at")
    if start and end and end < start:
        errors.setdefault("call_ended_at", t("callbacks.ended_before_start"))
    return body, errors


@router.post("/{callback_id}/complete", response_class=HTMLResponse)
async def complete(
    request: Request, callback_id: uuid.UUID, person: SignedInPerson = Depends(signed_in)
) -> Response:
    form = await read_form(request)
    t = words_of(request)
    key = str(callback_id)
    view, team = form.get("view", "open"), form.get("team") or None
    body, errors = completion_body(settings_of(request).zone, t, form)
    status_code = 422
    if not errors:
        try:
            await clients_of(request).post(
                "followup", f"/v1/callbacks/{callback_id}/complete", person.token, body
            )
        except ServiceProblem as problem:
            if problem.status >= 500:
                raise
            if problem.status in (404, 409):
                # Completed by someone else, or cancelled as the ticket reopened: the page
                # says so and shows the list as it is now.
                told = stale("!" + problem_text(t, problem), status_code=problem.status)
                return await _page(request, person, told, view=view, team=team)
            errors = problem_fields(t, problem, set(FIELDS))
            status_code = problem.status
        else:
            return back_to("/callbacks", done="callback_completed", view=view, team=team or "")
    shown = Feedback(of_form(key, errors), of_form(key, form), status_code=status_code)
    return await _page(request, person, shown, view=view, team=team, opened=key)
