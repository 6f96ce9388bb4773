"""Two replicas of every service on PostgreSQL process one workload exactly once.

The system runs as `sopdesk up` runs it, on PostgreSQL stores, with a second
process of each of the five services on the same stores and consumer groups.
Tickets are posted to both intake replicas at once; every ticket must be
assigned once, numbered once and counted once in analytics: nothing lost,
nothing doubled. (The long fault run with replicas is in the chaos tests.)
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from testkit import POSTGRES_SERVER, drop_database, eventually, free_port, local_system

from sopdesk.catalogue import SERVICE_NAMES
from sopdesk.local import LocalSystem

pytestmark = pytest.mark.e2e

GATEWAY, SUPERVISOR = "replica-gateway-key", "replica-supervisor-key"
KEYS = {GATEWAY: "gateway", SUPERVISOR: "supervisor"}
TICKETS, IN_FLIGHT = 200, 16


@pytest.fixture
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSystem]:
    monkeypatch.setenv("SOPDESK_DEMO_AGENT_CAPACITY", "100000")
    prefix = f"sopdesk_replicas_{uuid.uuid4().hex[:8]}_"
    try:
        with local_system(tmp_path, KEYS, f"{POSTGRES_SERVER}/{prefix}{{service}}") as system:
            for service in SERVICE_NAMES:
                system.add_replica(service, free_port())
            yield system
    finally:
        for service in SERVICE_NAMES:
            asyncio.run(drop_database(POSTGRES_SERVER, f"{prefix}{service}"))


async def post_everything(intakes: list[str]) -> tuple[list[dict[str, Any]], int]:
    """TICKETS tickets, IN_FLIGHT at a time, alternating between the intake replicas."""
    created: list[dict[str, Any]] = []
    refused = 0
    queue = iter(range(TICKETS))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal refused
        for i in queue:
            response = await client.post(
                f"{intakes[i % len(intakes)]}/v1/tickets",
                headers={"Authorization": f"Bearer {GATEWAY}"},
                json={
                    "channel": "app",
                    "customer": {"phone": f"+86137{i:08d}"},
                    "subject": ("账号无法登录", "物流延迟", "申请退款")[i % 3],
                    "description": f"replica ticket {i}",
                },
            )
            if response.status_code == 201:
                created.append(response.json())
            else:
                refused += 1

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(IN_FLIGHT)))
    return created, refused


def _get(url: str, **params: Any) -> Any:
    response = httpx.get(
        url, params=params, headers={"Authorization": f"Bearer {SUPERVISOR}"}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def test_two_replicas_of_each_service_lose_nothing_and_double_nothing(
    system: LocalSystem,
) -> None:
    urls = system.urls()
    started = time.monotonic()
    created, refused = asyncio.run(post_everything([urls["intake"], urls["intake-2"]]))
    posted_in = time.monotonic() - started
    assert refused == 0 and len(created) == TICKETS
    accepted = {c["ticket_id"] for c in created}
    assert len(accepted) == TICKETS
    numbers = Counter(c["ticket_no"] for c in created)
    assert max(numbers.values()) == 1, "two tickets got one number"

    def all_assigned() -> list[dict[str, Any]] | None:
        rows = _get(f"{urls['dispatch-2']}/v1/assignments", limit=1000)
        return rows if {r["ticket_id"] for r in rows} >= accepted else None

    rows = eventually(all_assigned, timeout=180, interval=1.0)
    per_ticket = Counter(r["ticket_id"] for r in rows)
    assert max(per_ticket.values()) == 1, "a ticket was assigned twice"

    def counted() -> dict[str, Any] | None:
        summary = _get(f"{urls['analytics']}/v1/metrics/summary")
        return summary if summary["by_state"].get("assigned", 0) >= TICKETS else None

    summary = eventually(counted, timeout=180, interval=1.0)
    assert summary["total"] == TICKETS
    assert _get(f"{urls['analytics-2']}/v1/metrics/summary")["total"] == TICKETS
    processed_in = time.monotonic() - started
    print(f"{TICKETS} tickets posted in {posted_in:.1f}s, processed in {processed_in:.1f}s")
