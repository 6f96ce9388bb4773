"""Customer replies reach the agent across services (issue 13 §3): dispatch and follow-up
running with their runtimes on the real local broker, intake's ``ticket.message_added``
published as intake does. Dispatch on SQLite and PostgreSQL; follow-up on SQLite."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from eventkit import publish, triaged
from people_support import ADMIN_KEY, online_agent, running_dispatch
from testkit import TOKEN_KEYS, new_person, on_test_broker, poll, serving

from services.followup.app import MIGRATIONS as FOLLOWUP_MIGRATIONS
from services.followup.app import create_app as create_followup
from services.followup.settings import FollowupSettings
from shared.events import TicketMessageAdded, TicketMessageAddedData, Topics, utcnow
from shared.migrations import upgrade

VIEWER = {"Authorization": "Bearer vw"}


@asynccontextmanager
async def running_followup(url: str, broker: str, prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = on_test_broker(
        FollowupSettings,
        url,
        broker,
        prefix,
        api_keys={"vw": "viewer"},
        token_public_key=TOKEN_KEYS["token_public_key"],
        consumer_session_timeout_ms=6000,
        timer_interval_seconds=0.2,
    )
    await asyncio.to_thread(upgrade, FOLLOWUP_MIGRATIONS, url)
    app = create_followup(settings)
    async with serving(app, ready_within=30) as client:
        yield client


def message(ticket_id: uuid.UUID, body: str, **data: Any) -> TicketMessageAdded:
    return TicketMessageAdded(
        ticket_id=ticket_id,
        producer="intake",
        data=TicketMessageAddedData(message_id=uuid.uuid4(), body=body, **data),
    )


async def test_replies_resume_flag_and_reopen_through_the_broker(
    database_url: str, broker: str, topic_prefix: str, tmp_path: Path
) -> None:
    topics = Topics(topic_prefix)
    followup_url = f"sqlite+aiosqlite:///{tmp_path / 'followup.db'}"
    async with (
        running_dispatch(database_url, broker, topic_prefix) as dispatch,
        running_followup(followup_url, broker, topic_prefix) as followup,
    ):
        person, me = await online_agent(
            dispatch, "wang", "tech_support", skills={"fault": 3}, capacity=2, display_name="王工"
        )

        event = triaged(ticket_no="T20261202-000001")
        now = utcnow()
        event.data.deadlines.respond_by = now + timedelta(hours=2)
        event.data.deadlines.resolve_by = now + timedelta(hours=24)
        tid = event.ticket_id
        assert tid is not None
        await publish(broker, topics.triage, event)

        async def assignment() -> dict[str, Any] | None:
            got = await dispatch.get("/v1/assignments?team=tech_support", headers=VIEWER)
            rows = got.json()
            return rows[0] if rows else None

        a = await poll(assignment)
        path = f"/v1/assignments/{a['id']}"

        async def clocks() -> dict[str, Any] | None:
            got = await followup.get(f"/v1/sla/{tid}", headers=VIEWER)
            return {c["kind"]: c for c in got.json()["clocks"]} if got.status_code == 200 else None

        await poll(clocks)
        assert (await dispatch.post(f"{path}/accept", headers=me)).status_code == 200
        waiting = await dispatch.post(f"{path}/waiting_on_customer", headers=me)
        assert waiting.json()["state"] == "waiting_on_customer"

        async def resolution_is(state: str) -> bool:
            now_clocks = await clocks()
            return bool(now_clocks) and now_clocks["resolution"]["state"] == state  # type: ignore[index]

        await poll(lambda: resolution_is("paused"))

        # --- the customer answers while the ticket waits: resumed, clocks run, agent told
        await publish(broker, topics.intake, message(tid, "订单截图已发送,电话 13812345678"))

        async def resumed() -> dict[str, Any] | None:
            row = (await dispatch.get(path, headers=VIEWER)).json()
            return row if row["state"] == "accepted" else None

        row = await poll(resumed)
        assert row["customer_replied_at"] is not None
        await poll(lambda: resolution_is("running"))

        # --- the agent resolves; the customer says it is still not solved (no "未解决"
        # keyword: intake's reply is None, reopens False): follow-up reopens, dispatch gives
        # it back to 王工 and the supervisor sees it.
        resolve = {
            "resolution_code": "refund_sent",
            "public_reply": "已退款",
            "expected_version": row["version"],
        }
        done = await dispatch.post(f"{path}/resolve", json=resolve, headers=me)
        assert done.status_code == 200, done.text
        again = await dispatch.post(f"{path}/resolve", json=resolve, headers=me)
        assert (again.status_code, again.json()["code"]) == (409, "stale_assignment")
        await poll(lambda: resolution_is("met"))
        await publish(broker, topics.intake, message(tid, "还是没有收到退款,问题没有解决!"))

        async def reopened() -> dict[str, Any] | None:
            row = (await dispatch.get(path, headers=VIEWER)).json()
            return row if row["state"] == "assigned" else None

        back = await poll(reopened)
        assert back["agent_id"] == person["id"] and back["customer_replied_at"] is not None
        await poll(lambda: resolution_is("running"))

        thread = await dispatch.get("/v1/tickets/T20261202-000001/activity", headers=me)
        assert thread.status_code == 200, thread.text
        kinds = [line["kind"] for line in thread.json()]
        assert kinds[:5] == ["assigned", "accepted", "waiting", "customer_replied", "resumed"]
        assert kinds[-5:] == ["resolved", "customer_replied", "reopened", "escalated", "assigned"]
        texts = " ".join(line["text"] or "" for line in thread.json())
        assert "13812345678" not in texts and "138****5678" in texts
        assert {line["actor_name"] for line in thread.json()} >= {"王工", "客户 customer"}
        by_id = await dispatch.get(f"/v1/tickets/{tid}/activity", headers=VIEWER)
        assert by_id.json() == thread.json()
        stranger = await new_person(
            dispatch, ADMIN_KEY, "li", roles=["agent"], teams=["finance"], display_name="李"
        )
        refused = await dispatch.get(f"/v1/tickets/{tid}/activity", headers=stranger[1])
        assert (refused.status_code, refused.json()["code"]) == (403, "not_your_team")
        missing = await dispatch.get("/v1/tickets/T20990101-000001/activity", headers=VIEWER)
        assert (missing.status_code, missing.json()["code"]) == (404, "ticket_not_found")

        # The supervisor's inbox shows the reopened ticket.
        _, boss = await new_person(
            dispatch, ADMIN_KEY, "boss", roles=["supervisor"], supervises=["tech_support"]
        )
        box = (await dispatch.get("/v1/supervisor/inbox", headers=boss)).json()
        assert [i["ticket_no"] for i in box["reopened"]] == ["T20261202-000001"]

        # --- 王工 asks for more time (seed 002); the supervisor grants it: dispatch's
        # deadline and follow-up's resolution clock both move by 4 hours.
        accepted = await dispatch.post(f"{path}/accept", headers=me)
        assert accepted.status_code == 200, accepted.text
        due_before = (await clocks())["resolution"]["due_at"]  # type: ignore[index]
        ask = {"extra_minutes": 240, "reason": "等待厂家检测报告"}
        asked = await dispatch.post(f"{path}/extension-requests", json=ask, headers=me)
        assert asked.status_code == 201, asked.text
        box = (await dispatch.get("/v1/supervisor/inbox", headers=boss)).json()
        (item,) = box["extension_requests"]
        assert item["ref_id"] == asked.json()["id"]
        by_agent = await dispatch.post(
            f"/v1/extension-requests/{item['ref_id']}/grant", json={}, headers=me
        )
        assert by_agent.status_code == 403
        grant = await dispatch.post(
            f"/v1/extension-requests/{item['ref_id']}/grant", json={"note": "同意"}, headers=boss
        )
        assert grant.status_code == 200 and grant.json()["state"] == "granted", grant.text

        async def moved() -> bool:
            due = (await clocks())["resolution"]["due_at"]  # type: ignore[index]
            return due != due_before

        await poll(moved)
        shift = datetime.fromisoformat((await clocks())["resolution"]["due_at"]) - (  # type: ignore[index]
            datetime.fromisoformat(due_before)
        )
        assert shift == timedelta(minutes=240)
        handled = (await dispatch.get("/v1/supervisor/inbox?state=handled", headers=boss)).json()
        assert [i["id"] for i in handled["extension_requests"]] == [item["id"]]
        # The reopened item is dismissed with a note, once.
        (reopened_item,) = box["reopened"]
        dismissed = await dispatch.post(
            f"/v1/supervisor/inbox/{reopened_item['id']}/dismiss",
            json={"note": "已回电确认"},
            headers=boss,
        )
        assert dismissed.json()["closed_by_name"] == "boss", dismissed.text
        again = await dispatch.post(
            f"/v1/supervisor/inbox/{reopened_item['id']}/dismiss", headers=boss
        )
        assert (again.status_code, again.json()["code"]) == (409, "invalid_state")

        # --- "my work" for 王工: the ticket in progress, with its version
        work = await dispatch.get("/v1/assignments?agent=me&view=in_progress", headers=me)
        assert [w["ticket_no"] for w in work.json()] == ["T20261202-000001"]
        assert work.json()[0]["version"] > 1
        keyed = await dispatch.get("/v1/assignments?agent=me", headers=VIEWER)
        assert (keyed.status_code, keyed.json()["code"]) == (403, "person_required")
        bad = await dispatch.get("/v1/assignments?view=soon", headers=me)
        assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
