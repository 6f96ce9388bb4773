"""One trace follows a ticket from intake's HTTP request, through the outbox and the
real broker, into triage's consumer and the event triage emits."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from testkit import serving

from services.intake.app import MIGRATIONS as INTAKE_MIGRATIONS
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.triage.app import MIGRATIONS as TRIAGE_MIGRATIONS
from services.triage.app import create_app as create_triage
from services.triage.models import BUS as TRIAGE_BUS
from services.triage.settings import TriageSettings
from shared.database import create_engine
from shared.migrations import upgrade
from shared.tracing import configure_tracing

KEYS = {"gw": "gateway"}


def _trace_id(traceparent: str) -> str:
    return traceparent.split("-")[1]


async def test_trace_context_crosses_outbox_broker_and_consumer(
    tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    common: dict[str, Any] = {
        "kafka_bootstrap_servers": broker,
        "topic_prefix": topic_prefix,
        "api_keys": KEYS,
        "consumer_session_timeout_ms": 1500,
    }
    intake_url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    triage_url = f"sqlite+aiosqlite:///{tmp_path / 'triage.db'}"
    await asyncio.to_thread(upgrade, INTAKE_MIGRATIONS, intake_url)
    await asyncio.to_thread(upgrade, TRIAGE_MIGRATIONS, triage_url)
    exporter = InMemorySpanExporter()
    intake = create_intake(IntakeSettings(database_url=intake_url, **common))
    triage = create_triage(TriageSettings(database_url=triage_url, **common))
    configure_tracing("intake", intake, "", processor=SimpleSpanProcessor(exporter))

    async with serving(intake, ready_within=20) as client, serving(triage, ready_within=20):
        response = await client.post(
            "/v1/tickets",
            headers={"Authorization": "Bearer gw"},
            json={
                "channel": "app",
                "customer": {"phone": "13812345678"},
                "subject": "支付失败",
                "description": "付款时提示支付失败",
            },
        )
        assert response.status_code == 201, response.text
        engine = create_engine(triage_url)
        try:
            headers: dict[str, str] | None = None
            deadline = asyncio.get_running_loop().time() + 20
            while headers is None:
                async with engine.connect() as conn:
                    headers = await conn.scalar(
                        sa.select(TRIAGE_BUS.outbox.c.headers).where(
                            TRIAGE_BUS.outbox.c.type == "ticket.triaged"
                        )
                    )
                assert asyncio.get_running_loop().time() < deadline, "ticket never triaged"
                await asyncio.sleep(0.1)
        finally:
            await engine.dispose()

    server_spans = [
        s for s in exporter.get_finished_spans() if s.name.startswith("POST /v1/tickets")
    ]
    assert server_spans, [s.name for s in exporter.get_finished_spans()]
    request_trace = format(server_spans[0].context.trace_id, "032x")
    assert "traceparent" in headers
    assert _trace_id(headers["traceparent"]) == request_trace
    consumed = [s for s in exporter.get_finished_spans() if s.name == "consume ticket.received"]
    assert consumed and format(consumed[0].context.trace_id, "032x") == request_trace
