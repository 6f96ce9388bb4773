"""The dashboard in headless Chromium (Debian's, driven by Playwright): it asks for a
viewer key, connects to the live stream, shows the same figures as the API, and
follows new tickets without a reload. Needs /usr/bin/chromium
(``scripts/ensure-chromium.sh``); never downloads Playwright's browsers."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from analytics_support import (
    T0,
    AnalyticsStore,
    Scenario,
    app_settings,
    apply,
    by_type,
    lifecycle,
    on_shift_changed,
    realistic,
)
from testkit import CHROMIUM, CHROMIUM_ARGS, free_port, poll

from services.analytics.app import create_app

# Where the dashboard's picture goes, for a person to look at (not compared).
SCREENSHOT = Path(os.environ.get("SOPDESK_DASHBOARD_SCREENSHOT", "/tmp/sopdesk-dashboard.png"))

# `make test` installs chromium first (scripts/ensure-chromium.sh); without it this fails.


@asynccontextmanager
async def serving(url: str, broker: str, prefix: str) -> AsyncIterator[str]:
    port = free_port()
    app = create_app(app_settings(url, broker, prefix))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())

    def started() -> bool:
        assert not task.done(), "analytics stopped"
        return server.started

    await poll(started, within=30, what="analytics started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


async def _expect_count(locator: Any, count: int) -> None:
    from playwright.async_api import expect

    await expect(locator).to_have_count(count, timeout=15_000)


async def _expect_text(page: Any, selector: str, text: str) -> None:
    from playwright.async_api import expect

    await expect(page.locator(selector)).to_have_text(text, timeout=15_000)


# Chinese characters and full-width punctuation: none may remain in the English page's
# own words (ticket subjects and people's names are data and stay as written).
_CHINESE = re.compile("[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

# The visible text and the aria-labels of the page, minus what is data
# ([data-user-text]) and the language picker (each language named in itself).
_CHROME_TEXT = """() => {
  const skip = (el) => el.closest("[data-user-text],[data-own-language]");
  const seen = (el) => (el.checkVisibility ? el.checkVisibility() : true);
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (el && !skip(el) && seen(el) && node.textContent.trim()) out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll("[aria-label]")) {
    if (!skip(el)) out.push(el.getAttribute("aria-label"));
  }
  out.push(document.title);
  return out;
}"""


async def _expect_english(page: Any) -> None:
    """Every label in English, team names too, and no Chinese left in the page's words."""
    await _expect_text(page, "h1", "sopdesk service dashboard")
    await _expect_text(page, "#status", "live")
    await _expect_text(page, "#teams thead th:first-child", "Team")
    await _expect_text(page, "#range option[value=week]", "This week")
    await _expect_text(page, "#range-section h2", "Time range")
    await _expect_text(page, '#teams tr[data-key="logistics"] td:first-child', "logistics")
    await _expect_text(
        page, '#agents tr[data-key="logistics/王晓明"] td:first-child', "王晓明 (logistics)"
    )
    await _expect_text(page, ".kpi:has(#kpi-csat) span", "CSAT")
    assert await page.locator("html").get_attribute("lang") == "en"
    chrome: list[str] = await page.evaluate(_CHROME_TEXT)
    assert "Breached and open" in chrome and "By channel" in chrome, chrome
    chinese = [text for text in chrome if _CHINESE.search(text)]
    assert chinese == [], chinese


def _shown_time(iso: str, language: str) -> str:
    """A time as the dashboard shows it: 24-hour, in the display time zone (Beijing)."""
    at = datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{at.day} {at:%b %Y, %H:%M}" if language == "en" else f"{at:%Y-%m-%d %H:%M}"


async def test_dashboard_shows_the_api_figures_live(
    store: AnalyticsStore, database_url: str, broker: str, topic_prefix: str
) -> None:
    from playwright.async_api import async_playwright

    events: list[Any] = []
    for s in realistic(T0, days=2, per_day=15):
        events += lifecycle(s)
    events += lifecycle(Scenario(ticket_no="Q1", queued_for=timedelta(minutes=1), assign=False))
    # An agent as dispatch names them: the account's display name.
    events += lifecycle(Scenario(ticket_no="D1", agent=(uuid.uuid4(), "王晓明")))
    events += lifecycle(Scenario(ticket_no="W1", accept_after=None, warn=True))
    events += lifecycle(
        Scenario(ticket_no="B1", resolve_after=None, breaches=("resolution",), close=False)
    )
    # Who is on shift, as dispatch announced it.
    events.append(on_shift_changed("frontline", T0, [("陈静", "早班")], ["李娜"]))
    await apply(store, by_type(events))

    async with serving(database_url, broker, topic_prefix) as base:
        headers = {"Authorization": "Bearer vw"}
        async with httpx.AsyncClient(base_url=base, headers=headers) as api:
            summary = (await api.get("/v1/metrics/summary")).json()
            teams = (await api.get("/v1/metrics/summary", params={"group_by": "team"})).json()
            # The page itself needs no key and loads nothing from elsewhere.
            anonymous = await httpx.AsyncClient(base_url=base).get("/")
            assert anonymous.status_code == 200
            assert "http://" not in anonymous.text.replace("http://www.w3.org", "")
            assert (await api.get("/v1/stream")).json()["summary"]["total"] == summary["total"]
            days = {"since": "2026-11-16", "until": "2026-11-17"}
            ranged = (await api.get("/v1/metrics/summary", params=days)).json()
            daily = (
                await api.get("/v1/metrics/summary", params={**days, "group_by": "day"})
            ).json()
            attention = (await api.get("/v1/dashboard/attention")).json()
            assert attention["breached"] and attention["oldest_open"]
            # Each links to the ticket's page in the workspace (the default address).
            assert all(
                a["link"] == f"http://127.0.0.1:8006/tickets/{a['ticket_no']}"
                for a in attention["breached"] + attention["oldest_open"]
            )

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                outside: list[str] = []
                page.on(
                    "request",
                    lambda r: None if r.url.startswith(base) else outside.append(r.url),
                )
                await page.goto(base + "/")
                await page.fill("#key", "wrong")
                await page.click("#login button[type=submit]")
                await _expect_text(page, "#login-error", "密钥无效。")
                await page.fill("#key", "vw")
                await page.click("#login button[type=submit]")

                f = summary["figures"]
                await _expect_text(page, "#kpi-tickets", str(f["tickets"]))
                await _expect_text(page, "#kpi-queue", str(f["queue_length"]))
                await _expect_text(page, "#kpi-at-risk", str(f["at_risk"]))
                await _expect_text(page, "#kpi-breached", str(f["breached"]))
                await _expect_text(page, "#kpi-open", str(f["open"]))
                await _expect_text(page, "#kpi-sla", _pct(f["sla_compliance"]))
                await _expect_text(page, "#kpi-fcr", _pct(f["fcr_rate"]))
                await _expect_text(page, "#kpi-csat", f"{f['csat']['average']:.2f}")
                await _expect_text(page, "#status", "实时")
                for group in teams["groups"]:
                    row = page.locator(f'#teams tr[data-key="{group["key"]}"] td')
                    assert await row.nth(1).text_content() == str(group["figures"]["tickets"])
                assert await page.locator("#agents tbody tr").count() >= 6
                # Agents by name and team, never by key.
                mine = page.locator('#agents tr[data-key="logistics/王晓明"] td').first
                assert await mine.text_content() == "王晓明（物流）"
                agent_names = await page.locator(
                    "#agents tbody tr td:first-child"
                ).all_inner_texts()
                assert agent_names and not any("/" in n for n in agent_names), agent_names
                channel_values = await page.locator("#chart-channel text[data-value]").all()
                shown = sorted(
                    [int(await t.get_attribute("data-value") or "") for t in channel_values]
                )
                assert shown == sorted(summary["by_channel"].values())

                # A custom time range: its figures and daily trends, as the API has them.
                await page.select_option("#range", "custom")
                await page.fill("#range-since", "2026-11-16")
                await page.fill("#range-until", "2026-11-17")
                await page.click("#range-apply")
                await _expect_text(page, "#range-tickets", str(ranged["figures"]["tickets"]))
                await _expect_text(page, "#range-sla", _pct(ranged["figures"]["sla_compliance"]))
                volume = page.locator("#trend-volume circle")
                await _expect_count(volume, len(daily["groups"]))
                values = [
                    int(await c.get_attribute("data-value") or "") for c in await volume.all()
                ]
                assert values == [g["figures"]["tickets"] for g in daily["groups"]]
                assert await page.locator("#trend-sla circle").count() >= 1
                assert await page.locator("#trend-csat circle").count() >= 1
                assert await page.locator("#trend-frt circle").count() >= 1
                # Breached and oldest open tickets, each a link that opens it.
                links = page.locator("#breached-list a")
                await _expect_count(links, len(attention["breached"]))
                oldest = page.locator("#oldest-list a")
                first = attention["oldest_open"][0]["ticket_no"]
                await _expect_text(page, "#oldest-list li:first-child a", first)
                # Times in Chinese 24-hour form in Beijing time, English when chosen.
                received = attention["oldest_open"][0]["received_at"]
                breached = attention["breached"][0]["received_at"]
                zh = _shown_time(received, "zh")
                assert zh == "2026-11-16 09:00"  # T0, 01:00 UTC
                await _expect_text(page, "#oldest-list li:first-child time", zh)
                await _expect_text(
                    page, "#breached-list li:first-child time", _shown_time(breached, "zh")
                )
                await _expect_text(page, "#teams thead th:first-child", "团队")
                # 当班: per team by its name, who is on shift and who is on leave today.
                await _expect_text(page, "#on-shift-title", "当班")
                shift_row = '#on-shift tr[data-team="frontline"]'
                await _expect_text(page, f"{shift_row} td:first-child", "一线客服")
                await _expect_text(page, f"{shift_row} .agent.on", "陈静 早班 至 17:00")
                await _expect_text(page, f"{shift_row} .agent.leave", "李娜 至 11-16")
                await page.screenshot(path=str(SCREENSHOT), full_page=True)
                await page.select_option("#lang", "en")
                await _expect_text(page, "#on-shift-title", "On shift")
                await _expect_text(page, f"{shift_row} .agent.on", "陈静 早班 until 17:00")
                await _expect_text(page, f"{shift_row} td:first-child", "front-line")
                await _expect_text(page, f"{shift_row} .agent.leave", "李娜 until 11-16")
                await _expect_text(page, "#oldest-list li:first-child time", "16 Nov 2026, 09:00")
                await _expect_text(
                    page, "#breached-list li:first-child time", _shown_time(breached, "en")
                )
                await _expect_english(page)
                english = SCREENSHOT.with_name(SCREENSHOT.stem + "-en" + SCREENSHOT.suffix)
                await page.screenshot(path=str(english), full_page=True)
                # The choice is remembered: a reload comes back in English.
                await page.reload()
                await _expect_text(page, "#kpi-tickets", str(f["tickets"]))
                await _expect_english(page)
                await page.select_option("#lang", "zh")
                await _expect_text(page, "#oldest-list li:first-child time", zh)
                await _expect_text(page, "#teams thead th:first-child", "团队")
                await _expect_text(page, "h1", "sopdesk 客服看板")
                await _expect_text(page, "#status", "实时")
                assert await mine.text_content() == "王晓明（物流）"
                assert await page.locator("html").get_attribute("lang") == "zh-CN"
                href = await oldest.first.get_attribute("href")
                assert href == f"http://127.0.0.1:8006/tickets/{first}"

                # New tickets arrive: the page follows without a reload.
                more: list[Any] = []
                for n in range(3):
                    more += lifecycle(
                        Scenario(ticket_no=f"N{n}", received_at=T0 + timedelta(days=3))
                    )
                await apply(store, more)
                await _expect_text(page, "#kpi-tickets", str(f["tickets"] + 3))

                # The key survives a reload (kept in localStorage only).
                await page.reload()
                await _expect_text(page, "#kpi-tickets", str(f["tickets"] + 3))
                assert outside == []
            finally:
                await browser.close()
