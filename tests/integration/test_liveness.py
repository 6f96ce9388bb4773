"""Liveness and lag: a consumer that stops making progress while messages wait is
reported stuck by /healthz (so the orchestrator restarts it) and by /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
import pytest
from plain_service_support import plain_service
from testkit import poll, serving

from shared.events import TicketReceived, TicketReceivedData, Topics, utcnow
from shared.kafka import make_producer
from shared.outbox import UnitOfWork


def _received(n: int) -> TicketReceived:
    return TicketReceived(
        data=TicketReceivedData(
            ticket_no=f"T20261123-{n:06d}",
            channel="app",
            customer_id="00000000-0000-0000-0000-000000000001",
            customer_type="new",
            subject="x",
            description="y",
            received_at=utcnow(),
        )
    )


def _metric(text: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


# PostgreSQL only: on SQLite the service has a single connection, which the hung
# handler holds, so /metrics (which counts the outbox) would wait for it too.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_stuck_consumer_fails_liveness_and_shows_lag(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    release = asyncio.Event()
    handled: list[str] = []

    async def blocking(events: Sequence[TicketReceived], uow: UnitOfWork) -> None:
        await release.wait()
        handled.extend(e.data.ticket_no for e in events)

    app, settings = await plain_service(
        database_url,
        broker,
        topic_prefix,
        blocking,
        description="a service whose handler hangs",
        consumer_batch_size=1,  # one message in hand, the rest wait in the topic
        consumer_stall_seconds=1.0,
    )
    async with serving(app, ready_within=20) as client:
        assert (await client.get("/healthz")).status_code == 200
        producer = make_producer(settings)
        await producer.start()
        try:
            for n in range(4):
                event = _received(n)
                await producer.send_and_wait(
                    Topics(topic_prefix).intake,
                    value=event.model_dump_json().encode(),
                    key=b"same-ticket",
                )
        finally:
            await producer.stop()

        async def stuck() -> bool:
            response = await client.get("/healthz")
            return response.status_code == 503 and response.json()["status"] == "stalled"

        await poll(stuck, within=20)
        text = (await client.get("/metrics")).text
        # The local broker's partition ends are approximate, so the lag is only
        # checked to be exported here, and to be zero once everything is handled.
        assert "sopdesk_consumer_lag{" in text
        assert _metric(text, "sopdesk_consumer_seconds_since_progress") >= 1

        release.set()

        async def recovered() -> bool:
            return len(handled) == 4 and await _ok(client, "/healthz")

        await poll(recovered, within=20)
        assert _metric((await client.get("/metrics")).text, "sopdesk_consumer_lag") == 0


async def _ok(client: httpx.AsyncClient, path: str) -> bool:
    return (await client.get(path)).status_code == 200
