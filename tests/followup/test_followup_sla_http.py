"""The running follow-up service: its SLA timer fires on the wall clock, events reach
Kafka, and ``GET /v1/sla/at-risk`` lists what is at risk."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from eventkit import publish
from followup_support import (
    FollowupStore,
    app_settings,
    consume,
    open_store,
    triaged,
)
from testkit import poll, serving

from services.followup.app import create_app
from services.followup.settings import FollowupSettings
from shared.events import Topics, utcnow

SUPERVISOR = {"Authorization": "Bearer sv"}
VIEWER = {"Authorization": "Bearer vw"}
AGENT = {"Authorization": "Bearer ag"}


@asynccontextmanager
async def running(
    settings: FollowupSettings,
) -> AsyncIterator[tuple[httpx.AsyncClient, FollowupStore]]:
    store = await open_store(settings.database_url)
    try:
        app = create_app(settings)
        async with serving(app, ready_within=30) as client:
            yield client, store
    finally:
        await store.engine.dispose()


async def test_short_sla_warns_then_breaches_on_kafka_and_at_risk(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    topics = Topics(topic_prefix)
    settings = app_settings(database_url, broker, topic_prefix)
    async with running(settings) as (client, store):
        start = utcnow()
        short = triaged(at=start, respond=timedelta(seconds=2), resolve=timedelta(hours=8))
        calm = triaged(at=start, respond=timedelta(hours=8), resolve=timedelta(hours=30))
        await publish(broker, topics.triage, short, calm)
        assert short.ticket_id is not None

        async def breached() -> bool:
            sla = await client.get(f"/v1/sla/{short.ticket_id}", headers=AGENT)
            if sla.status_code != 200:
                return False
            clocks = {c["kind"]: c for c in sla.json()["clocks"]}
            return clocks["response"]["state"] == "breached"

        await poll(breached, within=20)
        clocks = await store.clocks(short.ticket_id)
        response = clocks["response"]
        assert response.warned_at is not None and response.breached_at is not None
        assert response.warn_at is not None and response.due_at is not None
        # Within a few seconds of their times, never before.
        assert response.warn_at <= response.warned_at < response.warn_at + timedelta(seconds=3)
        assert response.due_at <= response.breached_at < response.due_at + timedelta(seconds=3)

        at_risk = await client.get("/v1/sla/at-risk", headers=SUPERVISOR)
        assert at_risk.status_code == 200, at_risk.text
        items = at_risk.json()["items"]
        assert [(i["ticket_id"], i["kind"], i["state"]) for i in items] == [
            (str(short.ticket_id), "response", "breached")
        ]
        assert (await client.get("/v1/sla/at-risk?team=finance", headers=VIEWER)).json()[
            "items"
        ] == []

        events = await consume(broker, topics.followup, f"{topic_prefix}.probe", want=2)
        seen = [(e["type"], e["ticket_id"], e["data"]["clock"]) for e in events]
        assert seen == [
            ("sla.warning", str(short.ticket_id), "response"),
            ("sla.breached", str(short.ticket_id), "response"),
        ]


async def test_at_risk_roles_and_bad_input(
    tmp_path: object, broker: str, topic_prefix: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/followup.db"
    async with running(app_settings(url, broker, topic_prefix)) as (client, store):
        start = utcnow() - timedelta(hours=30)
        events = [
            triaged(at=start + timedelta(hours=i), respond=timedelta(hours=1)) for i in range(3)
        ]
        await store.open(*events)
        await store.stop(events[1].ticket_id or uuid.uuid4(), "response", start)
        await store.fire(utcnow())
        body = (await client.get("/v1/sla/at-risk", headers=SUPERVISOR)).json()
        # Soonest deadline first; stopped clocks are not at risk.
        keys = [(i["ticket_id"], i["kind"]) for i in body["items"]]
        assert keys[:2] == [
            (str(events[0].ticket_id), "response"),
            (str(events[2].ticket_id), "response"),
        ]
        dues = [i["due_at"] for i in body["items"]]
        assert dues == sorted(dues)
        limited = (await client.get("/v1/sla/at-risk?limit=1", headers=VIEWER)).json()
        assert len(limited["items"]) == 1

        assert (await client.get("/v1/sla/at-risk")).status_code == 401
        refused = await client.get("/v1/sla/at-risk", headers=AGENT)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        bad = await client.get("/v1/sla/at-risk?limit=0", headers=SUPERVISOR)
        assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
        missing = await client.get(f"/v1/sla/{uuid.uuid4()}", headers=SUPERVISOR)
        assert missing.status_code == 404 and missing.json()["code"] == "sla_not_found"
        bad_id = await client.get("/v1/sla/not-a-uuid", headers=SUPERVISOR)
        assert bad_id.status_code == 422


def test_openapi_documents_at_risk(tmp_path: object) -> None:
    app = create_app(app_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db", "127.0.0.1:1", "t"))
    document = app.openapi()
    operation = document["paths"]["/v1/sla/at-risk"]["get"]
    assert {"401", "403", "422"} <= set(operation["responses"])
    schema = document["components"]["schemas"]["AtRiskClock"]
    assert schema["properties"]["due_at"]["examples"]
