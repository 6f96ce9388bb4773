"""Shifts and leave (排班与请假, seed 004 轮班制): a team's roster (read-only here), its
leave, swapped and extra shifts from today on, a form that records leave for an agent of
the team and a button that removes one.

Dispatch owns rosters and exceptions (``GET /v1/teams/{key}/shifts``, ``GET|POST
/v1/teams/{key}/shift-exceptions``, ``DELETE …/shift-exceptions/{id}``). Every call is made
with the signed-in person's token, so dispatch decides who may change a team (its
supervisor, or an admin) and records the named actor; its refusals (stable codes) are
shown on the page in the person's words, never as a server error.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
    problem_fields,
    problem_text,
    read_form,
    refused,
    required,
    settings_of,
    supervisor,
    words_of,
)
from services.workspace.i18n import add_words
from services.workspace.pages import NavEntry, add_nav, render
from services.workspace.session import SignedInPerson
from services.workspace.supervisor import optional, team_agents, teams_of

router = APIRouter(prefix="/supervisor/shifts", include_in_schema=False)

add_nav(NavEntry("nav.supervisor_shifts", "/supervisor/shifts", ("supervisor",), shortcut="s"))

NOTE_LIMIT = 200  # dispatch's limit on an exception's note
DAYS_SHOWN = 60  # exceptions touching today … today + 60 days
FIELDS = ("agent_id", "first_day", "last_day", "note")
# A refusal's code → the form field it is about (else it is said over the whole form).
CODE_FIELD = {
    "end_before_start": "last_day",
    "leave_too_long": "last_day",
    "unknown_agent": "agent_id",
    "agent_not_in_team": "agent_id",
}

add_words(
    {
        "nav.supervisor_shifts": {"zh-CN": "排班与请假", "en": "Shifts and leave"},
        "shortcuts.super_shifts": {"zh-CN": "排班与请假", "en": "Shifts and leave"},
        "shifts.title": {"zh-CN": "排班与请假", "en": "Shifts and leave"},
        "shifts.no_team": {
            "zh-CN": "您没有负责的团队。",
            "en": "You supervise no team.",
        },
        "shifts.roster": {"zh-CN": "班次表", "en": "Roster"},
        "shifts.no_roster": {
            "zh-CN": "此团队不排班：所有在线坐席都接单，无需登记请假。",
            "en": "This team works without shifts: every online agent takes work, no leave"
            " to record.",
        },
        "shifts.roster_facts": {
            "zh-CN": "时区 {zone} · 交接方式：{handover} · 第 {version} 版，{who} 于 {at} 设置",
            "en": "Time zone {zone} · handover: {handover} · version {version}, set by {who}"
            " at {at}",
        },
        "shifts.handover.keep": {"zh-CN": "保留（下个班次继续）", "en": "keep"},
        "shifts.handover.queue": {"zh-CN": "未受理的回到队列", "en": "queue"},
        "shifts.handover.reassign": {"zh-CN": "改派给在班坐席", "en": "reassign"},
        "shifts.col.shift": {"zh-CN": "班次", "en": "Shift"},
        "shifts.col.time": {"zh-CN": "时间", "en": "Time"},
        "shifts.col.days": {"zh-CN": "工作日", "en": "Days"},
        "shifts.col.holidays": {"zh-CN": "法定节假日", "en": "Public holidays"},
        "shifts.col.agents": {"zh-CN": "坐席", "en": "Agents"},
        "shifts.col.who": {"zh-CN": "坐席", "en": "Agent"},
        "shifts.col.when": {"zh-CN": "日期", "en": "Dates"},
        "shifts.col.kind": {"zh-CN": "类型", "en": "Kind"},
        "shifts.col.reason": {"zh-CN": "原因", "en": "Reason"},
        "shifts.col.recorded": {"zh-CN": "登记人", "en": "Recorded by"},
        "shifts.holidays.work": {"zh-CN": "照常上班", "en": "works"},
        "shifts.holidays.off": {"zh-CN": "休息", "en": "off"},
        "shifts.next_day": {"zh-CN": "次日", "en": "next day"},
        "shifts.days.all": {"zh-CN": "每天", "en": "every day"},
        "shifts.weekday.0": {"zh-CN": "周一", "en": "Mon"},
        "shifts.weekday.1": {"zh-CN": "周二", "en": "Tue"},
        "shifts.weekday.2": {"zh-CN": "周三", "en": "Wed"},
        "shifts.weekday.3": {"zh-CN": "周四", "en": "Thu"},
        "shifts.weekday.4": {"zh-CN": "周五", "en": "Fri"},
        "shifts.weekday.5": {"zh-CN": "周六", "en": "Sat"},
        "shifts.weekday.6": {"zh-CN": "周日", "en": "Sun"},
        "shifts.list_separator": {"zh-CN": "、", "en": ", "},
        "shifts.exceptions": {"zh-CN": "今天及以后的请假与调班", "en": "Leave and swaps, today on"},
        "shifts.exceptions_none": {
            "zh-CN": "今天及以后没有请假或调班。",
            "en": "No leave or swaps from today on.",
        },
        "shifts.days_in": {
            "zh-CN": "日期按 {zone} 当地日期（含首尾两天）",
            "en": "Days in {zone}, first and last included",
        },
        "shifts.kind.leave": {"zh-CN": "请假", "en": "Leave"},
        "shifts.kind.swap": {"zh-CN": "调班", "en": "Swap"},
        "shifts.kind.extra": {"zh-CN": "加班", "en": "Extra shift"},
        "shifts.today": {"zh-CN": "今天", "en": "today"},
        "shifts.swap_of": {"zh-CN": "替 {agent} 上{shift}", "en": "works {shift} for {agent}"},
        "shifts.recorded": {"zh-CN": "{who}（{at}）", "en": "{who} ({at})"},
        "shifts.remove": {"zh-CN": "撤销", "en": "Remove"},
        "shifts.add_leave": {"zh-CN": "登记请假", "en": "Record leave"},
        "shifts.agent": {"zh-CN": "坐席", "en": "Agent"},
        "shifts.first_day": {"zh-CN": "开始日期", "en": "First day"},
        "shifts.last_day": {"zh-CN": "结束日期", "en": "Last day"},
        "shifts.last_day_hint": {
            "zh-CN": "只请一天可留空",
            "en": "Leave empty for one day",
        },
        "shifts.note": {"zh-CN": "原因", "en": "Reason"},
        "shifts.note_hint": {"zh-CN": "如：年假、病假", "en": "e.g. annual leave, sick leave"},
        "shifts.submit": {"zh-CN": "登记", "en": "Record"},
        "shifts.bad_day": {"zh-CN": "日期格式不正确。", "en": "Not a valid date."},
        "done.leave_added": {"zh-CN": "请假已登记。", "en": "Leave recorded."},
        "done.exception_removed": {"zh-CN": "已撤销。", "en": "Removed."},
        # dispatch's refusals (stable codes)
        "error.exception_overlap": {
            "zh-CN": "与该坐席已有的请假或调班时间重叠。",
            "en": "It overlaps leave or a swap this agent already has.",
        },
        "error.end_before_start": {
            "zh-CN": "结束日期早于开始日期。",
            "en": "The last day is before the first day.",
        },
        "error.unknown_agent": {"zh-CN": "没有这个坐席。", "en": "No such agent."},
        "error.not_their_shift": {
            "zh-CN": "被替班的坐席当天不上这个班次。",
            "en": "The agent replaced does not work that shift that day.",
        },
        "error.leave_too_long": {
            "zh-CN": "请假最多 92 天；更长请调整班次表。",
            "en": "Leave of at most 92 days; change the roster for longer.",
        },
        "error.shift_roster_not_found": {
            "zh-CN": "此团队不排班，无需登记请假。",
            "en": "This team has no shift roster.",
        },
        "error.shift_exception_not_found": {
            "zh-CN": "这条请假或调班已不存在（可能已被撤销）。",
            "en": "That leave or swap is gone (removed already?).",
        },
    }
)


def _today(zone: ZoneInfo) -> date:
    return datetime.now(zone).date()


def leave_body(t: Words, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as dispatch's ``ExceptionBody`` (kind leave), and what is wrong by field.
    The range itself (last before first, too long, overlaps) is dispatch's to judge."""
    errors: dict[str, str] = {}
    required(t, form, errors, "agent_id", "first_day")
    at_most(t, form, errors, note=NOTE_LIMIT)
    body: dict[str, Any] = {"kind": "leave", "note": form.get("note", "")}
    agent = form.get("agent_id", "")
    if agent:
        try:
            body["agent_id"] = str(uuid.UUID(agent))
        except ValueError:
            errors["agent_id"] = t("error.unknown_agent")
    for name in ("first_day", "last_day"):
        text = form.get(name, "")
        if not text:
            continue
        try:
            body[name] = date.fromisoformat(text).isoformat()
        except ValueError:
            errors[name] = t("shifts.bad_day")
    return body, errors


def refusal_fields(t: Words, problem: ServiceProblem) -> dict[str, str]:
    """Dispatch's refusal next to the field it is about (else over the whole form)."""
    return problem_fields(t, problem, set(FIELDS), on=CODE_FIELD.get(problem.code, "form"))


def weekdays(t: Words, days: list[int]) -> str:
    if sorted(days) == list(range(7)):
        return t("shifts.days.all")
    return t("shifts.list_separator").join(t(f"shifts.weekday.{d}") for d in sorted(days))


async def _page(
    request: Request,
    person: SignedInPerson,
    feedback: Feedback = NO_FEEDBACK,
    *,
    team: str | None = None,
) -> Response:
    clients = clients_of(request)
    t = words_of(request)
    teams = await teams_of(request, person)
    keys = [item["key"] for item in teams]
    key = team if team in keys else (keys[0] if keys else None)
    roster: dict[str, Any] | None = None
    exceptions: list[dict[str, Any]] = []
    agents: list[dict[str, Any]] = []
    zone = settings_of(request).zone
    if key is not None:
        roster, agents = await asyncio.gather(
            optional(clients.get("dispatch", f"/v1/teams/{key}/shifts", person.token)),
            team_agents(request, person, [key]),
        )
        if roster:
            zone = ZoneInfo(roster["timezone"])
        today = _today(zone)
        exceptions = await clients.get(
            "dispatch",
            f"/v1/teams/{key}/shift-exceptions",
            person.token,
            **{"from": today.isoformat(), "to": (today + timedelta(days=DAYS_SHOWN)).isoformat()},
        )
    today_text = _today(zone).isoformat()
    names = {a["id"]: a.get("display_name") or a["name"] for a in agents}
    exceptions.sort(key=lambda e: (e["first_day"], names.get(e["agent_id"], ""), e["kind"]))
    return render(
        request,
        "supervisor/shifts.html",
        person,
        current_path="/supervisor/shifts",
        teams=teams,
        team=key or "",
        team_names={item["key"]: item["name"] for item in teams},
        roster=roster,
        agents=sorted(agents, key=lambda a: a["name"]),
        names=names,
        exceptions=exceptions,
        today=today_text,
        days_zone=str(zone),
        weekdays=lambda days: weekdays(t, days),
        **feedback.shown(),
    )


@router.get("", response_class=HTMLResponse)
async def shifts_page(
    request: Request,
    team: str | None = None,
    done: str | None = None,
    person: SignedInPerson = Depends(supervisor),
) -> Response:
    return await _page(request, person, done_feedback(request, done), team=team)


async def _refused(
    request: Request,
    person: SignedInPerson,
    team: str,
    problem: ServiceProblem,
    form: dict[str, str] | None = None,
) -> Response:
    """The page again with dispatch's refusal said in the person's words: next to the
    form's field when it is about one, else at the top (a team they do not supervise, a
    leave removed meanwhile)."""
    if problem.status >= 500 or problem.status == 401:
        raise problem
    t = words_of(request)
    mine = {item["key"] for item in await teams_of(request, person)}
    if form is None or team not in mine:
        told = Feedback(
            flash="!" + problem_text(t, problem), flash_level="error", status_code=problem.status
        )
        return await _page(request, person, told, team=team)
    shown = Feedback(refusal_fields(t, problem), form, status_code=problem.status)
    return await _page(request, person, shown, team=team)


@router.post("/{team}/leave", response_class=HTMLResponse)
async def add_leave(
    request: Request, team: str, person: SignedInPerson = Depends(supervisor)
) -> Response:
    form = await read_form(request)
    body, errors = leave_body(words_of(request), form)
    if errors:
        return await _page(request, person, refused(errors, form), team=team)
    try:
        await clients_of(request).post(
            "dispatch", f"/v1/teams/{team}/shift-exceptions", person.token, body
        )
    except ServiceProblem as problem:
        return await _refused(request, person, team, problem, form)
    return back_to("/supervisor/shifts", done="leave_added", team=team)


@router.post("/{team}/exceptions/{exception_id}/remove", response_class=HTMLResponse)
async def remove_exception(
    request: Request,
    team: str,
    exception_id: uuid.UUID,
    person: SignedInPerson = Depends(supervisor),
) -> Response:
    await read_form(request)  # the CSRF check
    try:
        await clients_of(request).call(
            "dispatch",
            "DELETE",
            f"/v1/teams/{team}/shift-exceptions/{exception_id}",
            token=person.token,
        )
    except ServiceProblem as problem:
        return await _refused(request, person, team, problem)
    return back_to("/supervisor/shifts", done="exception_removed", team=team)
