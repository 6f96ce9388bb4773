"""Readiness and metrics tell the truth (issue 15): /readyz fails while the store is not
at its Alembic head; /metrics answers while the database is down, marking the gauges
it could not refresh; dead-letter and error counters exist at 0 from the start."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from plain_service_support import plain_service
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from testkit import on_test_broker, poll, serving

from services.triage.app import MIGRATIONS, create_app
from services.triage.settings import TriageSettings
from shared.events import TicketReceived
from shared.migrations import upgrade
from shared.outbox import UnitOfWork


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the Prometheus text, None when absent."""
    for line in text.splitlines():
        match = re.match(rf"^{name}\{{([^}}]*)\}} (\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            return float(match.group(2))
    return None


async def test_readyz_fails_until_the_store_is_at_its_head(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    settings = on_test_broker(
        TriageSettings,
        database_url,
        broker,
        topic_prefix,
        topic_partitions=1,
        api_keys={"k": "admin"},
    )
    app = create_app(settings)
    async with serving(app) as client:
        response = await client.get("/readyz")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["database"] == "ok"
        assert checks["schema"].startswith("not ready: store at no revision, code expects")
        # Not migrated: the consumer keeps out of the group rather than fail events.
        assert checks["consumer"] != "ok"

        await asyncio.to_thread(upgrade, MIGRATIONS, database_url)

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await poll(ready, within=30)
        assert (await client.get("/readyz")).json()["checks"]["schema"] == "ok"


async def _connections(database_url: str, *, allowed: bool) -> None:
    """Let connections to the database in, or refuse new ones and cut the open ones."""
    name = make_url(database_url).database
    admin = create_async_engine(
        make_url(database_url).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    try:
        async with admin.connect() as conn:
            await conn.execute(
                sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            )
            if not allowed:
                await conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
    finally:
        await admin.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_metrics_answer_while_the_database_is_down(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async def handle(events: Sequence[TicketReceived], uow: UnitOfWork) -> None:
        return None

    app, _ = await plain_service(
        database_url, broker, topic_prefix, handle, description="a service with one handler"
    )
    async with serving(app) as client:
        text = (await client.get("/metrics")).text
        assert _sample(text, "sopdesk_gauge_stale", gauge="sopdesk_outbox_pending") == 0
        # At 0 before anything went wrong, so increase() sees the first one.
        dead = {"outcome": "dead_lettered", "service": "plain"}
        assert _sample(text, "sopdesk_events_consumed_total", type="ticket.received", **dead) == 0
        assert _sample(text, "sopdesk_events_consumed_total", type="undecodable", **dead) == 0
        assert _sample(text, "sopdesk_http_server_errors_total", service="plain") == 0

        await _connections(database_url, allowed=False)
        try:
            response = await client.get("/metrics")
            assert response.status_code == 200
            assert (
                _sample(response.text, "sopdesk_gauge_stale", gauge="sopdesk_outbox_pending") == 1
            )
            assert (await client.get("/readyz")).status_code == 503
        finally:
            await _connections(database_url, allowed=True)

        async def fresh_again() -> bool:
            text = (await client.get("/metrics")).text
            return _sample(text, "sopdesk_gauge_stale", gauge="sopdesk_outbox_pending") == 0

        await poll(fresh_again, within=30)
