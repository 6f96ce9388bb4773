"""Chaos: SIGKILL services while tickets flow, start them again, and lose nothing.

SPEC §6: killing any service with SIGKILL at any moment and starting it again
loses no ticket and duplicates no effect. The system runs as `sopdesk up` runs
it (broker plus five service processes on SQLite); a background thread posts
tickets the whole time while services are killed and restarted.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from testkit import eventually, local_system

from sopdesk.local import LocalSystem

pytestmark = pytest.mark.e2e

GATEWAY, SUPERVISOR = "chaos-gateway-key", "chaos-supervisor-key"
MAX_TICKETS = 800
KEYS = {GATEWAY: "gateway", SUPERVISOR: "supervisor"}


@pytest.fixture
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSystem]:
    # Agents never resolve here: give them room so every ticket can be assigned.
    monkeypatch.setenv("SOPDESK_DEMO_AGENT_CAPACITY", "100000")
    with local_system(tmp_path, KEYS) as system:
        yield system


class Poster(threading.Thread):
    """Posts tickets at a steady pace until stopped; remembers the ids intake accepted."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.accepted: list[str] = []
        self.refused = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            i = 0
            # Bounded, so one dispatch listing (at most 1,000 rows) can show them all.
            while not self._stop_event.is_set() and i < MAX_TICKETS:
                i += 1
                response = client.post(
                    f"{self.url}/v1/tickets",
                    headers={"Authorization": f"Bearer {GATEWAY}"},
                    json={
                        "channel": "app",
                        "customer": {"phone": f"+86139{i:08d}"},
                        "subject": ("账号无法登录", "物流延迟", "申请退款")[i % 3],
                        "description": f"chaos ticket {i}",
                    },
                )
                if response.status_code == 201:
                    self.accepted.append(response.json()["ticket_id"])
                else:
                    self.refused += 1
                time.sleep(0.03)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(30)


def _get(url: str, **params: Any) -> Any:
    response = httpx.get(
        url, params=params, headers={"Authorization": f"Bearer {SUPERVISOR}"}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def test_sigkill_and_restart_loses_nothing_and_doubles_nothing(system: LocalSystem) -> None:
    urls = system.urls()
    poster = Poster(urls["intake"])
    poster.start()
    try:
        for victim in ("triage", "dispatch", "analytics", "followup"):
            time.sleep(1.5)
            system.kill(victim)  # mid-stream: batches, commits and offsets in flight
            time.sleep(1.0)
            system.restart(victim)
        time.sleep(1.0)
    finally:
        poster.stop()
    accepted = set(poster.accepted)
    assert len(accepted) >= 100, f"too few tickets posted ({len(accepted)})"
    assert poster.refused == 0

    def all_assigned() -> list[dict[str, Any]] | None:
        rows = _get(f"{urls['dispatch']}/v1/assignments", limit=1000)
        return rows if {r["ticket_id"] for r in rows} >= accepted else None

    rows = eventually(all_assigned, timeout=120, interval=0.5)
    per_ticket = Counter(r["ticket_id"] for r in rows)
    assert max(per_ticket.values()) == 1, "a ticket was assigned twice"
    assert {r["state"] for r in rows} == {"assigned"}

    def ledger_complete() -> dict[str, Any] | None:
        summary = _get(f"{urls['analytics']}/v1/metrics/summary")
        return summary if summary["by_state"].get("assigned", 0) == len(accepted) else None

    summary = eventually(ledger_complete, timeout=120, interval=0.5)
    assert summary["total"] == len(accepted)

    def clocks_opened() -> bool:
        return all(
            httpx.get(
                f"{urls['followup']}/v1/sla/{ticket_id}",
                headers={"Authorization": f"Bearer {SUPERVISOR}"},
                timeout=10,
            ).status_code
            == 200
            for ticket_id in sorted(accepted)[:20]
        )

    eventually(clocks_opened, timeout=60, interval=0.5)
