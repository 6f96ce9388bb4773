"""A supervisor works in the workspace, in Debian's Chromium, against the system as
`sopdesk up` runs it: approves a compensation, dismisses an inbox item (a missing note is
refused next to its field), grants more time (the deadline moves at dispatch and
follow-up), reassigns a ticket and is told when a page went stale. The admin's flow is in
test_admin_flow.py. Screenshots go to SOPDESK_WORKSPACE_SHOTS."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, expect
from testkit import eventually
from workspace_support import WorkspaceSystem, shot_path, signed_in

pytestmark = pytest.mark.e2e

# A page after an action waits on the services it calls: generous on a loaded machine.
ACTED = 15_000

SUPERVISOR = "tech-supervisor"
TEAM = "tech_support"


def _api(
    system: WorkspaceSystem,
    service: str,
    method: str,
    path: str,
    login: str,
    body: Any = None,
    **params: Any,
) -> Any:
    response = httpx.request(
        method,
        system.urls[service] + path,
        headers=system.person_headers(login),
        json=body,
        params=params or None,
        timeout=10,
    )
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _assigned_ticket(system: WorkspaceSystem, subject: str, key: str) -> dict[str, Any]:
    """A tech-support ticket as a gateway sends it, once dispatch has given it an agent."""
    created = httpx.post(
        f"{system.urls['intake']}/v1/tickets",
        json={
            "channel": "phone",
            "customer": {"name": "张三", "phone": "13812345678"},
            "subject": subject,
            "description": "今天早上开始账号无法登录,提示密码错误。",
        },
        headers={**system.headers("gateway"), "Idempotency-Key": key},
        timeout=10,
    ).json()

    def assigned() -> dict[str, Any] | None:
        rows = _api(system, "dispatch", "GET", "/v1/assignments", SUPERVISOR, team=TEAM)
        return next(
            (r for r in rows if r["ticket_id"] == created["ticket_id"] and r["agent_id"]), None
        )

    found: dict[str, Any] = eventually(assigned, timeout=30)
    return found


def _agent_login(system: WorkspaceSystem, agent_id: str) -> str:
    return _agent_names(system, agent_id)[0]


def _agent_names(system: WorkspaceSystem, agent_id: str) -> tuple[str, str]:
    """The agent's login (its name at dispatch) and the display name people read."""
    agents = _api(system, "dispatch", "GET", "/v1/agents", SUPERVISOR, team=TEAM)
    agent = next(a for a in agents if a["id"] == agent_id)
    return str(agent["name"]), str(agent["display_name"])


def test_a_supervisor_works_the_inbox_and_the_tickets(
    workspace_system: WorkspaceSystem, browser: Browser
) -> None:
    system = workspace_system
    # Supervision, not shifts: without the team's roster both online agents take work, so
    # the ticket can be reassigned to the other one.
    off = httpx.delete(
        f"{system.urls['dispatch']}/v1/teams/{TEAM}/shifts",
        headers=system.person_headers(SUPERVISOR),
        timeout=10,
    )
    assert off.status_code in (204, 404), off.text
    first = _assigned_ticket(system, "账号无法登录", "super-flow-1")
    agent = _agent_login(system, first["agent_id"])
    work = f"/v1/assignments/{first['id']}"
    _api(system, "dispatch", "POST", f"{work}/accept", agent, {})
    refund = _api(
        system,
        "dispatch",
        "POST",
        f"{work}/compensations",
        agent,
        {"kind": "refund", "amount": 399, "reason": "商品破损,全额退款"},
    )
    assert refund["state"] == "pending"  # above the refund threshold: the supervisor decides
    extension = _api(
        system,
        "dispatch",
        "POST",
        f"{work}/extension-requests",
        agent,
        {"extra_minutes": 120, "reason": "等待厂家检测报告"},
    )

    page = signed_in(browser, system, SUPERVISOR, "/supervisor")
    expect(page.locator("h1")).to_contain_text("主管收件箱", timeout=ACTED)
    expect(page.locator("#approvals")).to_contain_text("商品破损,全额退款", timeout=ACTED)
    page.screenshot(path=shot_path("supervisor-inbox"), full_page=True)

    # The P0 report in Chinese, naming the agent by display name (not the login).
    login, shown_name = _agent_names(system, first["agent_id"])
    report = page.locator("li.item.kind-report", has_text=first["ticket_no"]).first
    expect(report.locator(".summary")).to_have_text(
        f"P0 工单已分配给 {shown_name}（分诊后分配）", timeout=ACTED
    )
    expect(report).to_contain_text("账号无法登录")
    assert login not in (report.text_content() or "")

    # Handling an item without the note it needs: refused next to the field, nothing done.
    report.locator("button", has_text="已处理").click()
    expect(report.locator(".field-error")).to_contain_text("必填", timeout=ACTED)
    expect(report.locator("input[name=note]")).to_have_attribute(
        "aria-invalid", "true", timeout=ACTED
    )
    still_open = _api(system, "dispatch", "GET", "/v1/supervisor/inbox", SUPERVISOR)
    assert any(i["ticket_no"] == first["ticket_no"] for i in still_open["reports"])
    page.screenshot(path=shot_path("supervisor-inbox-field-error"), full_page=True)

    # Approve the compensation.
    page.locator("#approvals button", has_text="批准").click()
    expect(page.locator(".flash")).to_contain_text("补偿已批准", timeout=ACTED)
    decided = _api(system, "dispatch", "GET", "/v1/compensations", SUPERVISOR, team=TEAM)
    assert {c["id"]: c["state"] for c in decided}[refund["id"]] == "approved"

    # Dismiss the P0 report with a note.
    report = page.locator("li.item.kind-report", has_text=first["ticket_no"]).first
    report.locator("input[name=note]").fill("已电话确认,由坐席正常处理")
    report.locator("button", has_text="忽略").click()
    expect(page.locator(".flash")).to_contain_text("已忽略", timeout=ACTED)
    dismissed = _api(
        system, "dispatch", "GET", "/v1/supervisor/inbox", SUPERVISOR, state="dismissed"
    )
    notes = [i["note"] for i in dismissed["reports"]]
    assert "已电话确认,由坐席正常处理" in notes

    # Grant the two hours asked for: the resolution deadline moves at dispatch and follow-up.
    before = _at(_api(system, "dispatch", "GET", work, SUPERVISOR)["resolve_by"])
    asked = page.locator("#section-extension_requests li.item[data-item]").first
    expect(asked).to_contain_text("等待厂家检测报告", timeout=ACTED)
    asked.locator("button", has_text="同意延期").click()
    expect(page.locator(".flash")).to_contain_text("已同意延期", timeout=ACTED)
    after = _at(_api(system, "dispatch", "GET", work, SUPERVISOR)["resolve_by"])
    assert after - before == timedelta(minutes=120), (before, after)
    granted = _api(system, "dispatch", "GET", "/v1/extension-requests", SUPERVISOR, team=TEAM)
    assert {e["id"]: e["state"] for e in granted}[extension["id"]] == "granted"

    def clock_moved() -> bool:
        sla = _api(system, "followup", "GET", f"/v1/sla/{first['ticket_id']}", SUPERVISOR)
        resolution = next(c for c in sla["clocks"] if c["kind"] == "resolution")
        return _at(resolution["due_at"]) == after

    eventually(clock_moved, timeout=30)

    # The queue and the agents, with their load.
    page.goto(system.workspace + "/supervisor/queue")
    expect(page.locator("#working")).to_contain_text(first["ticket_no"], timeout=ACTED)
    page.screenshot(path=shot_path("supervisor-queue"), full_page=True)
    # Live: a new ticket of the team shows on the open queue page without a reload.
    second = system.post_ticket(
        {
            "channel": "web_chat",
            "customer": {"name": "李四", "phone": "13900001111"},
            "subject": "App 无法登录",
            "description": "登录一直转圈。",
        }
    )
    expect(page.locator("#working")).to_contain_text(second["ticket_no"], timeout=ACTED)
    page.goto(system.workspace + "/supervisor/agents")
    expect(page.locator("#agents")).to_contain_text("技术1号", timeout=ACTED)
    page.screenshot(path=shot_path("supervisor-agents"), full_page=True)

    # Reassign the ticket to the other agent of the team.
    page.goto(system.workspace + f"/supervisor/assignments/{first['id']}")
    other = next(
        a
        for a in _api(system, "dispatch", "GET", "/v1/agents", SUPERVISOR, team=TEAM)
        if a["id"] != first["agent_id"]
    )
    form = page.locator("form[data-action=reassign]")
    form.locator("select[name=agent_id]").select_option(other["id"])
    form.locator("input[name=reason]").fill("原坐席下班,转给同事")
    form.locator("button").click()
    expect(page.locator(".flash")).to_contain_text("已改派", timeout=ACTED)
    assert _api(system, "dispatch", "GET", work, SUPERVISOR)["agent_id"] == other["id"]
    page.screenshot(path=shot_path("supervisor-assignment"), full_page=True)

    # A page drawn before the ticket changed is told so, and nothing is applied.
    _api(system, "dispatch", "POST", f"{work}/accept", other["name"], {})
    take = page.locator("form[data-action=take-over]")
    take.locator("input[name=reason]").fill("VIP 客户投诉,主管亲自处理")
    take.locator("button").click()
    expect(page.locator(".flash")).to_contain_text("已被更新", timeout=ACTED)
    assert _api(system, "dispatch", "GET", work, SUPERVISOR)["agent_id"] == other["id"]
    page.screenshot(path=shot_path("supervisor-stale"), full_page=True)

    # Leave today on the agents page: the team works in shifts again (one all-day shift,
    # work kept by its holders) and the other agent is on leave today.
    team_agents = _api(system, "dispatch", "GET", "/v1/agents", SUPERVISOR, team=TEAM)
    all_day = {"name": "全天", "start": "00:00", "end": "00:00", "agent_ids": []}
    all_day["agent_ids"] = [a["id"] for a in team_agents]
    roster = {"timezone": "Asia/Shanghai", "handover": "keep", "shifts": [all_day]}
    _api(system, "dispatch", "PUT", f"/v1/teams/{TEAM}/shifts", SUPERVISOR, roster)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    leave = {"kind": "leave", "agent_id": other["id"], "first_day": today, "note": "年假"}
    _api(system, "dispatch", "POST", f"/v1/teams/{TEAM}/shift-exceptions", SUPERVISOR, leave)
    page.goto(system.workspace + "/supervisor/agents")
    on_leave = page.locator(f'#agents tr[data-agent="{other["name"]}"] td.shift')
    expect(on_leave.locator(".leave")).to_have_text("今日请假", timeout=ACTED)
    expect(on_leave).to_contain_text(f"至 {today} · 年假")
    expect(page.locator("#agents td.shift .leave")).to_have_count(1)
    page.screenshot(path=shot_path("supervisor-agents-leave"), full_page=True)
    _api(system, "dispatch", "DELETE", f"/v1/teams/{TEAM}/shifts", SUPERVISOR)
    page.goto(system.workspace + f"/supervisor/assignments/{first['id']}")

    # English by the switch.
    page.click("a.lang")
    expect(page.locator("h2", has_text="Reassign")).to_be_visible(timeout=ACTED)
    page.screenshot(path=shot_path("supervisor-assignment-en"), full_page=True)
    page.context.close()

    # On a tablet (portrait) the inbox fits the width: nothing to scroll sideways.
    tablet = browser.new_context(viewport={"width": 820, "height": 1180}).new_page()
    tablet.goto(system.workspace + "/supervisor")
    tablet.fill("#login", SUPERVISOR)
    tablet.fill("#password", system.demo_password)
    tablet.click("button[type=submit]")
    expect(tablet.locator("h1")).to_contain_text("主管收件箱", timeout=ACTED)
    assert tablet.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    tablet.screenshot(path=shot_path("supervisor-inbox-tablet"), full_page=True)
    tablet.context.close()
