"""More time reaches the customer (seed 002, issue 13 §4): intake and dispatch running with
their runtimes on the real local broker; the agent asks, the supervisor grants, intake
sends its extension notice (处理时限调整通知) with the new time. Dispatch on SQLite and
PostgreSQL; intake on SQLite."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from eventkit import publish, triaged
from people_support import ADMIN_KEY, online_agent, running_dispatch
from testkit import TOKEN_KEYS, new_person, on_test_broker, poll, serving

from services.intake.app import MIGRATIONS as INTAKE_MIGRATIONS
from services.intake.app import create_app as create_intake
from services.intake.models import BUS as INTAKE_BUS
from services.intake.settings import IntakeSettings
from shared.database import create_engine
from shared.events import NotificationOutgoing, Topics, parse_event, utcnow
from shared.migrations import upgrade

GATEWAY = {"Authorization": "Bearer gw"}


@asynccontextmanager
async def running_intake(url: str, broker: str, prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    await asyncio.to_thread(upgrade, INTAKE_MIGRATIONS, url)
    settings = on_test_broker(
        IntakeSettings,
        url,
        broker,
        prefix,
        api_keys={"gw": "gateway"},
        token_public_key=TOKEN_KEYS["token_public_key"],
        consumer_session_timeout_ms=6000,
    )
    app = create_intake(settings)
    async with serving(app, ready_within=30) as client:
        yield client


async def extension_notices(url: str) -> list[NotificationOutgoing]:
    """Intake's notifications with the extension template (their outbox rows stay for the
    replay window)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(INTAKE_BUS.outbox.c.payload))).all()
    finally:
        await engine.dispose()
    events = [parse_event(row.payload) for row in rows]
    return [
        e for e in events if isinstance(e, NotificationOutgoing) and e.data.template == "extension"
    ]


async def test_granted_time_moves_the_deadline_and_the_customer_is_told(
    database_url: str, broker: str, topic_prefix: str, tmp_path: Path
) -> None:
    topics = Topics(topic_prefix)
    intake_url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    async with (
        running_dispatch(database_url, broker, topic_prefix) as dispatch,
        running_intake(intake_url, broker, topic_prefix) as intake,
    ):
        _, me = await online_agent(dispatch, "wang", "tech_support", skills={"fault": 3})
        _, boss = await new_person(
            dispatch, ADMIN_KEY, "boss", roles=["supervisor"], supervises=["tech_support"]
        )
        created = await intake.post(
            "/v1/tickets",
            headers=GATEWAY,
            json={
                "channel": "web_chat",
                "customer": {"name": "张三", "phone": "13812345678"},
                "subject": "设备无法启动",
                "description": "昨天起无法开机",
            },
        )
        assert created.status_code == 201, created.text
        ticket = created.json()
        # Triage's decision, as triage would publish it for this ticket.
        event = triaged(uuid.UUID(ticket["ticket_id"]), ticket_no=ticket["ticket_no"])
        now = utcnow()
        event.data.deadlines.respond_by = now + timedelta(hours=2)
        event.data.deadlines.resolve_by = now + timedelta(hours=8)
        await publish(broker, topics.triage, event)

        async def assigned() -> dict[str, Any] | None:
            rows = (await dispatch.get("/v1/assignments?agent=me", headers=me)).json()
            return rows[0] if rows else None

        a = await poll(assigned)
        path = f"/v1/assignments/{a['id']}"
        assert (await dispatch.post(f"{path}/accept", headers=me)).status_code == 200
        ask = {"extra_minutes": 180, "reason": "等待厂家检测报告"}
        asked = await dispatch.post(f"{path}/extension-requests", json=ask, headers=me)
        assert asked.status_code == 201, asked.text
        grant = await dispatch.post(
            f"/v1/extension-requests/{asked.json()['id']}/grant",
            json={"note": "同意"},
            headers=boss,
        )
        assert grant.status_code == 200, grant.text
        after = (await dispatch.get(path, headers=me)).json()
        assert after["resolve_by"] == grant.json()["resolve_by_after"]

        notices = await poll(lambda: extension_notices(intake_url))
        assert len(notices) == 1
        assert ticket["ticket_no"] in notices[0].data.body
        thread = await dispatch.get(f"/v1/tickets/{ticket['ticket_no']}/activity", headers=me)
        granted = [line for line in thread.json() if line["kind"] == "extension_granted"]
        assert granted and granted[0]["actor_name"] == "boss"
        assert granted[0]["data"]["extra_minutes"] == 180
