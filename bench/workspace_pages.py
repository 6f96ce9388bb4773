"""Benchmark of the workspace's pages over HTTP, against the system as `sopdesk up` runs it
(issue 13: "my work" and the ticket page at p95 ≤ 300 ms, the workspace under 150 MB).

Workload (stated so anyone can repeat it):

- ``sopdesk up`` on free ports in a temporary directory (SQLite stores, the local broker),
  or a running system given with ``--base-port`` and ``--data-dir``;
- ``--tickets`` tickets (default 300) posted through intake with the gateway key and
  waited for until dispatch placed each (assigned to a demo agent up to their capacity,
  5 by default, the rest queued);
- one agent (the one with most assignments) signs in through the workspace's form, then
  ``--runs`` times (default 200) each: ``GET /`` (my work: three calls to dispatch) and
  ``GET /tickets/<number>`` of one of their tickets at random (intake's ticket, its
  conversation, macros, customer and history; dispatch's activity and assignment;
  follow-up's clocks; teams), one after the other from one client;
- prints p50, p95 and max in milliseconds, and the workspace's resident and peak memory.

    python bench/workspace_pages.py                 # ~3 minutes with the start
    python bench/workspace_pages.py --tickets 1000

The 10,000-open-ticket figure of each service's own query is dispatch's bench/my_work.py
and intake's bench/intake_search.py; this one measures what the workspace adds on top
(the calls it makes, at once, and the rendering).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from procstat import listening_pid, memory_kib

from sopdesk.up_process import SERVERS, up_process


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered):.0f} ms · p95 {p95:.0f} ms · max {ordered[-1]:.0f} ms"


def run(base: int, data_dir: Path, tickets: int, runs: int) -> dict[str, Any]:
    url = {name: f"http://127.0.0.1:{base + i}" for i, name in enumerate(SERVERS)}
    keys = {role: key for key, role in json.loads((data_dir / "api-keys.json").read_text()).items()}
    password = json.loads((data_dir / "secrets.json").read_text())["demo_password"]
    gateway = {"Authorization": f"Bearer {keys['gateway']}"}
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    subjects = ("账号无法登录", "退款还没到账", "快递一直没有更新", "设备开不了机", "想改收货地址")
    with httpx.Client(timeout=30) as api:
        for n in range(tickets):
            api.post(
                f"{url['intake']}/v1/tickets",
                headers=gateway,
                json={
                    "channel": "web_chat",
                    "customer": {"name": f"客户{n}", "phone": f"137{n:08d}"},
                    "subject": subjects[n % len(subjects)],
                    "description": f"{subjects[n % len(subjects)]}，订单 SO{n:08d}，请尽快处理。",
                },
            ).raise_for_status()
        deadline = time.monotonic() + 600
        while True:
            assigned = api.get(
                f"{url['dispatch']}/v1/assignments", headers=admin, params={"limit": 1000}
            ).json()
            held = [a for a in assigned if a.get("agent_id")]
            if len(assigned) >= tickets or time.monotonic() > deadline:
                break
            time.sleep(1)
        agents = {
            a["id"]: a["name"]
            for a in api.get(f"{url['dispatch']}/v1/agents", headers=admin).json()
        }
    by_agent: dict[str, list[dict[str, Any]]] = {}
    for item in held:
        by_agent.setdefault(item["agent_id"], []).append(item)
    agent_id, mine = max(by_agent.items(), key=lambda kv: len(kv[1]))
    with httpx.Client(base_url=url["workspace"], timeout=30) as browser:
        page = browser.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "no sign-in form"
        signed = browser.post(
            "/sign-in",
            data={"csrf_token": token.group(1), "login": agents[agent_id], "password": password},
        )
        assert signed.status_code in (200, 303), signed.text[:300]
        timings: dict[str, list[float]] = {"my work": [], "ticket page": []}
        for _ in range(runs):
            for name, path in (
                ("my work", "/"),
                ("ticket page", f"/tickets/{random.choice(mine)['ticket_no']}"),
            ):
                started = time.perf_counter()
                answer = browser.get(path)
                timings[name].append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
    pid = listening_pid(base + SERVERS.index("workspace"))
    memory = memory_kib(pid) if pid else {}
    return {
        "tickets": tickets,
        "assigned": len(held),
        "agent_open_tickets": len(mine),
        "timings": timings,
        "workspace_rss_mb": memory.get("VmRSS", 0) / 1024,
        "workspace_peak_mb": memory.get("VmHWM", 0) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--base-port", type=int, help="a running system (with --data-dir)")
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    with ExitStack() as running:
        if args.base_port:
            base, data_dir = args.base_port, args.data_dir
        else:
            data_dir = Path(tempfile.mkdtemp(prefix="sopdesk-bench-workspace-"))
            up = running.enter_context(up_process(data_dir, SERVERS, ready_within=300))
            base = up.base_port
        figures = run(base, data_dir, args.tickets, args.runs)
    print(
        f"{figures['tickets']} tickets ({figures['assigned']} assigned), the agent holds "
        f"{figures['agent_open_tickets']}; {args.runs} runs each"
    )
    for name, samples in figures["timings"].items():
        print(f"  {name:12} {_percentiles(samples)}")
    print(
        f"  workspace    {figures['workspace_rss_mb']:.0f} MB resident, "
        f"peak {figures['workspace_peak_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
