"""The local broker keeps nothing on disk: restart it under running services, recreate
the topics, replay the outboxes, and no ticket is lost or doubled (issue 8)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from testkit import eventually, local_system

from shared.broker import AUTO_CREATED_PARTITIONS
from sopdesk.local import LocalSystem, problem_line

pytestmark = pytest.mark.e2e

GATEWAY, SUPERVISOR = "restart-gateway-key", "restart-supervisor-key"


@pytest.fixture
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSystem]:
    monkeypatch.setenv("SOPDESK_DEMO_AGENT_CAPACITY", "100000")
    with local_system(tmp_path, {GATEWAY: "gateway", SUPERVISOR: "supervisor"}) as system:
        yield system


def _post(url: str, i: int) -> str | None:
    try:
        response = httpx.post(
            f"{url}/v1/tickets",
            headers={"Authorization": f"Bearer {GATEWAY}"},
            json={
                "channel": "web_chat",
                "customer": {"phone": f"+86137{i:08d}"},
                "subject": ("账号无法登录", "物流延迟", "申请退款")[i % 3],
                "description": f"restart ticket {i}",
            },
            timeout=10,
        )
    except httpx.HTTPError:
        return None
    return response.json()["ticket_id"] if response.status_code == 201 else None


def _assigned(dispatch: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{dispatch}/v1/assignments",
        params={"limit": 1000},
        headers={"Authorization": f"Bearer {SUPERVISOR}"},
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json())


def _sopdesk(system: LocalSystem, *args: str, service: str | None = None) -> str:
    env = {
        **os.environ,
        "SOPDESK_KAFKA_BOOTSTRAP_SERVERS": system.broker.bootstrap_servers,
        "SOPDESK_DATABASE_URL": system.database_url(service or "intake"),
        # As the running system has it (sopdesk.local): `sopdesk topics` must not give a
        # topic more partitions than the services' producers and consumers know of.
        "SOPDESK_TOPIC_PARTITIONS": str(AUTO_CREATED_PARTITIONS),
    }
    result = subprocess.run(
        [sys.executable, "-m", "sopdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _problems(system: LocalSystem) -> str:
    """The warnings the pipeline's services logged, for a failure that says where it stuck."""
    lines = []
    for name in ("intake", "triage", "dispatch"):
        log = system.logs / f"{name}.log"
        for raw in log.read_text(errors="replace").splitlines():
            line = problem_line(raw)
            if line is not None and "Connect" not in line and "metadata" not in line:
                lines.append(f"{name} {line}")
    return "\n".join(lines[-60:])


def test_broker_restart_then_replay_loses_nothing_and_doubles_nothing(system: LocalSystem) -> None:
    urls = system.urls()
    before = {t for t in (_post(urls["intake"], i) for i in range(30)) if t}
    eventually(lambda: {r["ticket_id"] for r in _assigned(urls["dispatch"])} >= before, timeout=60)

    restarted_at = datetime.now(UTC) - timedelta(seconds=1)
    system.broker.stop()  # everything the broker held is gone, topics and offsets included
    system.broker.start()
    # Tickets keep arriving while the topics are missing: intake accepts them (its
    # outbox holds the events), but what it publishes now may be lost.
    during = {t for t in (_post(urls["intake"], 100 + i) for i in range(10)) if t}
    _sopdesk(system, "topics")
    time.sleep(2)
    for service in ("intake", "triage", "dispatch"):
        _sopdesk(system, "replay", service, "--since", restarted_at.isoformat(), service=service)
    after = {t for t in (_post(urls["intake"], 200 + i) for i in range(10)) if t}

    accepted = before | during | after
    assert len(accepted) == 50

    def all_assigned() -> list[dict[str, Any]] | None:
        rows = _assigned(urls["dispatch"])
        return rows if {r["ticket_id"] for r in rows} >= accepted else None

    try:
        rows = eventually(all_assigned, timeout=120, interval=0.5)
    except AssertionError:
        missing = accepted - {r["ticket_id"] for r in _assigned(urls["dispatch"])}
        raise AssertionError(
            f"{len(missing)} of {len(accepted)} never assigned "
            f"({len(missing & before)} before, {len(missing & during)} during, "
            f"{len(missing & after)} after the restart); the services said:\n" + _problems(system)
        ) from None
    assert max(Counter(r["ticket_id"] for r in rows).values()) == 1
    assert len(rows) == len(accepted)
