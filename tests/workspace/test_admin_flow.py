"""An admin works in the workspace, in Debian's Chromium, against the system as `sopdesk
up` runs it: edits a rule with a dry run on a sample text (a bad pattern refused next to
its field) and a message template with a preview, and opens every admin screen.
Screenshots go to SOPDESK_WORKSPACE_SHOTS."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect
from workspace_support import WorkspaceSystem, shot_path, signed_in

pytestmark = pytest.mark.e2e

# A page after an action waits on the services it calls: generous on a loaded machine.
ACTED = 15_000

TEAM = "tech_support"


def _api(system: WorkspaceSystem, service: str, path: str) -> Any:
    response = httpx.get(
        system.urls[service] + path, headers=system.person_headers("admin"), timeout=10
    )
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    return response.json()


def test_an_admin_edits_a_rule_with_a_dry_run_and_a_template_with_a_preview(
    workspace_system: WorkspaceSystem, browser: Browser
) -> None:
    system = workspace_system
    page = signed_in(browser, system, "admin", "/admin/rules/new")

    # A bad pattern is refused next to its field.
    page.fill("#f-rule_id", "test.battery")
    page.fill("#f-keywords", "电池鼓包")
    page.fill("#f-patterns", "电池([")
    page.select_option("#f-category", "fault")
    page.select_option("#f-priority", "P1")
    page.select_option("#f-team", TEAM)
    page.fill("#f-position", "0")
    page.click("form[data-action=save-rule] button[type=submit]")
    expect(page.locator("#f-patterns-error")).to_contain_text("无效", timeout=ACTED)
    page.screenshot(path=shot_path("admin-rule-field-error"), full_page=True)

    page.fill("#f-patterns", "")
    page.click("form[data-action=save-rule] button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("规则已保存", timeout=ACTED)
    expect(page).to_have_url(
        f"{system.workspace}/admin/rules/test.battery?done=rule_saved", timeout=ACTED
    )

    # Edit it: P1 becomes P0, then the dry run shows the rule deciding.
    page.select_option("#f-priority", "P0")
    page.click("form[data-action=save-rule] button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("规则已保存", timeout=ACTED)
    page.fill("#f-sample-subject", "手机电池鼓包了")
    page.click("form[data-action=dry-run] button[type=submit]")
    expect(page.locator("#trial-rule")).to_have_text("test.battery", timeout=ACTED)
    expect(page.locator("#trial-priority")).to_have_text("P0", timeout=ACTED)
    page.screenshot(path=shot_path("admin-rule-dry-run"), full_page=True)
    rules = _api(system, "triage", "/v1/rules")
    assert rules["rules"][0]["rule_id"] == "test.battery"
    assert rules["rules"][0]["actions"]["priority"] == "P0"
    page.goto(system.workspace + "/admin/rules")
    expect(page.locator("#versions")).to_contain_text(f"v{rules['version']}", timeout=ACTED)
    page.screenshot(path=shot_path("admin-rules"), full_page=True)

    # A template: preview a draft as the customer would get it, then save it as a version.
    page.goto(system.workspace + "/admin/templates/acknowledgement")
    draft = "您好,您的需求已受理,工单号 {ticket_no}。我们将在两小时内联系您。"
    page.fill("#f-body", draft)
    page.click("button[data-action=preview]")
    expect(page.locator("#preview")).to_contain_text("我们将在两小时内联系您", timeout=ACTED)
    expect(page.locator("#preview")).not_to_contain_text("{ticket_no}")
    page.screenshot(path=shot_path("admin-template-preview"), full_page=True)
    page.click("form[data-action=save-template] button.primary")
    expect(page.locator(".flash")).to_contain_text("模板新版本已保存", timeout=ACTED)
    expect(page.locator("#versions")).to_contain_text("zh/any v1", timeout=ACTED)
    stored = _api(system, "intake", "/v1/templates/acknowledgement")
    assert [v["body"] for v in stored["versions"]] == [draft]

    # A new SLA calendar: a malformed name is refused next to its field and nothing is saved;
    # a good one is saved at triage.
    page.goto(system.workspace + "/admin/sla")
    new_calendar = "form[data-action=calendar-new_calendar]"
    page.fill(f"{new_calendar} input[name=name]", "-bad name")
    page.click(f"{new_calendar} button[type=submit]")
    expect(page.locator(f"{new_calendar} .field-error")).to_be_visible(timeout=ACTED)
    names = [c["name"] for c in _api(system, "triage", "/v1/calendars")["calendars"]]
    assert "-bad name" not in names
    page.fill(f"{new_calendar} input[name=name]", "weekend-desk")
    page.click(f"{new_calendar} button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("日历已保存", timeout=ACTED)
    names = [c["name"] for c in _api(system, "triage", "/v1/calendars")["calendars"]]
    assert "weekend-desk" in names

    # Every admin screen opens, in Chinese.
    for path in (
        "/admin",
        "/admin/people",
        "/admin/teams",
        "/admin/agents",
        "/admin/sla",
        "/admin/kb",
        "/admin/templates",
    ):
        page.goto(system.workspace + path)
        expect(page.locator("h1")).to_be_visible(timeout=ACTED)
        page.screenshot(path=shot_path("admin" + path.replace("/", "-")), full_page=True)
    page.context.close()

    # On a tablet (portrait) the rule editor and the SLA screen fit the width.
    tablet = signed_in(browser, system, "admin", "/admin/rules/test.battery", width=820)
    for path in ("/admin/rules/test.battery", "/admin/sla"):
        tablet.goto(system.workspace + path)
        assert tablet.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        tablet.screenshot(path=shot_path("tablet" + path.replace("/", "-")), full_page=True)
    tablet.context.close()
