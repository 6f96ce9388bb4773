"""An agent works a ticket in the workspace, in Debian's Chromium, against the system as
`sopdesk up` runs it: signs in, sees a new ticket arrive without a reload, reads the
customer's words, replies (the reply reaches sopdesk.notifications), sees the customer's
answer arrive in the thread, resolves. Bad input is refused next to its field, and a page
that missed a change is told its action is stale. Screenshots of each page go to
SOPDESK_WORKSPACE_SHOTS (default /tmp/sopdesk-workspace-shots), for a person to look at."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from workspace_support import WorkspaceSystem, shot_path

pytestmark = pytest.mark.e2e

AGENTS = ("tech_support-agent-1", "tech_support-agent-2")
# Live updates must show a change this fast (issue 13).
LIVE_WITHIN_MS = 2000


def _page(browser: Browser, **options: Any) -> Page:
    options.setdefault("viewport", {"width": 1280, "height": 800})
    context = browser.new_context(**options)
    return context.new_page()


def sign_in(page: Page, system: WorkspaceSystem, login: str) -> None:
    page.goto(system.workspace + "/")
    expect(page).to_have_url(f"{system.workspace}/sign-in?next=/")
    page.fill("#login", login)
    page.fill("#password", system.demo_password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("我的工作")


def _phone_ticket(words: str) -> dict[str, Any]:
    started = datetime.now(UTC) - timedelta(minutes=6)
    return {
        "channel": "phone",
        "customer": {"name": "张三", "phone": f"139{uuid.uuid4().int % 10**8:08d}"},
        "subject": "账号无法登录",
        "description": words,
        "phone_call": {
            "call_started_at": started.isoformat(),
            "call_ended_at": (started + timedelta(minutes=5)).isoformat(),
            "handler": "客服007",
            "verification_steps": ["核对账号信息", "确认登录报错截图"],
            "problem_type": "fault",
        },
    }


def _assignment(system: WorkspaceSystem, ticket_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = httpx.get(
            f"{system.urls['dispatch']}/v1/assignments",
            params={"ticket": ticket_id, "limit": 200},
            headers=system.headers("admin"),
            timeout=5,
        )
        found = [a for a in answer.json() if a["ticket_id"] == ticket_id and a.get("agent_id")]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"ticket {ticket_id} was not assigned within {timeout}s")


def _notifications(system: WorkspaceSystem, ticket_id: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            "sopdesk.notifications", bootstrap_servers=system.broker, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            batch = await consumer.getmany(timeout_ms=1500)
        finally:
            await consumer.stop()
        events = [json.loads(r.value) for records in batch.values() for r in records]
        return [e for e in events if e.get("ticket_id") == ticket_id]

    # Playwright's sync API runs an event loop in this thread: read from another one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


def _eventually_notified(system: WorkspaceSystem, ticket_id: str, text: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for event in _notifications(system, ticket_id):
            if text in event["data"].get("body", ""):
                return event
        time.sleep(0.5)
    raise AssertionError(f"no notification with {text!r} for {ticket_id}")


def test_an_agent_works_a_ticket_from_arrival_to_resolution(
    workspace_system: WorkspaceSystem, browser: Browser
) -> None:
    system = workspace_system
    pages = {login: _page(browser) for login in AGENTS}
    outside: list[str] = []
    for login, page in pages.items():
        page.on(
            "request",
            lambda r: None if r.url.startswith(system.workspace) else outside.append(r.url),
        )
        sign_in(page, system, login)
        expect(page.locator("#live-state")).to_have_class("live on")
    pages[AGENTS[0]].screenshot(path=shot_path("01-my-work-empty"))

    words = "今天早上开始账号无法登录，提示密码错误，已经重置过一次还是不行。"
    created = system.post_ticket(_phone_ticket(words))
    ticket_id, ticket_no = str(created["ticket_id"]), created["ticket_no"]
    assignment = _assignment(system, ticket_id)
    agent = next(login for login in AGENTS if system.agent_id(login) == assignment["agent_id"])
    page = pages[agent]
    # The new ticket shows in "my work" without a reload, within 2 s of its assignment.
    row = page.locator(f"tr[data-ticket-id='{ticket_id}']")
    expect(row).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(page.locator("#view-new .count")).to_have_text("1")
    expect(row.locator(".clock")).not_to_be_empty()  # time left on the first-response clock
    page.screenshot(path=shot_path("02-my-work-new-ticket"))
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.screenshot(path=shot_path("02b-shortcuts"))
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()

    # Keyboard: j selects the row, Enter opens it.
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator("#ticket-no")).to_have_text(ticket_no)
    # The header names the team (技术, 物流 …), never its key (tech_support …).
    expect(page.locator(".ticket-head p")).to_contain_text(re.compile(r"团队 [^\sa-z·]+ ·"))
    expect(page.locator("#thread")).to_contain_text(words)  # the customer's words
    expect(page.locator("#phone-record")).to_contain_text("核对账号信息")
    expect(page.locator("#customer")).to_contain_text("张三")
    page.screenshot(path=shot_path("03-ticket-new"), full_page=True)

    page.keyboard.press("a")  # focuses the accept button
    page.click("#form-accept button")
    expect(page.locator(".flash")).to_contain_text("已接单")

    # A canned reply goes into the reply box with one click; the agent sends it.
    macros = page.locator(".macros button")
    if macros.count():
        macros.first.click()
        expect(page.locator("#reply-text")).not_to_have_value("")
    reply = f"您好，已为您重置登录密码，请使用短信中的临时密码登录（{ticket_no[-4:]}）。"
    page.fill("#reply-text", reply)
    page.click("#form-reply button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("回复已发送")
    expect(page.locator("#thread")).to_contain_text(reply)
    sent = _eventually_notified(system, ticket_id, reply)
    assert sent["type"] == "notification.outgoing"

    # A colleague is asked, answers from their own page, and the answer shows live here.
    colleague = next(login for login in AGENTS if login != agent)
    page.locator("summary", has_text="请求协助").click()
    page.fill("#collaborator", colleague)
    page.fill("#collaborate-note", "客户的账号是否被风控锁定？")
    page.click("#form-collaborate button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("已请求协助")
    other = pages[colleague]
    other.goto(f"{system.workspace}/tickets/{ticket_no}")
    other.locator("#thread summary", has_text="答复协助请求").click()
    other.locator("#thread textarea[name=text]").fill("查过了，没有风控锁定。")
    other.locator("#thread form button[type=submit]").click()
    expect(other.locator(".flash")).to_contain_text("答复已保存")
    expect(page.locator("#thread")).to_contain_text("没有风控锁定", timeout=LIVE_WITHIN_MS + 3000)

    # The customer answers; the answer shows in the open thread without a reload.
    answer = "收到，我试一下临时密码。"
    posted = httpx.post(
        f"{system.urls['intake']}/v1/tickets/{ticket_id}/messages",
        json={"body": answer, "channel": "web_chat"},
        headers=system.headers("gateway"),
        timeout=10,
    )
    assert posted.status_code == 202, posted.text
    expect(page.locator("#thread")).to_contain_text(answer, timeout=LIVE_WITHIN_MS + 3000)
    page.screenshot(path=shot_path("04-ticket-customer-answered"), full_page=True)

    page.locator("summary", has_text="解决工单").click()
    page.fill("#resolution-code", "password_reset")
    page.fill("#public-reply", "您好，您的账号已恢复登录，如仍有问题请随时联系我们。")
    page.click("#form-resolve button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("工单已解决")
    expect(page.locator("#assignment-state")).to_have_text("已解决")
    page.screenshot(path=shot_path("05-ticket-resolved"), full_page=True)
    page.keyboard.press("/")  # the search box, by its shortcut
    page.keyboard.type(ticket_no)
    page.keyboard.press("Enter")
    expect(page.locator("#search-results")).to_contain_text(ticket_no)
    page.screenshot(path=shot_path("09-search"))
    page.click("form[action='/sign-out'] button")
    expect(page.locator(".flash")).to_contain_text("您已退出")
    page.goto(f"{system.workspace}/tickets/{ticket_no}")  # signed out: back to sign-in
    expect(page).to_have_url(f"{system.workspace}/sign-in?next=/tickets/{ticket_no}")
    assert not outside, outside  # nothing from a CDN or anywhere else
    for each in pages.values():
        each.context.close()
    resident = system.resident_mb("workspace")
    print(f"workspace resident after the flow: {resident:.0f} MB")
    assert resident < 150


def test_bad_input_is_refused_next_to_its_field_and_a_stale_page_is_told(
    workspace_system: WorkspaceSystem, browser: Browser
) -> None:
    system = workspace_system
    created = system.post_ticket(_phone_ticket("路由器一直掉线，重启也没用。"))
    ticket_id, ticket_no = str(created["ticket_id"]), created["ticket_no"]
    assignment = _assignment(system, ticket_id)
    login = next(login for login in AGENTS if system.agent_id(login) == assignment["agent_id"])
    # Without scripts: no live updates, so this page does not learn of the change below.
    page = _page(browser, java_script_enabled=False, viewport={"width": 820, "height": 1180})
    page.goto(system.workspace + "/sign-in")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("必填。")
    page.fill("#login", login)
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("账号或密码不正确")
    page.screenshot(path=shot_path("00-sign-in-refused"))
    sign_in(page, system, login)
    page.goto(f"{system.workspace}/tickets/{ticket_no}")
    page.click("#form-accept button")
    expect(page.locator(".flash")).to_contain_text("已接单")

    # A resolution without its public reply: the error is next to the field.
    page.locator("summary", has_text="解决工单").click()
    page.fill("#resolution-code", "Not A Code")
    page.click("#form-resolve button[type=submit]")
    expect(page.locator("#form-resolve-public_reply-error")).to_have_text("必填。")
    expect(page.locator("#form-resolve-resolution_code-error")).to_contain_text("小写字母")
    expect(page.locator("#public-reply")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#resolution-code")).to_have_value("Not A Code")  # kept, to correct
    page.screenshot(path=shot_path("06-ticket-field-errors-tablet"), full_page=True)

    # Meanwhile the assignment changes behind the page's back (a note by the same agent
    # through the API): the page's next action is refused as stale, nothing is applied.
    headers = system.person_headers(login)
    noted = httpx.post(
        f"{system.urls['dispatch']}/v1/assignments/{assignment['id']}/progress",
        json={"note": "已电话联系客户，待确认"},
        headers=headers,
        timeout=10,
    )
    assert noted.status_code == 200, noted.text
    page.locator("summary", has_text="内部备注").click()
    page.fill("#note-text", "这条备注来自过期的页面")
    page.click("#form-note button[type=submit]")
    expect(page.locator(".flash.stale")).to_contain_text("此工单已被更新")
    expect(page.locator("#note-text")).to_have_value("这条备注来自过期的页面")  # not lost
    page.screenshot(path=shot_path("07-ticket-stale"), full_page=True)
    activity = httpx.get(
        f"{system.urls['dispatch']}/v1/tickets/{ticket_id}/activity", headers=headers, timeout=10
    ).json()
    assert not [a for a in activity if "过期的页面" in (a.get("text") or "")]

    page.click("a.lang")  # English, by the switch
    expect(page.locator("#ticket-no")).to_have_text(ticket_no)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#actions h2")).to_have_text("Actions")
    page.screenshot(path=shot_path("08-ticket-english-tablet"), full_page=True)
    page.context.close()
