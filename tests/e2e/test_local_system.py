"""End to end: start the system exactly as `sopdesk up` does and follow one ticket.

The ticket goes from the intake POST through real Kafka messages to triage,
dispatch, follow-up and analytics; the test polls each service's API with a
deadline rather than sleeping.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from local_system_support import (
    EXPECTED_ISSUES,
    EXPECTED_KEYWORDS,
    NOISE,
    RunningSystem,
    dead_letters,
    notices,
    survey_links,
)
from playwright.sync_api import sync_playwright
from testkit import eventually, free_port, up_process

from shared.events import TicketReceived, TicketReceivedData, utcnow

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "triage", "dispatch", "followup", "analytics")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    data_dir = tmp_path_factory.mktemp("sopdesk-up")
    with up_process(data_dir, SERVICES, smtp_port=free_port()) as up:
        yield RunningSystem(up.process, up.urls, up.keys, data_dir, up.broker)


def _get(url: str, headers: dict[str, str], **params: Any) -> Any:
    response = httpx.get(url, headers=headers, params=params, timeout=5)
    response.raise_for_status()
    return response.json()


LOGIN_TICKET = {
    "channel": "phone",
    "customer": {"name": "张三", "phone": "138 1234 5678"},
    "subject": "账号无法登录",
    "description": "今天早上开始账号无法登录,提示密码错误。",
}


def test_one_ticket_travels_from_intake_to_assignment_and_ledger(system: RunningSystem) -> None:
    started = time.monotonic()
    created = httpx.post(
        f"{system.urls['intake']}/v1/tickets",
        headers={**system.headers("gateway"), "Idempotency-Key": "e2e-login-1"},
        json=LOGIN_TICKET,
        timeout=5,
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["ticket_no"].startswith("T")
    assert "已受理" in ticket["acknowledgement"]

    def assigned() -> dict[str, Any] | None:
        rows = _get(f"{system.urls['dispatch']}/v1/assignments", system.headers("supervisor"))
        return next(
            (r for r in rows if r["ticket_id"] == ticket["ticket_id"] and r["state"] == "assigned"),
            None,
        )

    assignment = eventually(assigned)
    elapsed = time.monotonic() - started
    # Login failures are P0 faults for tech support, with the cross-industry 30 min / 4 h windows.
    assert assignment["team_key"] == "tech_support"
    assert assignment["priority"] == "P0"
    assert assignment["agent_id"] is not None
    print(f"intake → assigned in {elapsed * 1000:.0f} ms")

    def in_ledger() -> dict[str, Any] | None:
        page = _get(f"{system.urls['analytics']}/v1/ledger", system.headers("viewer"))
        row = next((r for r in page["items"] if r["ticket_id"] == ticket["ticket_id"]), None)
        return row if row and row["state"] == "assigned" else None

    row = eventually(in_ledger)
    assert row["masked_contact"] == "138****5678"
    assert row["category"] == "fault"
    summary = _get(f"{system.urls['analytics']}/v1/metrics/summary", system.headers("viewer"))
    assert summary["by_state"].get("assigned", 0) >= 1

    def clocks() -> dict[str, Any] | None:
        response = httpx.get(
            f"{system.urls['followup']}/v1/sla/{ticket['ticket_id']}",
            headers=system.headers("agent"),
            timeout=5,
        )
        return response.json() if response.status_code == 200 else None

    sla = eventually(clocks)
    assert {c["kind"] for c in sla["clocks"]} == {"response", "resolution", "update"}

    def customer_sees_assignment() -> dict[str, Any] | None:
        view = _get(
            f"{system.urls['intake']}/v1/tickets/{ticket['ticket_id']}", system.headers("gateway")
        )
        return view if view["status"] == "assigned" else None

    view = eventually(customer_sees_assignment)
    assert view["timeline"][0]["kind"] == "received"
    assert {"received", "triaged", "assigned"} <= {item["kind"] for item in view["timeline"]}

    # The same Idempotency-Key returns the same ticket; with another body it is refused.
    again = httpx.post(
        f"{system.urls['intake']}/v1/tickets",
        headers={**system.headers("gateway"), "Idempotency-Key": "e2e-login-1"},
        json=LOGIN_TICKET,
        timeout=5,
    )
    assert again.json()["ticket_id"] == ticket["ticket_id"]
    reused = httpx.post(
        f"{system.urls['intake']}/v1/tickets",
        headers={**system.headers("gateway"), "Idempotency-Key": "e2e-login-1"},
        json={**LOGIN_TICKET, "subject": "x", "description": "y"},
        timeout=5,
    )
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")


def test_a_customer_who_writes_soon_after_closure_reopens_the_ticket(
    system: RunningSystem,
) -> None:
    """Resolve, answer the survey with a 5 (closed), write again: the ticket reopens, goes
    back to its agent, and its resolution clock runs again."""
    urls = system.urls
    created = httpx.post(
        f"{urls['intake']}/v1/tickets",
        headers=system.headers("gateway"),
        json={
            "channel": "web_chat",
            "customer": {"phone": "13900001111"},
            "subject": "物流延迟",
            "description": "快递一周还没到",
        },
        timeout=5,
    ).json()
    ticket_id = created["ticket_id"]

    def assignment() -> dict[str, Any] | None:
        rows = _get(f"{urls['dispatch']}/v1/assignments", system.headers("supervisor"))
        return next((r for r in rows if r["ticket_id"] == ticket_id), None)

    work = eventually(assignment)
    # The assigned agent signs in and works the ticket; a shared key naming them may not.
    login = _get(f"{urls['dispatch']}/v1/agents/{work['agent_id']}", system.headers("viewer"))
    path = f"{urls['dispatch']}/v1/assignments/{work['id']}"
    impostor = {**system.headers("agent"), "X-Agent-Id": work["agent_id"]}
    assert httpx.post(f"{path}/accept", headers=impostor, timeout=5).status_code == 403
    agent = system.sign_in(login["name"])
    me = _get(f"{urls['dispatch']}/v1/auth/me", agent)
    assert me["id"] == work["agent_id"]
    assert httpx.post(f"{path}/accept", headers=agent, timeout=5).status_code == 200
    resolved = httpx.post(
        f"{path}/resolve",
        headers=agent,
        json={"resolution_code": "delivered", "public_reply": "包裹已送达,请查收。"},
        timeout=5,
    )
    assert resolved.status_code == 200, resolved.text

    def named_in_timeline() -> list[str] | None:
        view = _get(f"{urls['intake']}/v1/tickets/{ticket_id}", system.headers("gateway"))
        texts = [e["text"] for e in view["timeline"] if e["kind"] in ("accepted", "resolved")]
        return texts if len(texts) == 2 else None

    assert all(me["display_name"] in text for text in eventually(named_in_timeline))

    def in_ledger() -> dict[str, Any] | None:
        page = _get(f"{urls['analytics']}/v1/ledger", system.headers("viewer"))
        return next((r for r in page["items"] if r["ticket_id"] == ticket_id), None)

    assert eventually(in_ledger)["agent_name"] == me["display_name"]

    links = eventually(lambda: survey_links(system.broker, ticket_id), timeout=30)
    answer = httpx.post(links[-1], json={"resolved": True, "score": 5}, timeout=5)
    assert answer.status_code == 200 and answer.json()["outcome"] == "confirmed"

    def status(want: str) -> dict[str, Any] | None:
        view = _get(f"{urls['intake']}/v1/tickets/{ticket_id}", system.headers("gateway"))
        return view if view["status"] == want else None

    eventually(lambda: status("closed"))
    message = httpx.post(
        f"{urls['intake']}/v1/tickets/{ticket_id}/messages",
        headers=system.headers("gateway"),
        json={"body": "包裹是空的,没有东西"},
        timeout=5,
    )
    assert message.status_code == 202 and message.json()["reopens"] is True

    def clocks_running() -> dict[str, Any] | None:
        sla = _get(f"{urls['followup']}/v1/sla/{ticket_id}", system.headers("agent"))
        kinds = {c["kind"]: c for c in sla["clocks"]}
        return kinds if kinds["resolution"]["state"] == "running" else None

    clocks = eventually(clocks_running)
    assert clocks["response"]["state"] == "met"
    assert clocks["update"]["state"] == "running"
    back = eventually(lambda: (a := assignment()) and a["state"] != "resolved" and a)
    assert back["agent_id"] == work["agent_id"]
    view = _get(f"{urls['intake']}/v1/tickets/{ticket_id}", system.headers("gateway"))
    assert [e["kind"] for e in view["timeline"]].count("reopened") == 1


# --------------------------------------------------------------------------- teams as data


def test_a_team_created_at_run_time_is_routed_to_named_and_shown(system: RunningSystem) -> None:
    """An admin creates a team at dispatch; with no restart, a triage rule routes to it,
    the customer's notice names it, and the dashboard shows it by its name."""
    admin = system.headers("admin")
    team = {
        "key": "vip_desk",
        "name": "VIP 专席",
        "name_en": "VIP desk",
        "supervisor": "vip-supervisor",
        "skills": ["vip"],
    }
    created = httpx.post(f"{system.urls['dispatch']}/v1/teams", headers=admin, json=team)
    assert created.status_code == 201, created.text
    agent = {"name": "贵宾-1", "team_key": "vip_desk", "skills": {"vip": 2}, "status": "online"}
    added = httpx.post(f"{system.urls['dispatch']}/v1/agents", headers=admin, json=agent)
    assert added.status_code == 201, added.text

    rule = {
        "rule_id": "vip.desk",
        "description": "Calls to the VIP line go to the VIP desk.",
        "conditions": {"keywords": ["贵宾专线"]},
        "actions": {
            "category": "inquiry",
            "priority": "P2",
            "team": "vip_desk",
            "scene": "in_sale",
        },
        "position": 0,
    }

    def rule_accepted() -> httpx.Response | None:
        # Triage hears of the team from dispatch's announcement, a moment after.
        response = httpx.post(f"{system.urls['triage']}/v1/rules", headers=admin, json=rule)
        if response.status_code == 422 and "vip_desk" in response.text:
            return None
        return response

    response = eventually(rule_accepted, timeout=20, interval=0.2)
    assert response.status_code == 201, response.text

    ticket = httpx.post(
        f"{system.urls['intake']}/v1/tickets",
        headers={**system.headers("gateway"), "Idempotency-Key": "e2e-vip-desk-1"},
        json={
            "channel": "phone",
            "customer": {"name": "赵六", "phone": "13912345670"},
            "subject": "贵宾专线咨询",
            "description": "想了解贵宾专线的服务时间。",
        },
        timeout=5,
    ).json()

    def named_notice() -> list[str] | None:
        return notices(system.broker, ticket["ticket_id"], "assignment_notice") or None

    (body,) = eventually(named_notice, timeout=30, interval=0.5)
    assert "已提交至VIP 专席团队" in body, body
    view = _get(
        f"{system.urls['intake']}/v1/tickets/{ticket['ticket_id']}", system.headers("gateway")
    )
    assert "已分派给VIP 专席团队" in [item["text"] for item in view["timeline"]]

    def on_dashboard() -> dict[str, Any] | None:
        snapshot = _get(f"{system.urls['analytics']}/v1/stream", system.headers("viewer"))
        teams = {g["key"]: g for g in snapshot["teams"]}
        return teams.get("vip_desk") if snapshot["labels"]["team"].get("vip_desk") else None

    group = eventually(on_dashboard, timeout=20, interval=0.3)
    assert group["name"] == "VIP 专席" and group["figures"]["tickets"] == 1

    # And in the page itself, in a real browser.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        try:
            page = browser.new_page()
            page.goto(system.urls["analytics"] + "/")
            page.fill("#key", system.keys["viewer"])
            page.click("#login button[type=submit]")
            cell = page.locator('#teams tr[data-key="vip_desk"] td').first
            cell.wait_for(timeout=15_000)
            assert cell.text_content() == "VIP 专席"
        finally:
            browser.close()
    assert set(dead_letters(system).values()) <= {0.0}


def test_an_unknown_channel_reaches_every_consumer_without_a_dead_letter(
    system: RunningSystem,
) -> None:
    """A newer gateway's channel (one no service knows) travels the whole pipeline: the
    event is kept as it is and the ticket is shown by the channel's key."""
    ticket_id = uuid.uuid4()
    event = TicketReceived(
        ticket_id=ticket_id,
        correlation_id=uuid.uuid4(),
        producer="intake",
        data=TicketReceivedData(
            ticket_no="T20261201-999001",
            channel="douyin",
            customer_id=uuid.uuid4(),
            customer_type="new",
            masked_contact="139****5671",
            subject="账号无法登录",
            description="抖音私信:账号无法登录,提示密码错误。",
            received_at=utcnow(),
        ),
    )

    async def publish() -> None:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=system.broker)
        await producer.start()
        try:
            await producer.send_and_wait(
                "sopdesk.intake",
                event.model_dump_json().encode(),
                key=str(ticket_id).encode(),
                headers=[("type", b"ticket.received")],
            )
        finally:
            await producer.stop()

    asyncio.run(publish())

    def in_ledger() -> dict[str, Any] | None:
        page = _get(
            f"{system.urls['analytics']}/v1/ledger", system.headers("viewer"), channel="douyin"
        )
        row = next((r for r in page["items"] if r["ticket_id"] == str(ticket_id)), None)
        return row if row and row["state"] == "assigned" else None

    row = eventually(in_ledger, timeout=30, interval=0.3)
    assert (row["channel"], row["team"]) == ("douyin", "tech_support")

    def assigned() -> dict[str, Any] | None:
        rows = _get(f"{system.urls['dispatch']}/v1/assignments", system.headers("supervisor"))
        return next((r for r in rows if r["ticket_id"] == str(ticket_id)), None)

    assert eventually(assigned)["team_key"] == "tech_support"

    def clocks() -> dict[str, Any] | None:
        response = httpx.get(
            f"{system.urls['followup']}/v1/sla/{ticket_id}", headers=system.headers("agent")
        )
        return response.json() if response.status_code == 200 else None

    assert eventually(clocks)["clocks"]
    snapshot = _get(f"{system.urls['analytics']}/v1/stream", system.headers("viewer"))
    assert snapshot["summary"]["by_channel"]["douyin"] == 1
    assert "douyin" not in snapshot["labels"]["channel"], "shown by its key"
    assert set(dead_letters(system).values()) <= {0.0}


def test_bad_input_gets_a_stable_error_code(system: RunningSystem) -> None:
    response = httpx.post(
        f"{system.urls['intake']}/v1/tickets",
        headers=system.headers("gateway"),
        json={"channel": "fax", "customer": {}, "subject": "", "description": "x"},
        timeout=5,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    unauthorised = httpx.get(f"{system.urls['analytics']}/v1/metrics/summary", timeout=5)
    assert unauthorised.status_code == 401
    assert unauthorised.json()["code"] == "unauthorized"


def test_status_reports_every_service(system: RunningSystem) -> None:
    base = int(system.urls["intake"].rsplit(":", 1)[1])
    result = subprocess.run(
        [sys.executable, "-m", "sopdesk", "status", "--base-port", str(base)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in SERVICES:
        assert name in result.stdout
    assert "down" not in result.stdout


def test_stores_keys_and_logs_are_private(system: RunningSystem) -> None:
    found = list(system.data_dir.rglob("*"))
    assert any(p.name == "intake.db" for p in found)
    assert any(p.name == "intake.log" for p in found)
    for path in [system.data_dir, *found]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_api_docs_work_offline(system: RunningSystem) -> None:
    page = httpx.get(f"{system.urls['dispatch']}/docs", timeout=5)
    assert page.status_code == 200
    assert "cdn." not in page.text and "unpkg" not in page.text
    script = re.search(r'src="([^"]+swagger-ui-bundle\.js)"', page.text)
    assert script is not None
    asset = httpx.get(f"{system.urls['dispatch']}{script.group(1)}", timeout=5)
    assert asset.status_code == 200
    assert len(asset.content) > 100_000


def test_the_demo_week_worked_fills_the_dashboard_and_a_meaningful_weekly_report(
    system: RunningSystem,
) -> None:
    from sopdesk.demo_tickets import post_week, post_week_tickets, week_of_tickets
    from sopdesk.demo_week import LEFT_WAITING, work_the_week

    # The demo teams work in shifts, one agent of each on shift at any hour.
    for team in ("frontline", "logistics"):
        on_shift = _get(
            f"{system.urls['dispatch']}/v1/teams/{team}/on-shift", system.headers("viewer")
        )
        assert on_shift["has_roster"] and len(on_shift["takes_work"]) == 1, on_shift
        assert on_shift["timezone"] == "Asia/Shanghai" and on_shift["shifts_now"], on_shift

    gateway = system.keys["gateway"]
    numbers = post_week(system.urls["intake"], gateway, run="e2e")
    assert len(set(numbers)) == len(week_of_tickets()) == 40  # none joined another
    # The same batch again adds nothing (its Idempotency-Keys).
    assert post_week(system.urls["intake"], gateway, run="e2e") == numbers

    def all_in_ledger() -> set[str] | None:
        page = _get(f"{system.urls['analytics']}/v1/ledger", system.headers("viewer"), limit=500)
        triaged = {r["ticket_no"] for r in page["items"] if r.get("category")}
        return triaged if set(numbers) <= triaged else None

    eventually(all_in_ledger, timeout=120)

    # The demo agents and customers work the week through the services' APIs.
    before = _get(f"{system.urls['analytics']}/v1/metrics/summary", system.headers("viewer"))
    password = json.loads((system.data_dir / "secrets.json").read_text())["demo_password"]
    worked = work_the_week(
        post_week_tickets(system.urls["intake"], gateway, run="e2e"),
        urls=system.urls,
        keys=system.keys,
        password=password,
        broker=system.broker,
    )
    # 32 to resolve, 4 to work on; a few may stay queued behind the work this module's
    # other tests left with the agents on shift (capacity 5 each).
    resolved = len(worked.resolved)
    # (An unhappy customer's ticket reopens and may queue again.)
    assert resolved >= 25 and len(set(worked.accepted) | set(worked.queued)) == 36, worked
    assert len(worked.surveys_answered) >= 20 and worked.callbacks_completed, worked
    assert len(worked.left_open) == len(LEFT_WAITING)
    # By the agents on shift, each signed in by name.
    assert all("-agent-" in login for login in worked.by_agent), worked.by_agent
    assert sum(worked.by_agent.values()) == resolved

    def figures_in() -> dict[str, Any] | None:
        now = _get(f"{system.urls['analytics']}/v1/metrics/summary", system.headers("viewer"))
        f, was = now["figures"], before["figures"]
        done = (
            f["csat"]["responses"] >= was["csat"]["responses"] + len(worked.surveys_answered)
            and f["resolution"]["count"] >= was["resolution"]["count"] + resolved
            and f["first_response"]["count"]
            >= was["first_response"]["count"] + len(worked.accepted)
        )
        return f if done else None

    f = eventually(figures_in, timeout=60)
    assert f["csat"]["average"] is not None and 1 <= f["csat"]["average"] <= 5, f["csat"]
    assert f["resolution"]["median_seconds"] is not None, f["resolution"]
    assert f["first_response"]["median_seconds"] is not None, f["first_response"]
    left = set(worked.left_open)
    ledger = _get(f"{system.urls['analytics']}/v1/ledger", system.headers("viewer"), limit=500)
    assert {r["ticket_no"] for r in ledger["items"] if r["state"] == "assigned"} >= left
    # The first report loads jieba's dictionary: seconds on a busy machine.
    answer = httpx.get(
        f"{system.urls['analytics']}/v1/reports/weekly",
        headers=system.headers("viewer"),
        timeout=90,
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["figures"]["csat"]["responses"] >= len(worked.surveys_answered)
    assert report["figures"]["resolution"]["count"] >= resolved
    issues = [i["issue"] for i in report["top_issues"]]
    reasons = [i["issue"] for i in report["complaint_reasons"]]
    words = {k["name"]: [w["word"] for w in k["keywords"]] for k in report["keywords"]}
    print("top issues", issues, "complaint reasons", reasons, "keywords", words)
    named = set(issues) | set(reasons) | {w for ws in words.values() for w in ws}
    assert not named & NOISE, named & NOISE
    assert not [w for w in named if any(c.isdigit() for c in w)], named
    # 10 late deliveries (快递 / 物流 / 配送延迟: one reason), 5 login faults, 4 devices.
    assert issues[:3] == ["物流延迟", "账号登录", "无法启动"], issues
    assert set(issues) == EXPECTED_ISSUES, issues
    assert reasons == ["物流延迟", "服务态度"], reasons
    for category, expected in EXPECTED_KEYWORDS.items():
        assert expected <= set(words[category]), (category, words[category])


# Last: it stops the module's system.
def test_ctrl_c_stops_every_process(system: RunningSystem) -> None:
    system.process.send_signal(signal.SIGINT)
    assert system.process.wait(30) == 0
    for url in system.urls.values():
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{url}/healthz", timeout=1)
