"""An agent works a ticket in the workspace, in Debian's Chromium, against the system as
`sopdesk up` runs it. Screenshots of each page go to SOPDESK_WORKSPACE_SHOTS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from workspace_support import CHROMIUM, CHROMIUM_ARGS, WorkspaceSystem, shot_path

pytestmark = pytest.mark.e2e

AGENT = "tech_support-agent-1"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _page(browser: Browser, **options: Any) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, **options)
    return context.new_page()


def sign_in(page: Page, system: WorkspaceSystem, login: str = AGENT) -> None:
    page.goto(system.workspace + "/")
    expect(page).to_have_url(f"{system.workspace}/sign-in?next=/")
    page.fill("#login", login)
    page.fill("#password", system.demo_password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("我的工作")


def test_agent_signs_in_and_out(workspace_system: WorkspaceSystem, browser: Browser) -> None:
    page = _page(browser)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(workspace_system.workspace) else outside.append(r.url),
    )
    page.goto(workspace_system.workspace + "/sign-in")
    page.fill("#login", AGENT)
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("账号或密码不正确")
    page.screenshot(path=shot_path("sign-in-refused"))
    sign_in(page, workspace_system)
    expect(page.locator(".who")).to_contain_text("客服")
    expect(page.locator("#live-state")).to_have_class("live on")
    page.screenshot(path=shot_path("my-work"))
    page.click("text=退出")
    expect(page.locator(".flash")).to_contain_text("您已退出")
    assert not outside, outside  # no CDN, nothing from elsewhere
    page.context.close()
