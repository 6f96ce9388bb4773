"""A callback (回访, seed 003) worked in the workspace, in Debian's Chromium, against the
system as `sopdesk up` runs it: a fault ticket is resolved, follow-up schedules its
callback, an agent of the team finds it on the callbacks page (ticket number, kind, due in
local time), is refused an empty outcome next to the field, completes it; follow-up has
it completed by that person, and a page drawn before is told it was completed already.
Screenshots go to SOPDESK_WORKSPACE_SHOTS."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect
from testkit import eventually
from workspace_support import WorkspaceSystem, shot_path, signed_in

pytestmark = pytest.mark.e2e

ACTED = 15_000  # a page after an action, on a loaded machine
TEAM = "tech_support"


def _call(
    system: WorkspaceSystem, service: str, method: str, path: str, login: str, **kw: Any
) -> Any:
    response = httpx.request(
        method, system.urls[service] + path, headers=system.person_headers(login), timeout=10, **kw
    )
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def _resolved_fault_ticket(system: WorkspaceSystem) -> tuple[dict[str, Any], str]:
    """A fault ticket worked to resolution by its agent: (the ticket, the agent's login)."""
    created = system.post_ticket(
        {
            "channel": "phone",
            "customer": {"name": "李四", "phone": f"137{uuid.uuid4().int % 10**8:08d}"},
            "subject": "路由器一直掉线",
            "description": "家里的路由器一直掉线，重启也没用，已经两天了。",
        }
    )
    ticket_id = str(created["ticket_id"])

    def assigned() -> dict[str, Any] | None:
        answer = httpx.get(
            f"{system.urls['dispatch']}/v1/assignments",
            params={"ticket": ticket_id, "limit": 200},
            headers=system.headers("admin"),
            timeout=5,
        ).json()
        return next((a for a in answer if a["ticket_id"] == ticket_id and a["agent_id"]), None)

    assignment: dict[str, Any] = eventually(assigned, timeout=60)
    agents = httpx.get(
        f"{system.urls['dispatch']}/v1/agents", headers=system.headers("admin"), timeout=10
    ).json()
    login = str(next(a["name"] for a in agents if a["id"] == assignment["agent_id"]))
    work = f"/v1/assignments/{assignment['id']}"
    _call(system, "dispatch", "POST", f"{work}/accept", login, json={})
    _call(
        system,
        "dispatch",
        "POST",
        f"{work}/resolve",
        login,
        json={"resolution_code": "router_replaced", "public_reply": "已为您更换路由器。"},
    )
    return created, login


def test_an_agent_completes_the_callback_of_a_resolved_fault_ticket(
    workspace_system: WorkspaceSystem, browser: Browser
) -> None:
    system = workspace_system
    ticket, agent = _resolved_fault_ticket(system)
    ticket_id, ticket_no = str(ticket["ticket_id"]), ticket["ticket_no"]

    def scheduled() -> dict[str, Any] | None:
        answer = _call(
            system,
            "followup",
            "GET",
            "/v1/callbacks",
            agent,
            params={"owner": TEAM, "state": "open"},
        )
        return next((c for c in answer["items"] if c["ticket_id"] == ticket_id), None)

    callback: dict[str, Any] = eventually(scheduled, timeout=60)
    assert callback["kind"] == "fault_callback"

    page = signed_in(browser, system, agent, "/callbacks")
    stale = signed_in(browser, system, agent, "/callbacks")  # drawn before the completion
    expect(page.locator("h1")).to_have_text("回访任务")
    row = page.locator(f"li[data-callback='{callback['id']}']")
    expect(row.locator("a.ticket-no")).to_have_text(ticket_no)
    expect(row.locator("a.ticket-no")).to_have_attribute("href", f"/tickets/{ticket_no}")
    expect(row).to_contain_text("故障回访")
    expect(row).to_contain_text("路由器一直掉线")
    # The owner team by its name, not its key.
    expect(row).to_contain_text("负责团队: 技术")
    expect(row).not_to_contain_text(TEAM)
    expect(row.locator("time")).not_to_be_empty()

    # An empty outcome: refused next to the field, nothing recorded.
    row.locator("summary", has_text="记录回访结果").click()
    row.locator("button[type=submit]").click()
    row = page.locator(f"li[data-callback='{callback['id']}']")
    expect(row.locator(".field-error")).to_contain_text("必填", timeout=ACTED)
    expect(row.locator("textarea[name=outcome]")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=shot_path("callbacks-outcome-required"), full_page=True)

    outcome = "客户确认路由器更换后不再掉线，满意"
    row.locator("textarea[name=outcome]").fill(outcome)
    row.locator("select[name=score]").select_option("5")
    row.locator("textarea[name=verification]").fill("核对工单号与手机号")
    row.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("回访已完成", timeout=ACTED)
    expect(page.locator(f"li[data-callback='{callback['id']}']")).to_have_count(0)
    page.screenshot(path=shot_path("callbacks-completed"), full_page=True)

    done = _call(
        system,
        "followup",
        "GET",
        "/v1/callbacks",
        agent,
        params={"owner": TEAM, "state": "completed"},
    )
    completed = next(c for c in done["items"] if c["id"] == callback["id"])
    assert completed["state"] == "completed"
    assert completed["completed_by"] == f"person:{system.agent_id(agent)}"
    assert completed["outcome"] == outcome and completed["score"] == 5

    page.locator("nav.views a", has_text="已完成").click()
    row = page.locator(f"li[data-callback='{callback['id']}']")
    expect(row).to_contain_text(outcome, timeout=ACTED)
    expect(row.locator(".closed")).to_contain_text("完成回访")
    page.click("a.lang")  # English, by the switch
    expect(page.locator("h1")).to_have_text("Callbacks")
    page.locator("nav.views a", has_text="Completed").click()
    expect(row).to_contain_text("Fault callback")
    page.screenshot(path=shot_path("callbacks-completed-english"), full_page=True)

    # The page drawn before: told it is completed already, nothing recorded twice.
    late = stale.locator(f"li[data-callback='{callback['id']}']")
    late.locator("summary", has_text="记录回访结果").click()
    late.locator("textarea[name=outcome]").fill("重复记录")
    late.locator("button[type=submit]").click()
    expect(stale.locator(".flash.stale")).to_contain_text("此回访已完成", timeout=ACTED)
    stale.screenshot(path=shot_path("callbacks-already-completed"), full_page=True)
    again = _call(
        system,
        "followup",
        "GET",
        "/v1/callbacks",
        agent,
        params={"owner": TEAM, "state": "completed"},
    )
    assert next(c for c in again["items"] if c["id"] == callback["id"])["outcome"] == outcome
    for each in (page, stale):
        each.context.close()
