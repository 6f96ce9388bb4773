"""Dispatch over HTTP with its whole runtime (relay, consumer) on the real local broker,
on SQLite and PostgreSQL: triaged tickets in from Kafka, agent actions and every refusal
over HTTP, work orders out on the team's topic."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from eventkit import T0, publish, triaged
from people_support import running_dispatch
from testkit import new_person, person_token, poll

from shared.events import (
    SlaClockData,
    SlaWarning,
    TicketReopened,
    TicketStateData,
    Topics,
)

VIEWER = {"Authorization": "Bearer vw"}
ADMIN = {"Authorization": "Bearer ad"}


def running(
    database_url: str, broker: str, prefix: str
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """Dispatch as people's tests run it, with compensation thresholds of its own."""
    thresholds = {"refund": 200.0, "coupon": 50.0}
    return running_dispatch(database_url, broker, prefix, compensation_thresholds=thresholds)


async def test_agent_work_over_http_with_the_real_broker(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    topics = Topics(topic_prefix)
    async with running(database_url, broker, topic_prefix) as client:
        # --- people sign in: the team's supervisor, another team's, and an agent
        _, SUPERVISOR = await new_person(
            client, ADMIN, "tech-supervisor", roles=["supervisor"], supervises=["tech_support"]
        )
        _, finance = await new_person(
            client, ADMIN, "finance-supervisor", roles=["supervisor"], supervises=["finance"]
        )
        person, me = await new_person(
            client, ADMIN, "wang", roles=["agent"], teams=["tech_support"], display_name="王工"
        )
        # --- a supervisor adds an agent to their own team (a shared key names nobody)
        body = {"name": "老李", "team_key": "tech_support", "skills": {"fault": 3}, "capacity": 1}
        keyed = await client.post(
            "/v1/agents",
            json=body,
            headers={"Authorization": "Bearer sv", "X-Supervisor": "tech-supervisor"},
        )
        assert (keyed.status_code, keyed.json()["code"]) == (403, "person_required")
        other = await client.post("/v1/agents", json=body, headers=finance)
        assert (other.status_code, other.json()["code"]) == (403, "not_team_supervisor")
        bad = await client.post(
            "/v1/agents", json={**body, "skills": {"fault": 9}}, headers=SUPERVISOR
        )
        assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
        created = await client.post("/v1/agents", json=body, headers=SUPERVISOR)
        assert created.status_code == 201, created.text
        assert created.json()["skill_levels"] == {"fault": 3}
        dup = await client.post("/v1/agents", json=body, headers=SUPERVISOR)
        assert (dup.status_code, dup.json()["code"]) == (409, "agent_exists")
        # The agent's account is its agent: its supervisor sets skills, it comes online.
        mine = f"/v1/agents/{person['id']}"
        skilled = await client.patch(
            mine, json={"skills": {"fault": 3}, "capacity": 1}, headers=SUPERVISOR
        )
        assert skilled.status_code == 200, skilled.text
        online = await client.patch(mine, json={"status": "online"}, headers=me)
        agent = online.json()
        assert agent["skill_levels"] == {"fault": 3} and agent["status"] == "online"
        # The roster names the agent as analytics does (the account's display name).
        roster = (await client.get("/v1/agents?team=tech_support", headers=SUPERVISOR)).json()
        assert {a["id"]: a["display_name"] for a in roster}[person["id"]] == "王工"

        # --- two triaged tickets arrive from Kafka: one assigned, one queued
        first = triaged(ticket_no="T-HTTP-1", priority="P1", kb=True)
        second = triaged(ticket_no="T-HTTP-2", respond=timedelta(hours=3))

        def arrived(count: int) -> Callable[[], Awaitable[list[dict[str, Any]] | None]]:
            async def check() -> list[dict[str, Any]] | None:
                url = "/v1/assignments?team=tech_support"
                rows = (await client.get(url, headers=VIEWER)).json()
                return rows if len(rows) == count else None

            return check

        # One after the other: on different partitions their order is not defined.
        await publish(broker, topics.triage, first)
        await poll(arrived(1))
        await publish(broker, topics.triage, second)
        rows = {r["ticket_no"]: r for r in await poll(arrived(2))}
        a, b = rows["T-HTTP-1"], rows["T-HTTP-2"]
        assert a["state"] == "assigned" and a["agent_id"] == agent["id"]
        assert b["state"] == "queued"
        queue = (await client.get("/v1/queue?team=tech_support", headers=VIEWER)).json()
        assert [q["ticket_no"] for q in queue] == ["T-HTTP-2"]
        path = f"/v1/assignments/{a['id']}"
        assert (await client.get(path, headers=VIEWER)).json()["kb_suggestions"]
        # One ticket's assignment by its id (the workspace's ticket page), whatever the
        # other filters would list.
        by_ticket = f"/v1/assignments?ticket={b['ticket_id']}&team=tech_support"
        assert [r["id"] for r in (await client.get(by_ticket, headers=VIEWER)).json()] == [b["id"]]
        nobody = f"/v1/assignments?ticket={uuid.uuid4()}"
        assert (await client.get(nobody, headers=VIEWER)).json() == []
        malformed = await client.get("/v1/assignments?ticket=T-HTTP-1", headers=VIEWER)
        assert malformed.status_code == 422, malformed.text

        # --- refusals
        async def refused(method: str, url: str, headers: dict[str, str], **kw: Any) -> str:
            response = await client.request(method, url, headers=headers, **kw)
            assert 400 <= response.status_code < 500, response.text
            return f"{response.status_code} {response.json()['code']}"

        impostor = {"Authorization": "Bearer ag", "X-Agent-Id": agent["id"]}
        assert await refused("POST", f"{path}/accept", impostor) == "403 person_required"
        stranger = person_token("ghost", roles=("agent",), teams=("tech_support",))
        assert await refused("POST", f"{path}/accept", stranger) == "403 unknown_agent"
        assert await refused("POST", f"/v1/assignments/{b['id']}/accept", me) == (
            "403 not_your_assignment"
        )
        assert await refused("POST", f"/v1/assignments/{uuid.uuid4()}/accept", me) == (
            "404 assignment_not_found"
        )
        assert await refused("POST", f"{path}/accept", SUPERVISOR) == "403 role_not_allowed"
        resolve = {"resolution_code": "reset", "public_reply": "已为您重置"}
        early = await client.post(f"{path}/resolve", json=resolve, headers=me)
        assert (early.status_code, early.json()["code"]) == (409, "invalid_state")
        assert "assigned" in early.json()["message"]
        assert await refused("POST", f"{path}/resolve", me, json={"resolution_code": "x1"}) == (
            "422 validation_error"
        )
        assert await refused("GET", "/v1/agents/not-a-uuid", VIEWER) == "404 agent_not_found"

        # --- accept → progress → wait → resume → escalate → compensation → resolve
        accepted = await client.post(f"{path}/accept", headers=me)
        assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
        assert await refused("POST", f"{path}/accept", me) == "409 invalid_state"
        note = {"note": "已联系客户", "customer_visible": True}
        assert (await client.post(f"{path}/progress", json=note, headers=me)).status_code == 200
        waiting = await client.post(f"{path}/waiting_on_customer", headers=me)
        assert waiting.json()["state"] == "waiting_on_customer"
        resumed = await client.post(f"{path}/resume", json={"note": "客户已回复"}, headers=me)
        assert resumed.json()["state"] == "accepted"
        visit = await client.post(f"{path}/visit", json={}, headers=me)
        assert visit.status_code == 200 and visit.json()["visit_until"], visit.text
        naive = {"window_start": "2026-11-24T01:00:00", "window_end": "2026-11-24T03:00:00"}
        assert await refused("POST", f"{path}/visit", me, json=naive) == "422 validation_error"
        escalated = await client.post(f"{path}/escalate", json={"reason": "需主管"}, headers=me)
        assert escalated.json()["escalated"] is True
        refund = await client.post(
            f"{path}/compensations", json={"kind": "refund", "amount": 399}, headers=me
        )
        assert refund.status_code == 201 and refund.json()["state"] == "pending"
        comp = refund.json()["id"]
        blocked = await client.post(f"{path}/resolve", json=resolve, headers=me)
        assert blocked.json()["code"] == "compensation_pending"

        box = (await client.get("/v1/supervisor/inbox", headers=SUPERVISOR)).json()
        assert box["teams"] == ["tech_support"]
        assert [p["id"] for p in box["pending_approvals"]] == [comp]
        assert [e["ticket_no"] for e in box["escalations"]] == ["T-HTTP-1"]
        assert [r["ticket_no"] for r in box["reports"]] == ["T-HTTP-1"]  # P1 reported
        not_mine = await client.get("/v1/supervisor/inbox?team=finance", headers=SUPERVISOR)
        assert not_mine.json()["code"] == "not_team_supervisor"

        assert await refused("POST", f"/v1/compensations/{comp}/reject", SUPERVISOR, json={}) == (
            "422 validation_error"
        )
        approved = await client.post(f"/v1/compensations/{comp}/approve", headers=SUPERVISOR)
        assert approved.status_code == 200 and approved.json()["state"] == "approved"
        assert await refused("POST", f"/v1/compensations/{comp}/approve", SUPERVISOR) == (
            "409 invalid_state"
        )

        done = await client.post(f"{path}/resolve", json=resolve, headers=me)
        assert done.status_code == 200 and done.json()["state"] == "resolved"
        again = await client.post(f"{path}/resolve", json=resolve, headers=me)
        assert again.json()["code"] == "invalid_state" and "resolved" in again.json()["message"]
        # The freed capacity took the queued ticket in the same transaction.
        drained = (await client.get(f"/v1/assignments/{b['id']}", headers=VIEWER)).json()
        assert drained["state"] == "assigned" and drained["agent_id"] == agent["id"]

        # --- the drained ticket is transferred to finance, which has nobody: it queues there
        drained_path = f"/v1/assignments/{b['id']}/transfer"
        nowhere = {"reason": "退款", "to_team": "nowhere"}
        assert await refused("POST", drained_path, me, json=nowhere) == "404 team_not_found"
        assert await refused("POST", drained_path, me, json={"to_team": "finance"}) == (
            "422 validation_error"
        )
        moved = await client.post(
            drained_path, json={"reason": "退款需财务处理", "to_team": "finance"}, headers=me
        )
        assert moved.status_code == 200, moved.text
        assert (moved.json()["team_key"], moved.json()["state"]) == ("finance", "queued")
        assert await refused("POST", drained_path, me, json=nowhere) == "403 not_your_assignment"

        # --- an agent sets its own status; not someone else's, nor its capacity
        own = f"/v1/agents/{agent['id']}"
        assert await refused("PATCH", own, me, json={"capacity": 9}) == "403 status_only"
        away = await client.patch(own, json={"status": "away"}, headers=me)
        assert away.status_code == 200 and away.json()["status"] == "away"

        # --- teams: an admin creates one (and its topic); its supervisor edits it
        admin = ADMIN
        team = {"key": "vip_care", "name": "VIP", "supervisor": "vip-sv", "skills": ["vip"]}
        assert await refused("POST", "/v1/teams", SUPERVISOR, json=team) == "403 role_not_allowed"
        made = await client.post("/v1/teams", json=team, headers=admin)
        assert made.status_code == 201, made.text
        assert await refused("POST", "/v1/teams", admin, json=team) == "409 team_exists"
        assert await refused("POST", "/v1/teams", admin, json={**team, "key": "Bad Key"}) == (
            "422 validation_error"
        )
        _, vip = await new_person(
            client, ADMIN, "vip-sv", roles=["supervisor"], supervises=["vip_care"]
        )
        renamed = await client.patch("/v1/teams/vip_care", json={"name": "VIP 专席"}, headers=vip)
        assert renamed.status_code == 200 and renamed.json()["name"] == "VIP 专席"
        assert await refused("PATCH", "/v1/teams/vip_care", SUPERVISOR, json={"name": "x"}) == (
            "403 not_team_supervisor"
        )
        assert await refused("GET", "/v1/teams/nope", VIEWER) == "404 team_not_found"
        assert await refused("DELETE", "/v1/teams/tech_support", admin) == "409 team_in_use"
        assert (await client.delete("/v1/teams/vip_care", headers=admin)).status_code == 204

        # --- SLA warnings from follow-up land in the supervisor's inbox
        warning = SlaWarning(
            ticket_id=uuid.UUID(b["ticket_id"]),
            data=SlaClockData(clock="response", due_at=T0 + timedelta(hours=3)),
        )
        await publish(broker, topics.followup, warning)

        async def warned() -> bool:
            # The ticket is finance's now: its supervisor is warned.
            url = "/v1/supervisor/inbox?team=finance"
            box = (await client.get(url, headers={"Authorization": "Bearer ad"})).json()
            return [w["ticket_no"] for w in box["sla_warnings"]] == ["T-HTTP-2"]

        await poll(warned)

        # --- a reopened ticket whose agent is away goes to the queue, escalated
        reopened = TicketReopened(
            ticket_id=uuid.UUID(a["ticket_id"]), data=TicketStateData(reason="CSAT 1")
        )
        await publish(broker, topics.followup, reopened)

        async def back_in_queue() -> bool:
            row = (await client.get(path, headers=VIEWER)).json()
            return row["state"] == "queued" and row["escalated"] is True

        await poll(back_in_queue)
        box = (await client.get("/v1/supervisor/inbox", headers=SUPERVISOR)).json()
        assert len(box["escalations"]) == 1 and len(box["reopened"]) == 1

    # --- the team reads its work orders from its topic with a plain Kafka client
    consumer = AIOKafkaConsumer(
        topics.assignments("tech_support"),
        bootstrap_servers=broker,
        group_id=f"{topic_prefix}.kcat",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        orders: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        while len(orders) < 2 and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            orders += [json.loads(r.value) for records in batch.values() for r in records]
    finally:
        await consumer.stop()
    by_no = {o["data"]["ticket_no"]: o for o in orders}
    assert set(by_no) == {"T-HTTP-1", "T-HTTP-2"}
    assert all(o["type"] == "work_order.issued" for o in orders)
    assert by_no["T-HTTP-1"]["data"]["kb_suggestions"][0]["title"] == "设备无法启动"
    assert by_no["T-HTTP-1"]["data"]["priority"] == "P1"
    assert by_no["T-HTTP-2"]["data"]["reason"] == "drained"
