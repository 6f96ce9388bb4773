"""A front-line supervisor records leave in the workspace (排班与请假, seed 004), in
Debian's Chromium, against the system as `sopdesk up` runs it (the demo's shift rosters):
the roster is shown, leave added for an agent is listed with who recorded it (dispatch
has the supervisor as its actor), a last day before the first and an overlap are refused
with dispatch's codes said in Chinese, and the leave is removed. An agent cannot open the
page or post its form; another team's supervisor is refused by dispatch, said on the page.
Run on both stores (dispatch's SQLite files, and PostgreSQL). Screenshots go to
SOPDESK_WORKSPACE_SHOTS (leave.png)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from testkit import POSTGRES_SERVER, drop_database, short_id
from workspace_support import SERVICES, WorkspaceSystem, shot_path, signed_in, sopdesk_up

pytestmark = pytest.mark.e2e

ACTED = 15_000  # a page after an action, on a loaded machine
TEAM = "frontline"
SUPERVISOR = "frontline-supervisor"
AGENT = "frontline-agent-1"
ZONE = ZoneInfo("Asia/Shanghai")  # the demo rosters' time zone


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shifts_system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkspaceSystem]:
    """`sopdesk up` on SQLite, or with every service's store in its own PostgreSQL
    database (dropped afterwards)."""
    data_dir = tmp_path_factory.mktemp(f"sopdesk-up-{request.param}")
    if request.param == "sqlite":
        with sopdesk_up(data_dir) as system:
            yield system
        return
    prefix = f"sopdesk_ws_{short_id()}"
    try:
        with sopdesk_up(data_dir, f"{POSTGRES_SERVER}/{prefix}_{{service}}") as system:
            yield system
    finally:
        # Playwright's sync API holds this thread's event loop: drop from another thread.
        with ThreadPoolExecutor(1) as pool:
            for service in (s for s in SERVICES if s != "workspace"):
                name = f"{prefix}_{service}"
                pool.submit(asyncio.run, drop_database(POSTGRES_SERVER, name)).result()


def _exceptions(system: WorkspaceSystem) -> list[dict[str, Any]]:
    today = datetime.now(ZONE).date()
    answer = httpx.get(
        f"{system.urls['dispatch']}/v1/teams/{TEAM}/shift-exceptions",
        params={"from": today.isoformat(), "to": (today + timedelta(days=60)).isoformat()},
        headers=system.headers("admin"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()
    return rows


def _person(system: WorkspaceSystem, login: str) -> dict[str, Any]:
    me = httpx.get(
        f"{system.urls['dispatch']}/v1/auth/me", headers=system.person_headers(login), timeout=10
    )
    assert me.status_code == 200, me.text
    found: dict[str, Any] = me.json()
    return found


def _agent_display_name(system: WorkspaceSystem, agent_id: str) -> str:
    agents = httpx.get(
        f"{system.urls['dispatch']}/v1/agents", headers=system.headers("admin"), timeout=10
    ).json()
    return str(next(a["display_name"] for a in agents if a["id"] == agent_id))


def _csrf(page: Page) -> str:
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    return token


def test_a_supervisor_records_and_removes_leave(
    shifts_system: WorkspaceSystem, browser: Browser
) -> None:
    system = shifts_system
    agent_id = system.agent_id(AGENT)
    today = datetime.now(ZONE).date()
    first, last = today + timedelta(days=10), today + timedelta(days=12)
    assert not [e for e in _exceptions(system) if e["agent_id"] == agent_id]

    page = signed_in(browser, system, SUPERVISOR, "/supervisor")
    page.locator("nav.nav a", has_text="排班与请假").click()
    expect(page).to_have_url(system.workspace + "/supervisor/shifts", timeout=ACTED)
    expect(page.locator("h1")).to_contain_text("排班与请假")
    # The demo roster: three shifts, named agents, times in the roster's zone.
    expect(page.locator("#shifts tr[data-shift='早班']")).to_contain_text("08:00–16:00")
    shown = _agent_display_name(system, agent_id)
    expect(page.locator("#shifts tr[data-shift='早班']")).to_contain_text(shown)
    expect(page.locator("#shifts")).to_contain_text("夜班")
    expect(page.locator("#exceptions-none")).to_be_visible()

    form = page.locator("#leave-form")
    form.locator("select[name=agent_id]").select_option(agent_id)
    form.locator("input[name=first_day]").fill(first.isoformat())
    form.locator("input[name=last_day]").fill(last.isoformat())
    form.locator("input[name=note]").fill("年假")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text("请假已登记。", timeout=ACTED)
    row = page.locator(f"#exceptions tr[data-agent-id='{agent_id}']")
    expect(row.locator(".when")).to_contain_text(f"{first.isoformat()} – {last.isoformat()}")
    expect(row.locator(".kind")).to_have_text("请假")
    expect(row.locator(".who")).to_have_text(shown)
    expect(row.locator(".reason")).to_have_text("年假")
    supervisor = _person(system, SUPERVISOR)
    expect(row.locator(".recorded")).to_contain_text(supervisor["display_name"])
    # Dispatch recorded the signed-in supervisor, not the workspace.
    (held,) = [e for e in _exceptions(system) if e["agent_id"] == agent_id]
    assert (held["kind"], held["first_day"], held["last_day"], held["note"]) == (
        "leave",
        first.isoformat(),
        last.isoformat(),
        "年假",
    )
    assert held["created_by"] == f"person:{supervisor['id']}"

    # A last day before the first: dispatch's end_before_start, next to the field.
    form = page.locator("#leave-form")
    form.locator("select[name=agent_id]").select_option(agent_id)
    form.locator("input[name=first_day]").fill((today + timedelta(days=20)).isoformat())
    form.locator("input[name=last_day]").fill((today + timedelta(days=18)).isoformat())
    with page.expect_response(re.compile(r"/leave$")) as refused:
        form.locator("button[type=submit]").click()
    assert refused.value.status == 422
    expect(page.locator("#f-last_day-error")).to_have_text("结束日期早于开始日期。", timeout=ACTED)
    expect(page.locator("#f-last_day")).to_have_attribute("aria-invalid", "true")
    if system.data_dir.name.startswith("sopdesk-up-sqlite"):
        page.screenshot(path=shot_path("leave-bad-range"), full_page=True)

    # Overlapping the leave just recorded: exception_overlap, over the form.
    form = page.locator("#leave-form")
    form.locator("input[name=first_day]").fill(last.isoformat())
    form.locator("input[name=last_day]").fill((last + timedelta(days=1)).isoformat())
    with page.expect_response(re.compile(r"/leave$")) as overlapped:
        form.locator("button[type=submit]").click()
    assert overlapped.value.status == 409
    expect(page.locator("#leave-form p.error")).to_have_text(
        "与该坐席已有的请假或调班时间重叠。", timeout=ACTED
    )
    assert len([e for e in _exceptions(system) if e["agent_id"] == agent_id]) == 1

    page.goto(system.workspace + "/supervisor/shifts")
    if system.data_dir.name.startswith("sopdesk-up-sqlite"):
        page.screenshot(path=shot_path("leave"), full_page=True)

    # Removed: gone from the page and from dispatch.
    row = page.locator(f"#exceptions tr[data-agent-id='{agent_id}']")
    row.locator("form.remove button").click()
    expect(page.locator(".flash")).to_have_text("已撤销。", timeout=ACTED)
    expect(page.locator("#exceptions-none")).to_be_visible()
    assert not [e for e in _exceptions(system) if e["agent_id"] == agent_id]

    # Leave today for the other agent, one day (no last day): listed as today's.
    other_id = system.agent_id("frontline-agent-2")
    form = page.locator("#leave-form")
    form.locator("select[name=agent_id]").select_option(other_id)
    form.locator("input[name=first_day]").fill(today.isoformat())
    form.locator("input[name=note]").fill("病假")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text("请假已登记。", timeout=ACTED)
    row = page.locator(f"#exceptions tr[data-agent-id='{other_id}']")
    expect(row.locator(".when")).to_have_text(f"{today.isoformat()} 今天")
    (held,) = [e for e in _exceptions(system) if e["agent_id"] == other_id]
    assert held["first_day"] == held["last_day"] == today.isoformat()
    row.locator("form.remove button").click()
    expect(page.locator(".flash")).to_have_text("已撤销。", timeout=ACTED)
    assert not [e for e in _exceptions(system) if e["agent_id"] == other_id]

    # English by the switch.
    page.click("a.lang")
    expect(page.locator("h1")).to_contain_text("Shifts and leave", timeout=ACTED)
    page.context.close()


def test_an_agent_and_another_teams_supervisor_cannot_record_leave(
    shifts_system: WorkspaceSystem, browser: Browser
) -> None:
    system = shifts_system
    agent_id = system.agent_id(AGENT)
    day = (datetime.now(ZONE).date() + timedelta(days=30)).isoformat()
    leave = {"agent_id": agent_id, "first_day": day, "last_day": day, "note": "病假"}

    # An agent: no menu entry, a 403 page, and the form refused.
    agent = signed_in(browser, system, AGENT, "/")
    expect(agent.locator("nav.nav")).not_to_contain_text("排班与请假")
    answer = agent.goto(system.workspace + "/supervisor/shifts")
    assert answer is not None and answer.status == 403
    expect(agent.locator("p.error")).to_have_text("您无权执行此操作。")
    posted = agent.request.post(
        system.workspace + f"/supervisor/shifts/{TEAM}/leave",
        form={**leave, "csrf_token": _csrf(agent)},
    )
    assert posted.status == 403
    agent.context.close()

    # Another team's supervisor: dispatch refuses (not_team_supervisor), the page says so.
    other = signed_in(browser, system, "tech-supervisor", "/supervisor/shifts")
    expect(other.locator("h1")).to_contain_text("技术")
    posted = other.request.post(
        system.workspace + f"/supervisor/shifts/{TEAM}/leave",
        form={**leave, "csrf_token": _csrf(other)},
    )
    assert posted.status == 403
    assert "您不是该团队的主管。" in posted.text()
    other.context.close()

    # An admin: every team, one at a time.
    admin = signed_in(browser, system, "admin", "/supervisor/shifts?team=logistics")
    expect(admin.locator("h1")).to_contain_text("物流")
    expect(admin.locator("#team-filter option")).to_have_count(7)
    expect(admin.locator("#shifts")).to_contain_text("白班")
    admin.context.close()
    assert not [e for e in _exceptions(system) if e["agent_id"] == agent_id]
