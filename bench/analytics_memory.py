"""Analytics' resident memory after 100,000 tickets and a month of reports (issue 14: < 150 MiB).

Workload (stated so anyone can repeat it):

- ``--tickets`` tickets (default 100,000) received over ``--days`` days (default 30),
  their facts and daily rollups written straight into analytics' PostgreSQL store as
  ``bench/dashboard.py`` writes them (same generator, same rollup contributions), in a
  fresh set of databases named ``--prefix``_<service>;
- the whole system started on those stores with ``sopdesk up``;
- then, through analytics' HTTP API with a supervisor's key, a month of what a
  supervisor reads: the summary in every grouping, the attention list and the business
  metrics, each weekly review of the last five weeks and the monthly review of this month
  and the last (JSON and the printable HTML page), the whole ledger as CSV (streamed)
  and as XLSX (up to ``export_max_rows``); the ledger's JSON pages 1-10.

After each step it prints analytics' resident (VmRSS) and peak (VmHWM) memory, and at
the end every service's.

    python bench/analytics_memory.py                    # ~2 minutes
    python bench/analytics_memory.py --tickets 20000    # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
import httpx
import sqlalchemy as sa
from dashboard import load
from procstat import SystemProcesses, memory_kib

from services.analytics.app import MIGRATIONS
from shared.migrations import ensure_database, upgrade
from sopdesk.up_process import SERVERS, up_process

STORES = ("intake", "triage", "dispatch", "followup", "analytics")


async def _recreate(server: str, names: list[str]) -> None:
    admin = sa.engine.make_url(f"{server}/postgres").set(drivername="postgresql")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    for name in names:
        await ensure_database(f"{server}/{name}")


def _mib(pid: int) -> dict[str, float]:
    return {key: round(kib / 1024, 1) for key, kib in memory_kib(pid).items()}


def _steps(now: datetime) -> list[tuple[str, str, dict[str, str]]]:
    """(label, path, query) of a month of a supervisor's reading, in order."""
    steps: list[tuple[str, str, dict[str, str]]] = [("summary", "/v1/metrics/summary", {})]
    for group in ("channel", "category", "priority", "team", "agent", "day", "week"):
        steps.append((f"summary by {group}", "/v1/metrics/summary", {"group_by": group}))
    steps += [
        ("attention list", "/v1/dashboard/attention", {}),
        ("business metrics", "/v1/metrics/business", {}),
    ]
    for back in range(5):
        year, week, _ = (now - timedelta(weeks=back)).isocalendar()
        for shape in ("json", "html"):
            label = f"weekly review {year}-W{week:02d} {shape}"
            steps.append(
                (label, "/v1/reports/weekly", {"week": f"{year}-W{week:02d}", "format": shape})
            )
    this_month = now.replace(day=1)
    for month in (this_month, (this_month - timedelta(days=1)).replace(day=1)):
        for shape in ("json", "html"):
            label = f"monthly review {month:%Y-%m} {shape}"
            steps.append(
                (label, "/v1/reports/monthly", {"month": f"{month:%Y-%m}", "format": shape})
            )
    steps += [
        ("ledger, CSV export (all rows)", "/v1/ledger", {"format": "csv"}),
        ("ledger, XLSX export", "/v1/ledger", {"format": "xlsx"}),
    ]
    return steps


def _read(client: httpx.Client, url: str, query: dict[str, str]) -> tuple[int, int]:
    """Status and bytes of one answer, read as a stream so the client holds no copy."""
    size = 0
    with client.stream("GET", url, params=query) as answer:
        for chunk in answer.iter_bytes():
            size += len(chunk)
        return answer.status_code, size


def run(args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    names = [f"{args.prefix}_{store}" for store in STORES]
    asyncio.run(_recreate(args.server, names))
    analytics_url = f"{args.server}/{args.prefix}_analytics"
    upgrade(MIGRATIONS, analytics_url)
    say(f"loading {args.tickets:,} tickets over {args.days} days into {args.prefix}_analytics")
    asyncio.run(load(analytics_url, args.tickets, args.days))
    data_dir = Path(tempfile.mkdtemp(prefix="sopdesk-analytics-memory-"))
    steps: list[dict[str, Any]] = []
    with up_process(
        data_dir, SERVERS, "--database-url", f"{args.server}/{args.prefix}_{{service}}"
    ) as up:
        base = up.urls["analytics"]
        processes = SystemProcesses.find(up.base_port, None)
        analytics = processes.services["analytics"]
        started = _mib(analytics)
        say(f"analytics started: {started}")
        headers = {"Authorization": f"Bearer {up.keys['supervisor']}"}
        with httpx.Client(headers=headers, timeout=300) as client:
            for label, path, query in _steps(datetime.now(UTC)):
                began = time.perf_counter()
                status, size = _read(client, f"{base}{path}", query)
                seconds = time.perf_counter() - began
                memory = _mib(analytics)
                steps.append(
                    {"step": label, "status": status, "bytes": size, "seconds": round(seconds, 2)}
                    | memory
                )
                say(f"  {label:<40} {status} {size:>11,} B {seconds:6.2f} s  {memory}")
            cursor: str | None = None
            for _page in range(10):
                query = {"limit": "1000"} | ({"cursor": cursor} if cursor else {})
                answer = client.get(f"{base}/v1/ledger", params=query)
                cursor = answer.json().get("next_cursor")
            steps.append(
                {"step": "ledger JSON pages 1-10", "status": answer.status_code} | _mib(analytics)
            )
            say(f"  ledger JSON pages 1-10{'':<18} {answer.status_code}  {_mib(analytics)}")
        services = {name: _mib(pid) for name, pid in processes.services.items()}
    return {
        "tickets": args.tickets,
        "days": args.days,
        "analytics_started": started,
        "steps": steps,
        "services_after": services,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--prefix", default="sopdesk_bench_memory")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = parser.parse_args()
    say: Callable[[str], None] = (lambda m: print(m, file=sys.stderr)) if args.json else print
    results = run(args, say)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("\nresident / peak MiB after the month of reports:")
    for name, memory in results["services_after"].items():
        print(f"  {name:<10} {memory.get('VmRSS', 0):6.1f} / {memory.get('VmHWM', 0):6.1f}")


if __name__ == "__main__":
    main()
